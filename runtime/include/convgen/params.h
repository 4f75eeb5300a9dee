// Operator descriptors: what a convolution computes, independent of any input size.
// Output size per axis: floor((in + pad_lo + pad_hi - dilation*(k-1) - 1) / stride) + 1.
#pragma once

#include <limits>

namespace convgen {

struct Padding {
    enum class Mode { explicit_pads, same, valid };
    Mode mode = Mode::explicit_pads;
    int top = 0, left = 0, bottom = 0, right = 0;

    static Padding explicit_pads(int top, int left, int bottom, int right) {
        return {Mode::explicit_pads, top, left, bottom, right};
    }
    static Padding symmetric(int p) { return explicit_pads(p, p, p, p); }
    // TensorFlow SAME: output = ceil(in / stride), the odd pixel of padding at the bottom/right.
    static Padding same() { return {Mode::same}; }
    // TensorFlow VALID: no padding.
    static Padding valid() { return {Mode::valid}; }
};

// Fused output activation: clamp(x, min, max), as XNNPACK does.
struct Activation {
    enum class Kind { none, relu, relu6, clamp };
    Kind kind = Kind::none;
    float min = -std::numeric_limits<float>::infinity();
    float max = std::numeric_limits<float>::infinity();

    static Activation none() { return {}; }
    static Activation relu() { return {Kind::relu, 0.0f}; }
    static Activation relu6() { return {Kind::relu6, 0.0f, 6.0f}; }
    static Activation clamp(float lo, float hi) { return {Kind::clamp, lo, hi}; }
};

struct Window {
    int kernel_h = 3, kernel_w = 3;
    int stride_h = 1, stride_w = 1;
    int dilation_h = 1, dilation_w = 1;
    Padding padding;
};

// Standard convolution. Weights HWIO [kh][kw][in][out]; bias [out] or none.
struct Conv2dDesc {
    int in_channels = 0, out_channels = 0;
    Window window;
    Activation activation;
};

// Depthwise convolution. Weights [kh][kw][channels*multiplier]; output channel c*m+j reads
// input channel c. Bias [channels*multiplier] or none.
struct DepthwiseDesc {
    int channels = 0, multiplier = 1;
    Window window;
    Activation activation;
    int out_channels() const { return channels * multiplier; }
};

// Pointwise (1x1, stride 1) convolution. Weights [in][out]; bias [out] or none.
struct PointwiseDesc {
    int in_channels = 0, out_channels = 0;
    Activation activation;
};

// Depthwise then pointwise, fused. dw_activation applies between the two.
struct SeparableDesc {
    int in_channels = 0, multiplier = 1, out_channels = 0;
    Window window;
    Activation dw_activation;
    Activation activation;
    DepthwiseDesc depthwise() const { return {in_channels, multiplier, window, dw_activation}; }
    PointwiseDesc pointwise() const { return {in_channels * multiplier, out_channels, activation}; }
};

}  // namespace convgen
