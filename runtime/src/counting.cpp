// Output shapes, parameter and FLOP counts.
#include "convgen/counting.h"

#include "internal.h"
#include "window_math.h"

namespace convgen {

std::string TensorDesc::to_string() const {
    return "[" + std::to_string(n) + "," + std::to_string(h) + "," + std::to_string(w) + "," +
           std::to_string(c) + "]";
}

TensorDesc output_desc(const Window &w, int out_channels, const TensorDesc &in) {
    detail::validate_window(w, "desc.window");
    int64_t pad_h = 0, pad_w = 0;
    switch (w.padding.mode) {
    case Padding::Mode::explicit_pads:
        pad_h = int64_t(w.padding.top) + w.padding.bottom;
        pad_w = int64_t(w.padding.left) + w.padding.right;
        break;
    case Padding::Mode::same:
        return TensorDesc::nhwc(in.n, int(window_math::same_extent(in.h, w.stride_h)),
                                int(window_math::same_extent(in.w, w.stride_w)), out_channels);
    case Padding::Mode::valid: break;
    }
    const int64_t oh = window_math::extent(in.h, pad_h, w.kernel_h, w.stride_h, w.dilation_h);
    const int64_t ow = window_math::extent(in.w, pad_w, w.kernel_w, w.stride_w, w.dilation_w);
    if (oh <= 0 || ow <= 0) {
        // Blame the padding where there is some on the failing axis, else the kernel's size.
        const bool h_fails = oh <= 0;
        const char *field = (h_fails ? pad_h : pad_w) > 0 ? "desc.window.padding"
                            : h_fails                   ? "desc.window.kernel_h"
                                                        : "desc.window.kernel_w";
        detail::fail(ErrorCode::invalid_argument, field,
                     "input " + std::to_string(in.h) + "x" + std::to_string(in.w) +
                         " padded by " + std::to_string(pad_h) + "x" + std::to_string(pad_w) +
                         " is smaller than the dilated kernel " +
                         std::to_string(window_math::span(w.kernel_h, w.dilation_h)) + "x" +
                         std::to_string(window_math::span(w.kernel_w, w.dilation_w)) +
                         ": no output");
    }
    return TensorDesc::nhwc(in.n, oh, ow, out_channels);
}

TensorDesc output_desc(const Conv2dDesc &d, const TensorDesc &input) {
    return output_desc(d.window, d.out_channels, input);
}
TensorDesc output_desc(const DepthwiseDesc &d, const TensorDesc &input) {
    return output_desc(d.window, d.out_channels(), input);
}
TensorDesc output_desc(const PointwiseDesc &d, const TensorDesc &input) {
    return TensorDesc::nhwc(input.n, input.h, input.w, d.out_channels);
}
TensorDesc output_desc(const SeparableDesc &d, const TensorDesc &input) {
    return output_desc(d.window, d.out_channels, input);
}

Cost cost(const Conv2dDesc &d, const TensorDesc &in, bool bias) {
    const TensorDesc out = output_desc(d.window, d.out_channels, in);
    const int64_t taps = int64_t(d.window.kernel_h) * d.window.kernel_w * d.in_channels;
    return {taps * d.out_channels, bias ? d.out_channels : 0, 2 * out.elements() * taps};
}

Cost cost(const DepthwiseDesc &d, const TensorDesc &in, bool bias) {
    const TensorDesc out = output_desc(d.window, d.out_channels(), in);
    const int64_t taps = int64_t(d.window.kernel_h) * d.window.kernel_w;
    return {taps * d.out_channels(), bias ? d.out_channels() : 0, 2 * out.elements() * taps};
}

Cost cost(const PointwiseDesc &d, const TensorDesc &in, bool bias) {
    const int64_t out_elements = in.n * in.h * in.w * int64_t(d.out_channels);
    return {int64_t(d.in_channels) * d.out_channels, bias ? d.out_channels : 0,
            2 * out_elements * d.in_channels};
}

Cost cost(const SeparableDesc &d, const TensorDesc &in, bool dw_bias, bool pw_bias) {
    const Cost dw = cost(d.depthwise(), in, dw_bias);
    const TensorDesc mid = output_desc(d.window, d.depthwise().out_channels(), in);
    const Cost pw = cost(d.pointwise(), mid, pw_bias);
    return {dw.weights + pw.weights, dw.biases + pw.biases, dw.flops + pw.flops};
}

}  // namespace convgen
