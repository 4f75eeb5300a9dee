// Each op's descriptor and weights, validated and packed into the kernels' layout (Halide
// dimension order, innermost first). The CPU and GPU operators share these, so both accept and
// refuse exactly the same input with the same errors.
#include "internal.h"

namespace convgen::detail {

std::vector<PackedBuffer> pack_conv2d(const Conv2dDesc &d, const float *weights,
                                      const float *bias, int block) {
    check_positive("desc.in_channels", d.in_channels);
    check_positive("desc.out_channels", d.out_channels);
    validate_window(d.window, "desc.window");
    validate_activation(d.activation, "desc.activation");
    check_not_null("weights", weights);
    const auto &w = d.window;
    checked_elements("weights", {w.kernel_h, w.kernel_w, d.in_channels, d.out_channels});
    return {pack_blocked("weights", weights, {d.in_channels, w.kernel_w, w.kernel_h},
                         d.out_channels, block),
            pack_copy(bias, d.out_channels, {d.out_channels})};
}

std::vector<PackedBuffer> pack_depthwise(const DepthwiseDesc &d, const float *weights,
                                         const float *bias) {
    check_positive("desc.channels", d.channels);
    check_positive("desc.multiplier", d.multiplier);
    checked_elements("desc.channels * desc.multiplier", {d.channels, d.multiplier});
    validate_window(d.window, "desc.window");
    validate_activation(d.activation, "desc.activation");
    check_not_null("weights", weights);
    const auto &w = d.window;
    const int oc = d.out_channels();
    const int64_t count = checked_elements("weights", {w.kernel_h, w.kernel_w, oc});
    return {pack_copy(weights, count, {oc, w.kernel_w, w.kernel_h}), pack_copy(bias, oc, {oc})};
}

std::vector<PackedBuffer> pack_pointwise(const PointwiseDesc &d, const float *weights,
                                         const float *bias, int block) {
    check_positive("desc.in_channels", d.in_channels);
    check_positive("desc.out_channels", d.out_channels);
    validate_activation(d.activation, "desc.activation");
    check_not_null("weights", weights);
    checked_elements("weights", {d.in_channels, d.out_channels});
    return {pack_blocked("weights", weights, {d.in_channels}, d.out_channels, block),
            pack_copy(bias, d.out_channels, {d.out_channels})};
}

std::vector<PackedBuffer> pack_separable(const SeparableDesc &d, const float *dw_weights,
                                         const float *dw_bias, const float *pw_weights,
                                         const float *pw_bias, int block) {
    check_positive("desc.in_channels", d.in_channels);
    check_positive("desc.multiplier", d.multiplier);
    check_positive("desc.out_channels", d.out_channels);
    checked_elements("desc.in_channels * desc.multiplier", {d.in_channels, d.multiplier});
    validate_window(d.window, "desc.window");
    validate_activation(d.dw_activation, "desc.dw_activation");
    validate_activation(d.activation, "desc.activation");
    check_not_null("dw_weights", dw_weights);
    check_not_null("pw_weights", pw_weights);
    const auto &w = d.window;
    const int mid = d.in_channels * d.multiplier;
    const int64_t dw_count = checked_elements("dw_weights", {w.kernel_h, w.kernel_w, mid});
    checked_elements("pw_weights", {mid, d.out_channels});
    return {pack_copy(dw_weights, dw_count, {mid, w.kernel_w, w.kernel_h}),
            pack_copy(dw_bias, mid, {mid}),
            pack_blocked("pw_weights", pw_weights, {mid}, d.out_channels, block),
            pack_copy(pw_bias, d.out_channels, {d.out_channels})};
}

}  // namespace convgen::detail
