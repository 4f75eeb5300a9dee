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

// Fused output activation. none, relu, relu6 and clamp are clamp(x, min, max), as XNNPACK
// does (min and max are read for clamp only); hard_swish is x * ReLU6(x + 3) / 6
// (MobileNetV3), silu (swish) x * sigmoid(x) (EfficientNet).
struct Activation {
    enum class Kind { none, relu, relu6, clamp, hard_swish, silu };
    Kind kind = Kind::none;
    float min = -std::numeric_limits<float>::infinity();
    float max = std::numeric_limits<float>::infinity();

    static Activation none() { return {}; }
    static Activation relu() { return {Kind::relu, 0.0f}; }
    static Activation relu6() { return {Kind::relu6, 0.0f, 6.0f}; }
    static Activation clamp(float lo, float hi) { return {Kind::clamp, lo, hi}; }
    static Activation hard_swish() { return {Kind::hard_swish}; }
    static Activation silu() { return {Kind::silu}; }
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

// Inverted-residual block (MobileNetV2/V3, MnasNet, EfficientNet's MBConv), fused: a pointwise
// expansion in_channels -> expanded_channels (+bias, expand_activation), a depthwise window on
// the expanded channels, multiplier 1 (+bias, dw_activation), a pointwise projection
// expanded_channels -> out_channels (+bias, activation: none in those networks) and the input
// added to the result where `residual` is set and the shapes allow (has_residual()).
// expanded_channels == in_channels means no expansion conv (MobileNetV2's first block).
// Weights: expansion [in][expanded], depthwise [kh][kw][expanded], projection [expanded][out];
// biases [expanded], [expanded], [out], each optional.
struct InvertedResidualDesc {
    int in_channels = 0, expanded_channels = 0, out_channels = 0;
    Window window;  // the depthwise's
    Activation expand_activation = Activation::relu6();
    Activation dw_activation = Activation::relu6();
    Activation activation;  // the projection's
    bool residual = true;   // add the input where has_residual(); false = never

    bool has_expansion() const { return expanded_channels != in_channels; }
    // The input is added where asked and its shape is the output's: in_channels ==
    // out_channels, stride 1, and padding that keeps the size (SAME, or explicit pads summing
    // to dilation * (kernel - 1) on each axis).
    bool has_residual() const {
        if (!residual || in_channels != out_channels) return false;
        const Window &w = window;
        if (w.stride_h != 1 || w.stride_w != 1) return false;
        if (w.padding.mode == Padding::Mode::same) return true;
        if (w.padding.mode == Padding::Mode::valid) return w.kernel_h == 1 && w.kernel_w == 1;
        return w.padding.top + w.padding.bottom == w.dilation_h * (w.kernel_h - 1) &&
               w.padding.left + w.padding.right == w.dilation_w * (w.kernel_w - 1);
    }
    // The block's stages as convgen's own ops (the unfused path runs them).
    PointwiseDesc expansion() const {
        return {in_channels, expanded_channels, expand_activation};
    }
    DepthwiseDesc depthwise() const { return {expanded_channels, 1, window, dw_activation}; }
    PointwiseDesc projection() const { return {expanded_channels, out_channels, activation}; }
    // Without an expansion conv: the depthwise and the projection are a separable conv.
    SeparableDesc separable() const {
        return {expanded_channels, 1, out_channels, window, dw_activation, activation};
    }
};

}  // namespace convgen
