// convgen: Halide-generated convolution kernels for depthwise-separable CNNs.
#pragma once

#include "counting.h"
#include "error.h"
#include "operators.h"
#include "params.h"
#include "runtime.h"
#include "tensor.h"
#include "weights.h"
