// Depthwise-separable operator: one fused kernel call, no intermediate tensor, unless the CPU's
// fusion rules (kernels.json fusion.cpu) say fusion cannot pay, in which case it runs the
// depthwise and pointwise kernels from its own packed weights.
#include <algorithm>

#include "internal.h"

namespace convgen {

using namespace detail;

namespace {

// The unfused path's halves, when the rules chose it: each half's kernel selection and its
// part of the one packing (dw weights and bias, pw weights and bias). A variant forced in
// OperatorOptions always runs fused, as asked.
struct SeparableState : OpState<SeparableDesc> {
    using OpState::OpState;
    std::unique_ptr<DepthwiseState> dw;
    std::unique_ptr<PointwiseState> pw;
    void launch(const ConstTensor &input, const Tensor &output,
                const RunContext &run) const override;
};

// "" when a rule of fusion.cpu holds (or there is none), else why none does.
std::string why_not_fused(const SeparableDesc &d) {
    const int64_t mid = int64_t(d.in_channels) * d.multiplier;
    std::string why;
    const std::vector<FusionRule> rules = fusion_rules();
    if (rules.empty()) return "";
    for (const FusionRule &r : rules) {
        const int stride = std::max(d.window.stride_h, d.window.stride_w);
        const std::string broken = r.broken_by(mid, d.out_channels, -1, stride);
        if (broken.empty()) return "";
        why += (why.empty() ? "" : ", and ") + broken;
    }
    return why + " (kernels.json fusion.cpu): runs depthwise then pointwise";
}

}  // namespace

Separable::Separable(const SeparableDesc &d, const float *dw_weights, const float *dw_bias,
                     const float *pw_weights, const float *pw_bias,
                     const OperatorOptions &options)
    : CpuOperator(d) {
    auto state = std::make_shared<SeparableState>(OpKind::separable, d);
    state->buffers =
        pack_separable(d, dw_weights, dw_bias, pw_weights, pw_bias, abi::kCpuWeightBlock);
    // One reading of the process-wide ISA cap for all the kernels this operator selects, so
    // a concurrent set_max_isa cannot give its halves different ISAs.
    require_native_isa(options.max_isa, "options.max_isa");
    OperatorOptions snapshot = options;
    snapshot.max_isa = std::min(options.max_isa, max_isa());
    state->selection = select_kernel(
        OpKind::separable, dispatch_key(d.window, d.multiplier, d.in_channels, d.out_channels),
        snapshot);
    const std::string why = options.variant.empty() ? why_not_fused(d) : "";
    if (!why.empty()) {
        state->dw = std::make_unique<DepthwiseState>(OpKind::depthwise, d.depthwise());
        state->dw->buffers.push_back(std::move(state->buffers[0]));
        state->dw->buffers.push_back(std::move(state->buffers[1]));
        state->dw->selection = select_kernel(
            OpKind::depthwise,
            dispatch_key(d.window, d.multiplier, d.in_channels, d.in_channels * d.multiplier),
            snapshot);
        state->pw = std::make_unique<PointwiseState>(OpKind::pointwise, d.pointwise());
        state->pw->buffers.push_back(std::move(state->buffers[2]));
        state->pw->buffers.push_back(std::move(state->buffers[3]));
        state->pw->selection = select_kernel(OpKind::pointwise, pointwise_key(d.pointwise()),
                                             snapshot);
        state->buffers.clear();  // the halves hold them
        state->selection.shaped.clear();  // fused tuned variants: not what runs here
        Implementation &impl = state->selection.impl;
        impl.declined.push_back({impl.variant, why});
        impl.variant = state->dw->selection.impl.variant + "+" + state->pw->selection.impl.variant;
    }
    state_ = std::move(state);
    log_created(OpKind::separable, describe(d), implementation());
}

template <>
void detail::OpState<SeparableDesc>::launch(const ConstTensor &input, const Tensor &output,
                                            const RunContext &run) const {
    BufferView in(input.data, input.desc), out(output.data, output.desc);
    BufferView dw_w(buffers[0]), dw_b(buffers[1]);
    BufferView pw_w(buffers[2]), pw_b(buffers[3]);
    call_kernel<separable_kernel_t>(
        selection.for_input(input.desc, run.variant_threads), run,
        separable_args(desc, input.desc,
                       {in.raw(), {dw_w.raw(), dw_b.raw(), pw_w.raw(), pw_b.raw()}, out.raw()}));
}

// The unfused halves, where the rules chose them; else the fused kernel.
void SeparableState::launch(const ConstTensor &input, const Tensor &output,
                            const RunContext &run) const {
    if (!dw) {
        OpState::launch(input, output, run);
        return;
    }
    // The intermediate's size depends on the input, known only here. It comes from the run's
    // workspace where there is one, else from a scratch of this thread's, so that concurrent
    // runs share nothing and repeated runs do not allocate.
    const TensorDesc mid_desc =
        convgen::output_desc(desc.window, desc.in_channels * desc.multiplier, input.desc);
    // Within the kernels' 2^31-byte limit before any scratch is grown for it.
    const int64_t mid_elements =
        checked_elements("intermediate", {mid_desc.n, mid_desc.h, mid_desc.w, mid_desc.c});
    float *mid = nullptr;
    if (run.arena) {
        const ArenaScope outside(run.arena);  // slot 0: the calling thread, outside tasks
        mid = static_cast<float *>(run.arena->allocate(size_t(mid_elements) * sizeof(float)));
    }
    thread_local std::vector<float> own;
    if (!mid) {
        if (own.size() < size_t(mid_elements)) own.resize(size_t(mid_elements));
        mid = own.data();
    }
    dw->launch(input, {mid, mid_desc}, run);
    pw->launch({mid, mid_desc}, output, run);
    if (run.arena && run.arena->owns(mid)) {
        const ArenaScope outside(run.arena);
        run.arena->free(mid);
    }
}

void separable_conv2d(const SeparableDesc &desc, const float *dw_weights, const float *dw_bias,
                      const float *pw_weights, const float *pw_bias, const ConstTensor &input,
                      const Tensor &output) {
    Separable(desc, dw_weights, dw_bias, pw_weights, pw_bias).run(input, output);
}

}  // namespace convgen
