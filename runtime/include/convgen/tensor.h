// Activations are NHWC float32 tensors. Strides are in elements, in NHWC order; leave them all
// zero for a dense tensor. The channel stride must be 1 (kernels vectorise over channels).
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace convgen {

enum class DataType { f32 };  // room for f16 / bf16 / int8

struct TensorDesc {
    int64_t n = 0, h = 0, w = 0, c = 0;
    std::array<int64_t, 4> strides{};  // {n, h, w, c} strides in elements; all 0 = dense
    DataType dtype = DataType::f32;

    static TensorDesc nhwc(int64_t n, int64_t h, int64_t w, int64_t c) {
        return TensorDesc{n, h, w, c};
    }
    // The strides actually used: the given ones, or dense NHWC.
    std::array<int64_t, 4> effective_strides() const {
        if (strides != std::array<int64_t, 4>{}) return strides;
        return {h * w * c, w * c, c, 1};
    }
    int64_t elements() const { return n * h * w * c; }
    bool same_shape(const TensorDesc &o) const {
        return n == o.n && h == o.h && w == o.w && c == o.c;
    }
    std::string to_string() const;  // "[n,h,w,c]"
};

struct ConstTensor {
    const float *data = nullptr;
    TensorDesc desc;
};

struct Tensor {
    float *data = nullptr;
    TensorDesc desc;
};

}  // namespace convgen
