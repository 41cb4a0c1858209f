// core/eigen.h — the one way eigengrad's sources include Eigen: after core/intrinsics.h, so that GCC 12's
// false "may be used uninitialized" reports from its AVX-512 headers (see there) never reach a build, and
// with the same warning class silenced for Eigen's own headers only.
#pragma once

#include "core/intrinsics.h"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <Eigen/Core>
#pragma GCC diagnostic pop
#else
#include <Eigen/Core>
#endif
