// core/intrinsics.h — the one way eigengrad's sources include the x86 intrinsics headers (<immintrin.h>).
// GCC 12 reports "'__Y' may be used uninitialized" inside its own AVX-512 headers (the `__m512 __Y = __Y;`
// of _mm512_undefined_*) wherever such an intrinsic is inlined, e.g. Eigen's AVX-512 GEMM packing under
// -march=x86-64-v4 or -march=native on an AVX-512 CPU: hundreds of false positives, none in our code.
// GCC decides by the warning's source location, so ignoring that one class while the header is read
// removes exactly those, and -Wmaybe-uninitialized stays on for eigengrad's own lines. Any file that needs
// the intrinsics includes this (directly or through core/eigen.h) so that the header's first inclusion,
// whose lines are the ones GCC points at, always happens under the pragma.
#pragma once

#if defined(__x86_64__) || defined(__i386__)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#else
#include <immintrin.h>
#endif
#endif
