// Each op's descriptor and buffers as its kernel's arguments (abi/kernel_abi.h): the one place
// the window's (h, w) pairs become the kernels' (x, y), padding is resolved for the input and
// activations become clamp bounds. The CPU and GPU operators both call kernels through these.
#include "internal.h"

namespace convgen::detail {

namespace {
template <typename Args>
void set_window(Args &args, const Window &w, const TensorDesc &input) {
    const ResolvedPadding pad = resolve_padding(w, input);
    args.stride_x = w.stride_w, args.stride_y = w.stride_h;
    args.dilation_x = w.dilation_w, args.dilation_y = w.dilation_h;
    args.pad_left = pad.left, args.pad_top = pad.top;
}
}  // namespace

abi::Conv2dArgs<halide_buffer_t *> conv2d_args(const Conv2dDesc &d, const TensorDesc &input,
                                               const KernelBuffers &b) {
    const ClampBounds act = activation_bounds(d.activation);
    abi::Conv2dArgs<halide_buffer_t *> a{.input = b.input,
                                         .weights = b.weights[0],
                                         .bias = b.weights[1],
                                         .act_min = act.min,
                                         .act_max = act.max,
                                         .output = b.output};
    set_window(a, d.window, input);
    return a;
}

abi::DepthwiseArgs<halide_buffer_t *> depthwise_args(const DepthwiseDesc &d,
                                                     const TensorDesc &input,
                                                     const KernelBuffers &b) {
    const ClampBounds act = activation_bounds(d.activation);
    abi::DepthwiseArgs<halide_buffer_t *> a{.input = b.input,
                                            .weights = b.weights[0],
                                            .bias = b.weights[1],
                                            .channel_multiplier = d.multiplier,
                                            .act_min = act.min,
                                            .act_max = act.max,
                                            .output = b.output};
    set_window(a, d.window, input);
    return a;
}

abi::PointwiseArgs<halide_buffer_t *> pointwise_args(const PointwiseDesc &d,
                                                     const KernelBuffers &b, int threads) {
    const ClampBounds act = activation_bounds(d.activation);
    return {.input = b.input,
            .weights = b.weights[0],
            .bias = b.weights[1],
            .act_min = act.min,
            .act_max = act.max,
            .threads = threads,
            .output = b.output};
}

abi::SeparableArgs<halide_buffer_t *> separable_args(const SeparableDesc &d,
                                                     const TensorDesc &input,
                                                     const KernelBuffers &b) {
    const ClampBounds dw_act = activation_bounds(d.dw_activation);
    const ClampBounds act = activation_bounds(d.activation);
    abi::SeparableArgs<halide_buffer_t *> a{.input = b.input,
                                            .dw_weights = b.weights[0],
                                            .dw_bias = b.weights[1],
                                            .pw_weights = b.weights[2],
                                            .pw_bias = b.weights[3],
                                            .channel_multiplier = d.multiplier,
                                            .dw_min = dw_act.min,
                                            .dw_max = dw_act.max,
                                            .pw_min = act.min,
                                            .pw_max = act.max,
                                            .output = b.output};
    set_window(a, d.window, input);
    return a;
}

}  // namespace convgen::detail
