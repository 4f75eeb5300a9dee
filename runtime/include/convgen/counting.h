// Parameter and FLOP counts (one multiply-add = 2 FLOPs; bias and activation not counted).
// The tutorial case, 3->4 channels with a 3x3 kernel: 108 weights standard, 27 + 12 = 39
// separable.
#pragma once

#include <cstdint>

#include "params.h"
#include "tensor.h"

namespace convgen {

struct Cost {
    int64_t weights = 0;  // filter coefficients
    int64_t biases = 0;   // bias terms, if the operator has bias
    int64_t flops = 0;    // for the given input
    int64_t params() const { return weights + biases; }
};

Cost cost(const Conv2dDesc &d, const TensorDesc &input, bool bias);
Cost cost(const DepthwiseDesc &d, const TensorDesc &input, bool bias);
Cost cost(const PointwiseDesc &d, const TensorDesc &input, bool bias);
Cost cost(const SeparableDesc &d, const TensorDesc &input, bool dw_bias, bool pw_bias);
// The three convolutions (no expansion where the block has none); the residual add is not
// counted.
Cost cost(const InvertedResidualDesc &d, const TensorDesc &input, bool biases);

// Output shape of a windowed op (throws if the window leaves no output).
TensorDesc output_desc(const Window &w, int out_channels, const TensorDesc &input);
// Output shape of each op for an input: what every operator's output_desc() returns.
TensorDesc output_desc(const Conv2dDesc &d, const TensorDesc &input);
TensorDesc output_desc(const DepthwiseDesc &d, const TensorDesc &input);
TensorDesc output_desc(const PointwiseDesc &d, const TensorDesc &input);
TensorDesc output_desc(const SeparableDesc &d, const TensorDesc &input);
TensorDesc output_desc(const InvertedResidualDesc &d, const TensorDesc &input);

}  // namespace convgen
