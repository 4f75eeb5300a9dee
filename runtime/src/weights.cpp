// PyTorch conventions -> convgen: Conv2d arguments as descriptors, weight layouts.
#include "convgen/weights.h"

#include <cmath>
#include <cstdint>
#include <utility>

#include "internal.h"

namespace convgen::pytorch {

using detail::check_not_null;
using detail::check_positive;
using detail::checked_elements;

// ---- torchvision's InvertedResidual -------------------------------------------------------

InvertedResidualDesc inverted_residual_desc(const InvertedResidualArgs &a) {
    check_positive("args.inp", a.inp), check_positive("args.oup", a.oup);
    check_positive("args.stride", a.stride), check_positive("args.kernel", a.kernel);
    if (a.kernel % 2 == 0) {
        detail::fail(ErrorCode::invalid_argument, "args.kernel",
                     "args.kernel = " + std::to_string(a.kernel) +
                         ": PyTorch's padding (kernel - 1) / 2 keeps the size for odd kernels only");
    }
    // torchvision: hidden_dim = int(round(inp * expand_ratio)).
    const double hidden = std::round(a.inp * a.expand_ratio);
    if (!(a.expand_ratio > 0) || !(hidden >= 1) || hidden > INT32_MAX) {
        detail::fail(ErrorCode::invalid_argument, "args.expand_ratio",
                     "args.expand_ratio = " + std::to_string(a.expand_ratio) +
                         " gives no valid hidden channel count for inp = " +
                         std::to_string(a.inp));
    }
    InvertedResidualDesc d;
    d.in_channels = a.inp;
    d.expanded_channels = a.expand_ratio == 1 ? a.inp : int(hidden);
    d.out_channels = a.oup;
    const int pad = (a.kernel - 1) / 2;
    d.window = Window{a.kernel, a.kernel, a.stride, a.stride, 1, 1, Padding::symmetric(pad)};
    d.expand_activation = d.dw_activation = Activation::relu6();
    d.activation = Activation::none();
    d.residual = true;  // added where stride == 1 and inp == oup (has_residual)
    return d;
}

// ---- torch.nn.Conv2d arguments ----------------------------------------------------------

Window window(const Conv2dArgs &a) {
    check_positive("args.kernel_h", a.kernel_h), check_positive("args.kernel_w", a.kernel_w);
    check_positive("args.stride_h", a.stride_h), check_positive("args.stride_w", a.stride_w);
    check_positive("args.dilation_h", a.dilation_h);
    check_positive("args.dilation_w", a.dilation_w);
    Window w{a.kernel_h, a.kernel_w, a.stride_h, a.stride_w, a.dilation_h, a.dilation_w, {}};
    if (a.padding_same) {
        if (a.stride_h != 1 || a.stride_w != 1) {
            detail::fail(ErrorCode::invalid_argument, "args.padding_same",
                         "padding=\"same\" needs stride 1 (as in PyTorch); stride is " +
                             std::to_string(a.stride_h) + "x" + std::to_string(a.stride_w));
        }
        // (k - 1) * d in all, the odd pixel at the bottom/right, as torch pads for "same".
        const int64_t th = int64_t(a.kernel_h - 1) * a.dilation_h;
        const int64_t tw = int64_t(a.kernel_w - 1) * a.dilation_w;
        if (th > INT32_MAX || tw > INT32_MAX) {
            detail::fail(ErrorCode::overflow, "args.padding_same",
                         "padding=\"same\" needs more than 2^31 pixels of padding");
        }
        w.padding = Padding::explicit_pads(int(th / 2), int(tw / 2), int(th - th / 2),
                                           int(tw - tw / 2));
        return w;
    }
    if (a.padding_h < 0) {
        detail::fail(ErrorCode::invalid_argument, "args.padding_h",
                     "args.padding_h = " + std::to_string(a.padding_h) + " is negative");
    }
    if (a.padding_w < 0) {
        detail::fail(ErrorCode::invalid_argument, "args.padding_w",
                     "args.padding_w = " + std::to_string(a.padding_w) + " is negative");
    }
    w.padding = Padding::explicit_pads(a.padding_h, a.padding_w, a.padding_h, a.padding_w);
    return w;
}

namespace {
void check_channels(const Conv2dArgs &a) {
    check_positive("args.in_channels", a.in_channels);
    check_positive("args.out_channels", a.out_channels);
    check_positive("args.groups", a.groups);
}
}  // namespace

Conv2dDesc conv2d_desc(const Conv2dArgs &a, Activation activation) {
    check_channels(a);
    if (a.groups != 1) {
        detail::fail(ErrorCode::unsupported, "args.groups",
                     "args.groups = " + std::to_string(a.groups) +
                         ": a standard conv has groups 1 (groups = in_channels is depthwise: "
                         "pytorch::depthwise_desc; other groupings are not supported)");
    }
    return {a.in_channels, a.out_channels, window(a), activation};
}

DepthwiseDesc depthwise_desc(const Conv2dArgs &a, Activation activation) {
    check_channels(a);
    if (a.groups != a.in_channels) {
        detail::fail(ErrorCode::unsupported, "args.groups",
                     "args.groups = " + std::to_string(a.groups) +
                         ": a depthwise conv has groups = in_channels (" +
                         std::to_string(a.in_channels) + ")");
    }
    if (a.out_channels % a.in_channels != 0) {
        detail::fail(ErrorCode::invalid_argument, "args.out_channels",
                     "args.out_channels = " + std::to_string(a.out_channels) +
                         " is not a multiple of in_channels = " + std::to_string(a.in_channels));
    }
    return {a.in_channels, a.out_channels / a.in_channels, window(a), activation};
}

PointwiseDesc pointwise_desc(const Conv2dArgs &a, Activation activation) {
    check_channels(a);
    const Padding p = window(a).padding;
    const std::pair<const char *, bool> rules[] = {
        {"args.groups", a.groups != 1},
        {"args.kernel_h", a.kernel_h != 1},
        {"args.kernel_w", a.kernel_w != 1},
        {"args.stride_h", a.stride_h != 1},
        {"args.stride_w", a.stride_w != 1},
        {"args.padding_h", p.top != 0 || p.bottom != 0},
        {"args.padding_w", p.left != 0 || p.right != 0},
    };
    for (const auto &[field, broken] : rules) {
        if (broken) {
            detail::fail(ErrorCode::invalid_argument, field,
                         std::string(field) + ": a pointwise conv is 1x1, stride 1, no padding, "
                                              "groups 1 (pytorch::conv2d_desc takes the others)");
        }
    }
    return {a.in_channels, a.out_channels, activation};
}

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
