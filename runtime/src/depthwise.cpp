// Depthwise convolution operator. [kh][kw][c*m] weights are the kernel's (c*m, kx, ky) order.
#include "internal.h"

namespace convgen {

using namespace detail;

Depthwise::Depthwise(const DepthwiseDesc &d, const float *weights, const float *bias,
                     const OperatorOptions &options)
    : OperatorBase(d) {
    auto state = std::make_shared<OperatorState>();
    state->buffers = pack_depthwise(d, weights, bias);
    state->selection = select_kernel(
        OpKind::depthwise, dispatch_key(d.window, d.multiplier, d.channels, d.out_channels()),
        options);
    state_ = std::move(state);
    log_created(OpKind::depthwise, describe(d), implementation());
}

const Implementation &Depthwise::implementation() const { return state_->selection.impl; }
const Implementation &Depthwise::implementation(const TensorDesc &input) const {
    return state_->selection.for_input(input).impl;
}

void Depthwise::run(const ConstTensor &input, const Tensor &output) const {
    const RunLog log(OpKind::depthwise, verbose() >= 2 ? &implementation(input.desc) : nullptr,
                     input.desc, output.desc);
    state_->shapes.validate(input, output, desc_.channels,
                            [this](const TensorDesc &in) { return output_desc(in); });
    call_depthwise(*state_, desc_, input, output);
}

void detail::call_depthwise(const OperatorState &state, const DepthwiseDesc &desc,
                            const ConstTensor &input, const Tensor &output) {
    BufferView in(input.data, input.desc), out(output.data, output.desc);
    BufferView weights(state.buffers[0]), bias(state.buffers[1]);
    call_kernel<depthwise_kernel_t>(
        state.selection.for_input(input.desc),
        depthwise_args(desc, input.desc, {in.raw(), {weights.raw(), bias.raw()}, out.raw()}));
}

void depthwise_conv2d(const DepthwiseDesc &desc, const float *weights, const float *bias,
                      const ConstTensor &input, const Tensor &output) {
    Depthwise(desc, weights, bias).run(input, output);
}

}  // namespace convgen
