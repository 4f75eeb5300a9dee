// Depthwise convolution operator. [kh][kw][c*m] weights are the kernel's (c*m, kx, ky) order.
#include "internal.h"

namespace convgen {

using namespace detail;

Depthwise::Depthwise(const DepthwiseDesc &d, const float *weights, const float *bias,
                     const OperatorOptions &options)
    : desc_(d) {
    auto state = std::make_shared<OperatorState>();
    state->buffers = pack_depthwise(d, weights, bias);
    state->selection = select_kernel(
        OpKind::depthwise, dispatch_key(d.window, d.multiplier, d.channels, d.out_channels()),
        options);
    state_ = std::move(state);
}

TensorDesc Depthwise::output_desc(const TensorDesc &input) const {
    return convgen::output_desc(desc_.window, desc_.out_channels(), input);
}

const Implementation &Depthwise::implementation() const { return state_->selection.impl; }
const Implementation &Depthwise::implementation(const TensorDesc &input) const {
    return state_->selection.for_input(input).impl;
}

void Depthwise::run(const ConstTensor &input, const Tensor &output) const {
    state_->shapes.validate(input, output, desc_.channels,
                            [this](const TensorDesc &in) { return output_desc(in); });
    call_depthwise(*state_, desc_, input, output);
}

void detail::call_depthwise(const OperatorState &state, const DepthwiseDesc &desc,
                            const ConstTensor &input, const Tensor &output) {
    const auto &w = desc.window;
    const ResolvedPadding pad = resolve_padding(w, input.desc);
    const ClampBounds act = activation_bounds(desc.activation);
    BufferView in(input.data, input.desc), out(output.data, output.desc);
    BufferView weights(state.buffers[0]), bias(state.buffers[1]);
    const Choice &choice = state.selection.for_input(input.desc);
    abi::DepthwiseArgs<halide_buffer_t *> args{.input = in.raw(),
                                               .weights = weights.raw(),
                                               .bias = bias.raw(),
                                               .channel_multiplier = desc.multiplier,
                                               .act_min = act.min,
                                               .act_max = act.max,
                                               .output = out.raw()};
    set_window(args, w, pad);
    check_kernel_result(abi::call(reinterpret_cast<depthwise_kernel_t *>(choice.kernel), args),
                        choice.impl.variant, choice.impl.schedule);
}

void depthwise_conv2d(const DepthwiseDesc &desc, const float *weights, const float *bias,
                      const ConstTensor &input, const Tensor &output) {
    Depthwise(desc, weights, bias).run(input, output);
}

}  // namespace convgen
