// Standard convolution operator. HWIO weights are already the kernel's (c_out, c_in, kx, ky)
// order, c_out innermost for vector loads; packing copies them into operator-owned memory.
#include "internal.h"

namespace convgen {

using namespace detail;

Conv2d::Conv2d(const Conv2dDesc &d, const float *weights, const float *bias,
               const OperatorOptions &options)
    : CpuOperator(d) {
    auto state = std::make_shared<Conv2dState>(OpKind::conv2d, d);
    state->buffers = pack_conv2d(d, weights, bias, abi::kCpuWeightBlock);
    state->selection = select_kernel(
        OpKind::conv2d, dispatch_key(d.window, 1, d.in_channels, d.out_channels), options);
    state_ = std::move(state);
    log_created(OpKind::conv2d, describe(d), implementation());
}

template <>
void detail::OpState<Conv2dDesc>::launch(const ConstTensor &input, const Tensor &output,
                                 const RunContext &run) const {
    BufferView in(input.data, input.desc), out(output.data, output.desc);
    BufferView weights(buffers[0]), bias(buffers[1]);
    call_kernel<conv2d_kernel_t>(
        selection.for_input(input.desc, run.variant_threads), run,
        conv2d_args(desc, input.desc, {in.raw(), {weights.raw(), bias.raw()}, out.raw()}));
}

void conv2d(const Conv2dDesc &desc, const float *weights, const float *bias,
            const ConstTensor &input, const Tensor &output) {
    Conv2d(desc, weights, bias).run(input, output);
}

}  // namespace convgen
