// Pointwise (1x1) convolution operator. [in][out] weights are the kernel's (c_out, c_in) order.
#include "internal.h"

namespace convgen {

using namespace detail;

Pointwise::Pointwise(const PointwiseDesc &d, const float *weights, const float *bias,
                     const OperatorOptions &options)
    : desc_(d) {
    auto state = std::make_shared<OperatorState>();
    state->buffers = pack_pointwise(d, weights, bias);
    state->selection = select_kernel(OpKind::pointwise, pointwise_key(d), options);
    state_ = std::move(state);
}

TensorDesc Pointwise::output_desc(const TensorDesc &input) const {
    return TensorDesc::nhwc(input.n, input.h, input.w, desc_.out_channels);
}

const Implementation &Pointwise::implementation() const { return state_->selection.impl; }
const Implementation &Pointwise::implementation(const TensorDesc &input) const {
    return state_->selection.for_input(input).impl;
}

void Pointwise::run(const ConstTensor &input, const Tensor &output) const {
    state_->shapes.validate(input, output, desc_.in_channels,
                            [this](const TensorDesc &in) { return output_desc(in); });
    call_pointwise(*state_, desc_, input, output);
}

void detail::call_pointwise(const OperatorState &state, const PointwiseDesc &desc,
                            const ConstTensor &input, const Tensor &output) {
    BufferView in(input.data, input.desc), out(output.data, output.desc);
    BufferView weights(state.buffers[0]), bias(state.buffers[1]);
    call_kernel<pointwise_kernel_t>(
        state.selection.for_input(input.desc),
        pointwise_args(desc, {in.raw(), {weights.raw(), bias.raw()}, out.raw()}));
}

void pointwise_conv2d(const PointwiseDesc &desc, const float *weights, const float *bias,
                      const ConstTensor &input, const Tensor &output) {
    Pointwise(desc, weights, bias).run(input, output);
}

}  // namespace convgen
