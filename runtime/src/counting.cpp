// Output shapes of windowed ops (each op's own output_desc and cost are in runtime/src/ops/).
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

}  // namespace convgen
