// Shape and padding arithmetic of a convolution window along one axis, with no dependency:
// the one definition the runtime (output_desc, SAME padding), the problem strings, the
// benchmark's peers and the tuner use.
#pragma once

#include <cstdint>

namespace convgen::window_math {

// The dilated kernel's span: dilation * (k - 1) + 1.
constexpr int64_t span(int k, int dilation) { return int64_t(dilation) * (k - 1) + 1; }

// Output extent for an input extent `in` with `pad` pixels of padding in all (before + after);
// 0 when the dilated kernel does not fit.
constexpr int64_t extent(int64_t in, int64_t pad, int k, int stride, int dilation) {
    const int64_t room = in + pad - span(k, dilation);
    return room < 0 ? 0 : room / stride + 1;
}

// TensorFlow SAME: the output extent is ceil(in / stride) whatever the kernel, and the padding
// that needs is split with the odd pixel after: before = total / 2, after = the rest.
constexpr int64_t same_extent(int64_t in, int stride) { return (in + stride - 1) / stride; }
constexpr int64_t same_pad_total(int64_t in, int k, int stride, int dilation) {
    const int64_t total = (same_extent(in, stride) - 1) * stride + span(k, dilation) - in;
    return total > 0 ? total : 0;
}
constexpr int64_t same_pad_before(int64_t in, int k, int stride, int dilation) {
    return same_pad_total(in, k, stride, dilation) / 2;
}
constexpr int64_t same_pad_after(int64_t in, int k, int stride, int dilation) {
    return same_pad_total(in, k, stride, dilation) - same_pad_before(in, k, stride, dilation);
}

static_assert(extent(5, 2, 3, 1, 1) == 5 && extent(2, 0, 3, 1, 1) == 0);
static_assert(same_extent(224, 2) == 112 && same_pad_before(224, 3, 2, 1) == 0 &&
              same_pad_after(224, 3, 2, 1) == 1);

}  // namespace convgen::window_math
