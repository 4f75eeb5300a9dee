// Pointwise (1x1) convolution: everything the runtime knows about it (op_traits.h). [in][out]
// weights are packed in blocks of output channels (abi/weight_layout.h).
#include "convgen/counting.h"
#include "op_traits.h"

namespace convgen {

using namespace detail;
using Traits = OpTraits<PointwiseDesc>;

int64_t Traits::input_channels(const PointwiseDesc &d) { return d.in_channels; }

// 1x1, stride 1: the window fixes nothing; tuned variants match the channels.
DispatchKey Traits::key(const PointwiseDesc &d) {
    DispatchKey key;
    key.in_channels = d.in_channels;
    key.out_channels = d.out_channels;
    key.identity_activations = identity_activations({d.activation});
    return key;
}

std::vector<PackedBuffer> Traits::pack(const PointwiseDesc &d, const WeightPointers &w,
                                       int block) {
    check_positive("desc.in_channels", d.in_channels);
    check_positive("desc.out_channels", d.out_channels);
    validate_activation(d.activation, "desc.activation");
    check_not_null("weights", w[0]);
    checked_elements("weights", {d.in_channels, d.out_channels});
    return {pack_blocked("weights", w[0], {d.in_channels}, d.out_channels, block),
            pack_copy(w[1], d.out_channels, {d.out_channels})};
}

// threads: the call's (abi::PointwiseArgs::threads; GPU kernels ignore it).
Traits::Args<halide_buffer_t *> Traits::args(const PointwiseDesc &d, const TensorDesc &,
                                             const KernelBuffers &b, int threads) {
    const KernelActivation act = kernel_activation(d.activation);
    return {.input = b.input,
            .weights = b.weights[0],
            .bias = b.weights[1],
            .act_min = act.min,
            .act_max = act.max,
            .act_kind = act.kind(),
            .threads = threads,
            .output = b.output};
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
// to back in both tensors run as one long row. The kernels tile a row's pixels and recompute
// an overlapping tile at its end: a 14- or 7-pixel row pays that on every row (12-14% more
// work for 4-pixel tiles), and a kernel that packs its weight panel per strip of rows packs
// it once instead of per strip. Zen 3, AVX2, 1 thread: MobileNetV1's 14x14 512 -> 512 layer
// 1.3x alone, its six 14x14 pointwise layers 1.15x inside the network chain. Long rows keep
// their shape: their rows are the parallel tasks.
void Traits::launch(const OpState<PointwiseDesc> &s, const ConstTensor &input,
                    const Tensor &output, const RunContext &run) {
    const bool one_row = abi::pointwise_as_one_row(input.desc.h, input.desc.w) &&
                         rows_back_to_back(input.desc) && rows_back_to_back(output.desc);
    call_selected(s, input, output, run, one_row ? as_one_row(input.desc) : input.desc,
                  one_row ? as_one_row(output.desc) : output.desc);
}

std::string Traits::describe(const PointwiseDesc &d) {
    return "ic" + std::to_string(d.in_channels) + " oc" + std::to_string(d.out_channels) +
           " act:" + describe_activation(d.activation);
}

TensorDesc output_desc(const PointwiseDesc &d, const TensorDesc &input) {
    return TensorDesc::nhwc(input.n, input.h, input.w, d.out_channels);
}

Cost cost(const PointwiseDesc &d, const TensorDesc &in, bool bias) {
    const int64_t out_elements = in.n * in.h * in.w * int64_t(d.out_channels);
    return {int64_t(d.in_channels) * d.out_channels, bias ? d.out_channels : 0,
            2 * out_elements * d.in_channels};
}

Pointwise::Pointwise(const PointwiseDesc &d, const float *weights, const float *bias,
                     const OperatorOptions &options)
    : CpuOperator(d) {
    state_ = new_state(d, {weights, bias}, options);
}

void pointwise_conv2d(const PointwiseDesc &desc, const float *weights, const float *bias,
                      const ConstTensor &input, const Tensor &output) {
    Pointwise(desc, weights, bias).run(input, output);
}

}  // namespace convgen
