// Depthwise-separable convolution: everything the runtime knows about it (op_traits.h). The
// operator makes one fused kernel call, no intermediate tensor, unless the CPU's fusion rules
// (kernels.json fusion.cpu) say fusion cannot pay, in which case it runs the depthwise and
// pointwise kernels from its own packed weights.
#include <algorithm>

#include "convgen/counting.h"
#include "op_traits.h"
#include "workspace.h"

namespace convgen {

using namespace detail;
using Traits = OpTraits<SeparableDesc>;

int64_t Traits::input_channels(const SeparableDesc &d) { return d.in_channels; }

DispatchKey Traits::key(const SeparableDesc &d) {
    return {d.window, d.multiplier, d.in_channels, d.out_channels,
            identity_activations({d.dw_activation, d.activation})};
}

// Each half packed as its own op packs it (its depthwise(), pointwise()), so the unfused
// path runs the halves' kernels on these buffers.
std::vector<PackedBuffer> Traits::pack(const SeparableDesc &d, const WeightPointers &w,
                                       int block) {
    check_positive("desc.in_channels", d.in_channels);
    check_positive("desc.multiplier", d.multiplier);
    check_positive("desc.out_channels", d.out_channels);
    checked_elements("desc.in_channels * desc.multiplier", {d.in_channels, d.multiplier});
    validate_window(d.window, "desc.window");
    validate_activation(d.dw_activation, "desc.dw_activation");
    validate_activation(d.activation, "desc.activation");
    check_not_null("dw_weights", w[0]);
    check_not_null("pw_weights", w[2]);
    const auto &win = d.window;
    const int mid = d.in_channels * d.multiplier;
    const int64_t dw_count = checked_elements("dw_weights", {win.kernel_h, win.kernel_w, mid});
    checked_elements("pw_weights", {mid, d.out_channels});
    return {pack_copy(w[0], dw_count, {mid, win.kernel_w, win.kernel_h}),
            pack_copy(w[1], mid, {mid}),
            pack_blocked("pw_weights", w[2], {mid}, d.out_channels, block),
            pack_copy(w[3], d.out_channels, {d.out_channels})};
}

Traits::Args<halide_buffer_t *> Traits::args(const SeparableDesc &d, const TensorDesc &input,
                                             const KernelBuffers &b, int) {
    const KernelActivation dw_act = kernel_activation(d.dw_activation);
    const KernelActivation act = kernel_activation(d.activation);
    Args<halide_buffer_t *> a{.input = b.input,
                              .dw_weights = b.weights[0],
                              .dw_bias = b.weights[1],
                              .pw_weights = b.weights[2],
                              .pw_bias = b.weights[3],
                              .channel_multiplier = d.multiplier,
                              .dw_min = dw_act.min,
                              .dw_max = dw_act.max,
                              .dw_kind = dw_act.kind(),
                              .pw_min = act.min,
                              .pw_max = act.max,
                              .pw_kind = act.kind(),
                              .output = b.output};
    set_window_args(a, d.window, input);
    return a;
}

// The fused kernel; SeparableState::launch runs the halves instead where the rules chose them.
void Traits::launch(const OpState<SeparableDesc> &s, const ConstTensor &input,
                    const Tensor &output, const RunContext &run) {
    call_selected(s, input, output, run, input.desc, output.desc);
}

std::string Traits::describe(const SeparableDesc &d) {
    return "ic" + std::to_string(d.in_channels) + " m" + std::to_string(d.multiplier) + " oc" +
           std::to_string(d.out_channels) + describe_window(d.window) +
           " dwact:" + describe_activation(d.dw_activation) +
           " act:" + describe_activation(d.activation);
}

TensorDesc output_desc(const SeparableDesc &d, const TensorDesc &input) {
    return output_desc(d.window, d.out_channels, input);
}

Cost cost(const SeparableDesc &d, const TensorDesc &in, bool dw_bias, bool pw_bias) {
    const Cost dw = cost(d.depthwise(), in, dw_bias);
    const TensorDesc mid = output_desc(d.window, d.depthwise().out_channels(), in);
    const Cost pw = cost(d.pointwise(), mid, pw_bias);
    return {dw.weights + pw.weights, dw.biases + pw.biases, dw.flops + pw.flops};
}

namespace {

// The unfused path's halves, when the rules chose it: each half's kernel selection and its
// part of the one packing (dw weights and bias, pw weights and bias). A variant forced in
// OperatorOptions always runs fused, as asked.
struct SeparableState : OpState<SeparableDesc> {
    using OpState::OpState;
    std::unique_ptr<OpState<DepthwiseDesc>> dw;
    std::unique_ptr<OpState<PointwiseDesc>> pw;
    void launch(const ConstTensor &input, const Tensor &output,
                const RunContext &run) const override;
};

// "" when a rule of fusion.cpu holds (or there is none), else why none does.
std::string why_not_fused(const SeparableDesc &d) {
    const std::string why =
        rules_broken(fusion_rules(), int64_t(d.in_channels) * d.multiplier, d.out_channels,
                     std::max(d.window.stride_h, d.window.stride_w));
    return why.empty() ? "" : why + " (kernels.json fusion.cpu): runs depthwise then pointwise";
}

}  // namespace

namespace detail {

std::shared_ptr<OperatorState> separable_state(const SeparableDesc &d,
                                               std::vector<PackedBuffer> buffers,
                                               const OperatorOptions &options) {
    auto state = std::make_shared<SeparableState>(d);
    state->buffers = std::move(buffers);
    // One reading of the process-wide ISA cap for all the kernels this operator selects, so
    // a concurrent set_max_isa cannot give its halves different ISAs.
    require_native_isa(options.max_isa, "options.max_isa");
    OperatorOptions snapshot = options;
    snapshot.max_isa = std::min(options.max_isa, max_isa());
    state->selection = select_kernel_for(d, snapshot);
    const std::string why = options.variant.empty() ? why_not_fused(d) : "";
    if (!why.empty()) {
        // Each half runs on its part of the one packing (Traits::pack).
        state->dw = std::make_unique<OpState<DepthwiseDesc>>(d.depthwise());
        state->dw->buffers.push_back(std::move(state->buffers[0]));
        state->dw->buffers.push_back(std::move(state->buffers[1]));
        state->dw->selection = select_kernel_for(d.depthwise(), snapshot);
        state->pw = std::make_unique<OpState<PointwiseDesc>>(d.pointwise());
        state->pw->buffers.push_back(std::move(state->buffers[2]));
        state->pw->buffers.push_back(std::move(state->buffers[3]));
        state->pw->selection = select_kernel_for(d.pointwise(), snapshot);
        state->buffers.clear();  // the halves hold them
        state->selection.shaped.clear();  // fused tuned variants: not what runs here
        Implementation &impl = state->selection.impl;
        impl.declined.push_back({impl.variant, why});
        impl.variant = state->dw->selection.impl.variant + "+" + state->pw->selection.impl.variant;
    }
    return state;
}

}  // namespace detail

Separable::Separable(const SeparableDesc &d, const float *dw_weights, const float *dw_bias,
                     const float *pw_weights, const float *pw_bias,
                     const OperatorOptions &options)
    : CpuOperator(d) {
    state_ = separable_state(
        d, Traits::pack(d, {dw_weights, dw_bias, pw_weights, pw_bias}, abi::kCpuWeightBlock),
        options);
    log_created(d, implementation());
}

// The unfused halves, where the rules chose them; else the fused kernel.
void SeparableState::launch(const ConstTensor &input, const Tensor &output,
                            const RunContext &run) const {
    if (!dw) {
        OpState::launch(input, output, run);
        return;
    }
    // The intermediate's size depends on the input, known only here (Intermediate: the run's
    // workspace, or this site's scratch).
    const TensorDesc mid_desc =
        convgen::output_desc(desc.window, desc.in_channels * desc.multiplier, input.desc);
    // Within the kernels' 2^31-byte limit before any scratch is grown for it.
    const int64_t mid_elements =
        checked_elements("intermediate", {mid_desc.n, mid_desc.h, mid_desc.w, mid_desc.c});
    thread_local CacheLineFloats own;
    const Intermediate mid(run.arena, mid_elements, own);
    dw->launch(input, {mid.data(), mid_desc}, run);
    pw->launch({mid.data(), mid_desc}, output, run);
}

void separable_conv2d(const SeparableDesc &desc, const float *dw_weights, const float *dw_bias,
                      const float *pw_weights, const float *pw_bias, const ConstTensor &input,
                      const Tensor &output) {
    Separable(desc, dw_weights, dw_bias, pw_weights, pw_bias).run(input, output);
}

}  // namespace convgen
