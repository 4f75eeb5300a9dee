// Standard convolution operator. HWIO weights are already the kernel's (c_out, c_in, kx, ky)
// order, c_out innermost for vector loads; packing copies them into operator-owned memory.
#include "internal.h"

namespace convgen {

using namespace detail;

Conv2d::Conv2d(const Conv2dDesc &d, const float *weights, const float *bias,
               const OperatorOptions &options)
    : OperatorBase(d) {
    auto state = std::make_shared<OperatorState>();
    state->buffers = pack_conv2d(d, weights, bias);
    state->selection = select_kernel(
        OpKind::conv2d, dispatch_key(d.window, 1, d.in_channels, d.out_channels), options);
    state_ = std::move(state);
    log_created(OpKind::conv2d, describe(d), implementation());
}

const Implementation &Conv2d::implementation() const { return state_->selection.impl; }
const Implementation &Conv2d::implementation(const TensorDesc &input) const {
    return state_->selection.for_input(input).impl;
}

void Conv2d::run(const ConstTensor &input, const Tensor &output) const {
    const RunLog log(OpKind::conv2d, verbose() >= 2 ? &implementation(input.desc) : nullptr,
                     input.desc, output.desc);
    state_->shapes.validate(input, output, desc_.in_channels,
                            [this](const TensorDesc &in) { return output_desc(in); });
    BufferView in(input.data, input.desc), out(output.data, output.desc);
    BufferView weights(state_->buffers[0]), bias(state_->buffers[1]);
    call_kernel<conv2d_kernel_t>(
        state_->selection.for_input(input.desc),
        conv2d_args(desc_, input.desc, {in.raw(), {weights.raw(), bias.raw()}, out.raw()}));
}

void conv2d(const Conv2dDesc &desc, const float *weights, const float *bias,
            const ConstTensor &input, const Tensor &output) {
    Conv2d(desc, weights, bias).run(input, output);
}

}  // namespace convgen
