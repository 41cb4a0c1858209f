// eigengrad.h — the umbrella header: tensors, the differentiable op set, grad mode and autograd.
#pragma once
#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "autograd/ops.h"
#include "core/generator.h"
#include "core/kernels.h"
#include "core/tensor.h"
