// PyTorch conventions: torch.nn.Conv2d's arguments as convgen descriptors, and converters from
// PyTorch's weight layouts to convgen's (TensorFlow/XNNPACK style).
#pragma once

#include <vector>

#include "params.h"

namespace convgen::pytorch {

// torch.nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, dilation, groups).
// PyTorch pads the same amount on both sides of an axis (padding=p), or, with padding="same"
// (stride 1 only), (kernel - 1) * dilation in all with the odd pixel at the end. convgen's
// Padding::same() is TensorFlow's rule instead: for stride 2 it pads only the bottom/right, so
// a PyTorch layer run with it gives silently different results. These helpers pick the right
// explicit pads.
struct Conv2dArgs {
    int in_channels = 0, out_channels = 0;
    int kernel_h = 1, kernel_w = 1;
    int stride_h = 1, stride_w = 1;
    int padding_h = 0, padding_w = 0;  // per side
    bool padding_same = false;         // padding="same" (then padding_h/w are ignored)
    int dilation_h = 1, dilation_w = 1;
    int groups = 1;
};

// The window PyTorch computes with (explicit pads).
Window window(const Conv2dArgs &args);
// groups == 1.
Conv2dDesc conv2d_desc(const Conv2dArgs &args, Activation activation = Activation::none());
// groups == in_channels, out_channels a multiple of it (the channel multiplier).
DepthwiseDesc depthwise_desc(const Conv2dArgs &args,
                             Activation activation = Activation::none());
// A 1x1 kernel, stride 1, no padding, groups == 1.
PointwiseDesc pointwise_desc(const Conv2dArgs &args,
                             Activation activation = Activation::none());

// torchvision.models.mobilenetv2.InvertedResidual(inp, oup, stride, expand_ratio), and the
// MBConv blocks built the same way with a 5x5 depthwise (MnasNet, EfficientNet-lite): hidden
// = round(inp * expand_ratio) channels, a 1x1 expansion (none for expand_ratio 1), a
// kernel x kernel depthwise with PyTorch's padding (kernel - 1) / 2 on every side, a 1x1
// projection, ReLU6 after the first two (BatchNorm folded into weights and biases), the input
// added where stride == 1 and inp == oup. Its weights come from pointwise_weights (expansion:
// [hidden][inp][1][1]; projection: [oup][hidden][1][1]) and depthwise_weights ([hidden][1][k][k]).
struct InvertedResidualArgs {
    int inp = 0, oup = 0, stride = 1;
    double expand_ratio = 6;
    int kernel = 3;  // odd
};
InvertedResidualDesc inverted_residual_desc(const InvertedResidualArgs &args);

// Conv2d.weight OIHW [out][in][kh][kw] -> HWIO [kh][kw][in][out].
std::vector<float> conv2d_weights(const float *oihw, int out_channels, int in_channels,
                                  int kernel_h, int kernel_w);
// Depthwise Conv2d(groups=in).weight [(in*mult)][1][kh][kw] -> [kh][kw][in*mult].
std::vector<float> depthwise_weights(const float *weights, int out_channels, int kernel_h,
                                     int kernel_w);
// 1x1 Conv2d.weight [out][in][1][1] -> [in][out].
std::vector<float> pointwise_weights(const float *oi11, int out_channels, int in_channels);

}  // namespace convgen::pytorch
