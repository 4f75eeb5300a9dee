// Inverted-residual block: everything the runtime knows about it (op_traits.h). The operator
// makes one fused kernel call (expansion, depthwise, projection and residual; no intermediate
// tensor) unless the block has no expansion conv or the CPU's inverted-residual fusion rules
// (kernels.json fusion.cpu_inverted_residual) say fusion cannot pay: then it runs its stages
// as convgen's own ops, the expansion as a Pointwise and the rest as a Separable (which fuses
// or not by its own rules), from the one packing, and adds the input afterwards.
#include <algorithm>

#include "convgen/counting.h"
#include "op_traits.h"
#include "workspace.h"

namespace convgen {

using namespace detail;
using Traits = OpTraits<InvertedResidualDesc>;

namespace {

// Every InvertedResidual's state. The fused kernel's residual where the block has none: its
// output channels' zeros, made at creation. The staged path (`rest` set): the expansion (null:
// the block has none) into an intermediate, then the depthwise and projection as a Separable's
// state, then the input added where the block has a residual.
struct InvertedResidualState : OpState<InvertedResidualDesc> {
    using OpState::OpState;
    std::vector<float> no_residual;
    std::unique_ptr<OpState<PointwiseDesc>> expand;
    std::shared_ptr<OperatorState> rest;
    void launch(const ConstTensor &input, const Tensor &output,
                const RunContext &run) const override;
};

}  // namespace

int64_t Traits::input_channels(const InvertedResidualDesc &d) { return d.in_channels; }

DispatchKey Traits::key(const InvertedResidualDesc &d) {
    return {d.window, 1, d.in_channels, d.out_channels,
            identity_activations({d.expand_activation, d.dw_activation, d.activation})};
}

// The expansion, depthwise and projection each packed as their own ops pack them, so the
// staged path runs their kernels on these buffers. Without an expansion conv the expansion
// weights must be null (the block then always runs staged: its first two buffers are empty).
std::vector<PackedBuffer> Traits::pack(const InvertedResidualDesc &d, const WeightPointers &w,
                                       int block) {
    check_positive("desc.in_channels", d.in_channels);
    check_positive("desc.expanded_channels", d.expanded_channels);
    check_positive("desc.out_channels", d.out_channels);
    validate_window(d.window, "desc.window");
    validate_activation(d.expand_activation, "desc.expand_activation");
    validate_activation(d.dw_activation, "desc.dw_activation");
    validate_activation(d.activation, "desc.activation");
    const auto &win = d.window;
    const int in = d.in_channels, mid = d.expanded_channels, out = d.out_channels;
    if (d.has_expansion()) {
        check_not_null("expand_weights", w[0]);
        checked_elements("expand_weights", {in, mid});
    } else if (w[0] || w[1]) {
        fail(ErrorCode::invalid_argument, w[0] ? "expand_weights" : "expand_bias",
             "must be null: expanded_channels == in_channels (" + std::to_string(in) +
                 ") means the block has no expansion conv");
    }
    check_not_null("dw_weights", w[2]);
    check_not_null("project_weights", w[4]);
    const int64_t dw_count = checked_elements("dw_weights", {win.kernel_h, win.kernel_w, mid});
    checked_elements("project_weights", {mid, out});
    const bool expands = d.has_expansion();
    // The GEMM biases in the weights' blocks (the kernel's tiles may read whole blocks).
    return {expands ? pack_blocked("expand_weights", w[0], {in}, mid, block) : PackedBuffer{},
            expands ? pack_blocked("expand_bias", w[1], {}, mid, block) : PackedBuffer{},
            pack_copy(w[2], dw_count, {mid, win.kernel_w, win.kernel_h}),
            pack_copy(w[3], mid, {mid}),
            pack_blocked("project_weights", w[4], {mid}, out, block),
            pack_blocked("project_bias", w[5], {}, out, block)};
}

Traits::Args<halide_buffer_t *> Traits::args(const InvertedResidualDesc &d,
                                             const TensorDesc &input, const KernelBuffers &b,
                                             int threads) {
    const KernelActivation expand_act = kernel_activation(d.expand_activation);
    const KernelActivation dw_act = kernel_activation(d.dw_activation);
    const KernelActivation act = kernel_activation(d.activation);
    Args<halide_buffer_t *> a{.input = b.input,
                              .expand_weights = b.weights[0],
                              .expand_bias = b.weights[1],
                              .dw_weights = b.weights[2],
                              .dw_bias = b.weights[3],
                              .project_weights = b.weights[4],
                              .project_bias = b.weights[5],
                              .residual = b.extra,
                              .expand_min = expand_act.min,
                              .expand_max = expand_act.max,
                              .expand_kind = expand_act.kind(),
                              .dw_min = dw_act.min,
                              .dw_max = dw_act.max,
                              .dw_kind = dw_act.kind(),
                              .project_min = act.min,
                              .project_max = act.max,
                              .project_kind = act.kind(),
                              .threads = threads,
                              .output = b.output};
    set_window_args(a, d.window, input);
    return a;
}

// The fused kernel (every state is an InvertedResidualState: the constructor makes it). Its
// residual is the input where the block has one, else the state's zeros broadcast over the
// output (strides 0: nothing output-sized is read).
void Traits::launch(const OpState<InvertedResidualDesc> &s, const ConstTensor &input,
                    const Tensor &output, const RunContext &run) {
    const auto &state = static_cast<const InvertedResidualState &>(s);
    const bool residual = s.desc.has_residual();
    const TensorDesc zeros{output.desc.n, output.desc.h, output.desc.w, output.desc.c,
                           {0, 0, 0, 1}};
    BufferView extra(residual ? input.data : state.no_residual.data(),
                     residual ? input.desc : zeros);
    call_selected(s, input, output, run, input.desc, output.desc, extra.raw());
}

std::string Traits::describe(const InvertedResidualDesc &d) {
    return "ic" + std::to_string(d.in_channels) + " xc" + std::to_string(d.expanded_channels) +
           " oc" + std::to_string(d.out_channels) + describe_window(d.window) +
           " expact:" + describe_activation(d.expand_activation) +
           " dwact:" + describe_activation(d.dw_activation) +
           " act:" + describe_activation(d.activation) +
           (d.has_residual() ? " residual" : "");
}

TensorDesc output_desc(const InvertedResidualDesc &d, const TensorDesc &input) {
    return output_desc(d.window, d.out_channels, input);
}

Cost cost(const InvertedResidualDesc &d, const TensorDesc &in, bool biases) {
    Cost total;
    TensorDesc dw_in = in;
    if (d.has_expansion()) {
        total = cost(d.expansion(), in, biases);
        dw_in = output_desc(d.expansion(), in);
    }
    const Cost rest = cost(d.separable(), dw_in, biases, biases);
    return {total.weights + rest.weights, total.biases + rest.biases, total.flops + rest.flops};
}

namespace {

// "" when a rule of fusion.cpu_inverted_residual holds (or there is none), else why none does.
std::string why_not_fused(const InvertedResidualDesc &d) {
    if (!d.has_expansion()) return "no expansion conv: runs as a separable conv";
    const std::string why =
        rules_broken(inverted_residual_fusion_rules(), d.expanded_channels, d.out_channels,
                     std::max(d.window.stride_h, d.window.stride_w));
    return why.empty() ? ""
                       : why + " (kernels.json fusion.cpu_inverted_residual): runs its stages apart";
}

// Adds the input to the output, element by element (the staged path's residual).
void add_residual(const ConstTensor &input, const Tensor &output) {
    const auto si = input.desc.effective_strides(), so = output.desc.effective_strides();
    const TensorDesc &d = output.desc;
    for (int64_t n = 0; n < d.n; n++) {
        for (int64_t h = 0; h < d.h; h++) {
            for (int64_t w = 0; w < d.w; w++) {
                const float *in = input.data + n * si[0] + h * si[1] + w * si[2];
                float *out = output.data + n * so[0] + h * so[1] + w * so[2];
                for (int64_t c = 0; c < d.c; c++) out[c] += in[c];
            }
        }
    }
}

void InvertedResidualState::launch(const ConstTensor &input, const Tensor &output,
                                   const RunContext &run) const {
    if (!rest) {
        OpState::launch(input, output, run);
        return;
    }
    if (!expand) {
        rest->launch(input, output, run);
    } else {
        // The expanded tensor (Intermediate: the run's workspace, or this site's scratch).
        const TensorDesc mid_desc = convgen::output_desc(expand->desc, input.desc);
        const int64_t mid_elements =
            checked_elements("expanded intermediate", {mid_desc.n, mid_desc.h, mid_desc.w,
                                                       mid_desc.c});
        thread_local CacheLineFloats own;
        const Intermediate mid(run.arena, mid_elements, own);
        expand->launch(input, {mid.data(), mid_desc}, run);
        rest->launch({mid.data(), mid_desc}, output, run);
    }
    if (desc.has_residual()) add_residual(input, output);
}

}  // namespace

InvertedResidual::InvertedResidual(const InvertedResidualDesc &d, const float *expand_weights,
                                   const float *expand_bias, const float *dw_weights,
                                   const float *dw_bias, const float *project_weights,
                                   const float *project_bias, const OperatorOptions &options)
    : CpuOperator(d) {
    auto state = std::make_shared<InvertedResidualState>(d);
    state->buffers = Traits::pack(d, {expand_weights, expand_bias, dw_weights, dw_bias,
                                      project_weights, project_bias},
                                  abi::kCpuWeightBlock);
    require_native_isa(options.max_isa, "options.max_isa");
    OperatorOptions snapshot = options;
    snapshot.max_isa = std::min(options.max_isa, max_isa());
    state->selection = select_kernel_for(d, snapshot);
    if (!d.has_residual()) state->no_residual.assign(size_t(d.out_channels), 0.0f);
    // A forced variant runs as asked, except on a block without expansion, whose stages run
    // as a Separable (the variant's choice left to it).
    const bool forced = !options.variant.empty();
    const std::string why = forced && d.has_expansion() ? "" : why_not_fused(d);
    if (!why.empty()) {
        OperatorOptions stage_options = snapshot;
        stage_options.variant.clear();
        // The ops' own bias layout (the fused kernel's are blocked).
        state->buffers[1] = pack_copy(expand_bias, d.expanded_channels, {d.expanded_channels});
        state->buffers[5] = pack_copy(project_bias, d.out_channels, {d.out_channels});
        std::vector<PackedBuffer> rest(std::make_move_iterator(state->buffers.begin() + 2),
                                       std::make_move_iterator(state->buffers.end()));
        if (d.has_expansion()) {
            state->expand = std::make_unique<OpState<PointwiseDesc>>(d.expansion());
            state->expand->buffers.push_back(std::move(state->buffers[0]));
            state->expand->buffers.push_back(std::move(state->buffers[1]));
            state->expand->selection = select_kernel_for(d.expansion(), stage_options);
        }
        state->rest = separable_state(d.separable(), std::move(rest), stage_options);
        state->buffers.clear();  // the stages hold them
        state->selection.shaped.clear();
        Implementation &impl = state->selection.impl;
        impl.declined.push_back({impl.variant, why});
        const Implementation &rest_impl = state->rest->selection.impl;
        impl.variant = (state->expand ? state->expand->selection.impl.variant + "+" : "") +
                       rest_impl.variant;
        impl.isa = rest_impl.isa;
        impl.schedule = rest_impl.schedule;
    }
    state_ = std::move(state);
    log_created(d, implementation());
}

void inverted_residual(const InvertedResidualDesc &desc, const float *expand_weights,
                       const float *expand_bias, const float *dw_weights, const float *dw_bias,
                       const float *project_weights, const float *project_bias,
                       const ConstTensor &input, const Tensor &output) {
    InvertedResidual(desc, expand_weights, expand_bias, dw_weights, dw_bias, project_weights,
                     project_bias)
        .run(input, output);
}

}  // namespace convgen
