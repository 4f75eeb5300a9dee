// MobileNetV1 (224x224 input, width 1.0): its 13 depthwise-separable blocks, as the distinct
// (c_in, c_out, input size, depthwise stride) shapes. The 512->512 14x14 block occurs five times
// in the network; it is benchmarked once.
#pragma once

#include <string>
#include <vector>

namespace convgen_bench {

struct Layer {
    int c_in, c_out, size, stride;  // input is [1, size, size, c_in]; kernel 3x3, padding SAME
    // "c128_128_56_s1"
    std::string tag() const {
        return "c" + std::to_string(c_in) + "_" + std::to_string(c_out) + "_" +
               std::to_string(size) + "_s" + std::to_string(stride);
    }
    // Spatial size after the depthwise (SAME padding: ceil(size / stride)).
    int out_size() const { return (size + stride - 1) / stride; }
};

inline const std::vector<Layer> &mobilenet_v1_layers() {
    static const std::vector<Layer> layers = {
        {32, 64, 112, 1},   {64, 128, 112, 2}, {128, 128, 56, 1},
        {128, 256, 56, 2},  {256, 256, 28, 1}, {256, 512, 28, 2},
        {512, 512, 14, 1},  {512, 1024, 14, 2}, {1024, 1024, 7, 1},
    };
    return layers;
}

}  // namespace convgen_bench
