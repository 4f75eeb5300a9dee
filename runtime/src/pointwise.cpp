// Pointwise (1x1) convolution operator. [in][out] weights are packed in blocks of output
// channels (abi/weight_layout.h).
#include "internal.h"

namespace convgen {

using namespace detail;

Pointwise::Pointwise(const PointwiseDesc &d, const float *weights, const float *bias,
                     const OperatorOptions &options)
    : CpuOperator(d) {
    auto state = std::make_shared<PointwiseState>(OpKind::pointwise, d);
    state->buffers = pack_pointwise(d, weights, bias, abi::kCpuWeightBlock);
    state->selection = select_kernel(OpKind::pointwise, pointwise_key(d), options);
    state_ = std::move(state);
    log_created(OpKind::pointwise, describe(d), implementation());
}

namespace {

bool rows_back_to_back(const TensorDesc &d) {
    const auto s = d.effective_strides();  // n, h, w, c
    return s[1] == d.w * s[2];
}

// The same pixels as one row of h * w (rows_back_to_back must hold).
TensorDesc as_one_row(const TensorDesc &d) {
    const auto s = d.effective_strides();
    TensorDesc row = d;
    row.h = 1;
    row.w = d.h * d.w;
    row.strides = {s[0], row.w * s[2], s[2], s[3]};
    return row;
}

}  // namespace

// A 1x1 conv treats every pixel alike, so short rows (abi::pointwise_as_one_row) that lie back
// to back in both tensors run as one long row. The kernels tile a row's pixels and recompute an overlapping tile at
// its end: a 14- or 7-pixel row pays that on every row (12-14% more work for 4-pixel tiles),
// and a kernel that packs its weight panel per strip of rows packs it once instead of per
// strip. Zen 3, AVX2, 1 thread: MobileNetV1's 14x14 512 -> 512 layer 1.3x alone, its six
// 14x14 pointwise layers 1.15x inside the network chain. Long rows keep their shape: their
// rows are the parallel tasks.
template <>
void detail::OpState<PointwiseDesc>::launch(const ConstTensor &input, const Tensor &output,
                                    const RunContext &run) const {
    const bool one_row = abi::pointwise_as_one_row(input.desc.h, input.desc.w) &&
                         rows_back_to_back(input.desc) && rows_back_to_back(output.desc);
    BufferView in(input.data, one_row ? as_one_row(input.desc) : input.desc);
    BufferView out(output.data, one_row ? as_one_row(output.desc) : output.desc);
    BufferView weights(buffers[0]), bias(buffers[1]);
    call_kernel<pointwise_kernel_t>(
        selection.for_input(input.desc, run.variant_threads), run,
        pointwise_args(desc, {in.raw(), {weights.raw(), bias.raw()}, out.raw()},
                       run.parallel.effective_threads()));
}

void pointwise_conv2d(const PointwiseDesc &desc, const float *weights, const float *bias,
                      const ConstTensor &input, const Tensor &output) {
    Pointwise(desc, weights, bias).run(input, output);
}

}  // namespace convgen
