// Converters from PyTorch's weight layouts to convgen's (TensorFlow/XNNPACK style).
#pragma once

#include <vector>

namespace convgen::pytorch {

// Conv2d.weight OIHW [out][in][kh][kw] -> HWIO [kh][kw][in][out].
std::vector<float> conv2d_weights(const float *oihw, int out_channels, int in_channels,
                                  int kernel_h, int kernel_w);
// Depthwise Conv2d(groups=in).weight [(in*mult)][1][kh][kw] -> [kh][kw][in*mult].
std::vector<float> depthwise_weights(const float *weights, int out_channels, int kernel_h,
                                     int kernel_w);
// 1x1 Conv2d.weight [out][in][1][1] -> [in][out].
std::vector<float> pointwise_weights(const float *oi11, int out_channels, int in_channels);

}  // namespace convgen::pytorch
