// Depthwise convolution operator. [kh][kw][c*m] weights are the kernel's (c*m, kx, ky) order.
#include "internal.h"

namespace convgen {

using namespace detail;

Depthwise::Depthwise(const DepthwiseDesc &d, const float *weights, const float *bias,
                     const OperatorOptions &options)
    : CpuOperator(d) {
    auto state = std::make_shared<DepthwiseState>(OpKind::depthwise, d);
    state->buffers = pack_depthwise(d, weights, bias);
    state->selection = select_kernel(
        OpKind::depthwise, dispatch_key(d.window, d.multiplier, d.channels, d.out_channels()),
        options);
    state_ = std::move(state);
    log_created(OpKind::depthwise, describe(d), implementation());
}

template <>
void detail::OpState<DepthwiseDesc>::launch(const ConstTensor &input, const Tensor &output,
                                    const RunContext &run) const {
    BufferView in(input.data, input.desc), out(output.data, output.desc);
    BufferView weights(buffers[0]), bias(buffers[1]);
    call_kernel<depthwise_kernel_t>(
        selection.for_input(input.desc, run.variant_threads), run,
        depthwise_args(desc, input.desc, {in.raw(), {weights.raw(), bias.raw()}, out.raw()}));
}

void depthwise_conv2d(const DepthwiseDesc &desc, const float *weights, const float *bias,
                      const ConstTensor &input, const Tensor &output) {
    Depthwise(desc, weights, bias).run(input, output);
}

}  // namespace convgen
