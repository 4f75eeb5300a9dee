// Standard convolution operator. HWIO weights are already the kernel's (c_out, c_in, kx, ky)
// order, c_out innermost for vector loads; packing copies them into operator-owned memory.
#include "internal.h"

namespace convgen {

using namespace detail;

Conv2d::Conv2d(const Conv2dDesc &d, const float *weights, const float *bias,
               const OperatorOptions &options)
    : desc_(d) {
    auto state = std::make_shared<OperatorState>();
    state->buffers = pack_conv2d(d, weights, bias);
    state->selection = select_kernel(
        OpKind::conv2d, dispatch_key(d.window, 1, d.in_channels, d.out_channels), options);
    state_ = std::move(state);
}

TensorDesc Conv2d::output_desc(const TensorDesc &input) const {
    return convgen::output_desc(desc_.window, desc_.out_channels, input);
}

const Implementation &Conv2d::implementation() const { return state_->selection.impl; }
const Implementation &Conv2d::implementation(const TensorDesc &input) const {
    return state_->selection.for_input(input).impl;
}

void Conv2d::run(const ConstTensor &input, const Tensor &output) const {
    state_->shapes.validate(input, output, desc_.in_channels,
                            [this](const TensorDesc &in) { return output_desc(in); });
    const auto &w = desc_.window;
    const ResolvedPadding pad = resolve_padding(w, input.desc);
    const ClampBounds act = activation_bounds(desc_.activation);
    BufferView in(input.data, input.desc), out(output.data, output.desc);
    BufferView weights(state_->buffers[0]), bias(state_->buffers[1]);
    const Choice &choice = state_->selection.for_input(input.desc);
    abi::Conv2dArgs<halide_buffer_t *> args{.input = in.raw(),
                                            .weights = weights.raw(),
                                            .bias = bias.raw(),
                                            .act_min = act.min,
                                            .act_max = act.max,
                                            .output = out.raw()};
    set_window(args, w, pad);
    check_kernel_result(abi::call(reinterpret_cast<conv2d_kernel_t *>(choice.kernel), args),
                        choice.impl.variant, choice.impl.schedule);
}

void conv2d(const Conv2dDesc &desc, const float *weights, const float *bias,
            const ConstTensor &input, const Tensor &output) {
    Conv2d(desc, weights, bias).run(input, output);
}

}  // namespace convgen
