// PyTorch weight layouts -> convgen layouts.
#include "convgen/weights.h"

#include "internal.h"

namespace convgen::pytorch {

using detail::check_not_null;
using detail::check_positive;
using detail::checked_elements;

// The converters' sizes obey the kernels' 2^31-byte limit (checked_elements): a larger weight
// array could not be used by any operator, and the products must not wrap.

std::vector<float> conv2d_weights(const float *oihw, int co, int ci, int kh, int kw) {
    check_not_null("oihw", oihw);
    check_positive("out_channels", co), check_positive("in_channels", ci);
    check_positive("kernel_h", kh), check_positive("kernel_w", kw);
    std::vector<float> hwio(
        checked_elements("out_channels * in_channels * kernel_h * kernel_w", {co, ci, kh, kw}));
    for (int o = 0; o < co; o++)
        for (int i = 0; i < ci; i++)
            for (int y = 0; y < kh; y++)
                for (int x = 0; x < kw; x++)
                    hwio[((size_t(y) * kw + x) * ci + i) * co + o] =
                        oihw[((size_t(o) * ci + i) * kh + y) * kw + x];
    return hwio;
}

std::vector<float> depthwise_weights(const float *w, int channels, int kh, int kw) {
    check_not_null("weights", w);
    check_positive("out_channels", channels);
    check_positive("kernel_h", kh), check_positive("kernel_w", kw);
    std::vector<float> hwc(
        checked_elements("out_channels * kernel_h * kernel_w", {channels, kh, kw}));
    for (int c = 0; c < channels; c++)
        for (int y = 0; y < kh; y++)
            for (int x = 0; x < kw; x++)
                hwc[(size_t(y) * kw + x) * channels + c] = w[(size_t(c) * kh + y) * kw + x];
    return hwc;
}

std::vector<float> pointwise_weights(const float *oi, int co, int ci) {
    check_not_null("weights", oi);
    check_positive("out_channels", co), check_positive("in_channels", ci);
    std::vector<float> io(checked_elements("out_channels * in_channels", {co, ci}));
    for (int o = 0; o < co; o++)
        for (int i = 0; i < ci; i++) io[size_t(i) * co + o] = oi[size_t(o) * ci + i];
    return io;
}

}  // namespace convgen::pytorch
