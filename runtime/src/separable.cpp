// Fused depthwise-separable operator: one kernel call, no intermediate tensor, unless fusion
// cannot pay (see fusion_pays), in which case it runs its own depthwise and pointwise operators.
#include "internal.h"

namespace convgen {

using namespace detail;

namespace {

// Fusion pays when the depthwise row feeds whole vector tiles of the pointwise GEMM. With fewer
// channels than an AVX-512 vector on either side both stages run their scalar tiles, and two
// kernels were faster (tutorial case, 3 -> 3 -> 4 channels: 28 us unfused, 66 us fused).
constexpr int kMinFusedChannels = 16;
bool fusion_pays(const SeparableDesc &d) {
    return int64_t(d.in_channels) * d.multiplier >= kMinFusedChannels &&
           d.out_channels >= kMinFusedChannels;
}

// The unfused path's operators, when the rule chose it. A variant forced in OperatorOptions
// always runs as asked.
struct SeparableState : OperatorState {
    std::unique_ptr<Depthwise> dw;
    std::unique_ptr<Pointwise> pw;
};

}  // namespace

Separable::Separable(const SeparableDesc &d, const float *dw_weights, const float *dw_bias,
                     const float *pw_weights, const float *pw_bias,
                     const OperatorOptions &options)
    : desc_(d) {
    auto state = std::make_shared<SeparableState>();
    std::vector<PackedBuffer> buffers =
        pack_separable(d, dw_weights, dw_bias, pw_weights, pw_bias);
    state->selection = select_kernel(
        OpKind::separable, dispatch_key(d.window, d.multiplier, d.in_channels, d.out_channels),
        options);
    if (options.variant.empty() && !fusion_pays(d)) {
        state->dw = std::make_unique<Depthwise>(d.depthwise(), dw_weights, dw_bias, options);
        state->pw = std::make_unique<Pointwise>(d.pointwise(), pw_weights, pw_bias, options);
        Implementation &impl = state->selection.impl;
        impl.declined.push_back({impl.variant, "fewer than " +
                                                   std::to_string(kMinFusedChannels) +
                                                   " channels: runs depthwise then pointwise"});
        impl.variant = state->dw->implementation().variant + "+" +
                       state->pw->implementation().variant;
        state_ = std::move(state);
        return;
    }
    state->buffers = std::move(buffers);
    state_ = std::move(state);
}

TensorDesc Separable::output_desc(const TensorDesc &input) const {
    return convgen::output_desc(desc_.window, desc_.out_channels, input);
}

const Implementation &Separable::implementation() const { return state_->selection.impl; }
const Implementation &Separable::implementation(const TensorDesc &input) const {
    return state_->selection.for_input(input).impl;
}

void Separable::run(const ConstTensor &input, const Tensor &output) const {
    state_->shapes.validate(input, output, desc_.in_channels,
                            [this](const TensorDesc &in) { return output_desc(in); });
    const auto &unfused = static_cast<const SeparableState &>(*state_);
    if (unfused.dw) {
        // The intermediate's size depends on the input, known only here; each thread keeps
        // its own scratch so concurrent runs share nothing and repeated runs do not allocate.
        const TensorDesc mid_desc = unfused.dw->output_desc(input.desc);
        thread_local std::vector<float> mid;
        if (mid.size() < size_t(mid_desc.elements())) mid.resize(mid_desc.elements());
        unfused.dw->run(input, {mid.data(), mid_desc});
        unfused.pw->run({mid.data(), mid_desc}, output);
        return;
    }
    const auto &w = desc_.window;
    const ResolvedPadding pad = resolve_padding(w, input.desc);
    const ClampBounds dw_act = activation_bounds(desc_.dw_activation);
    const ClampBounds act = activation_bounds(desc_.activation);
    BufferView in(input.data, input.desc), out(output.data, output.desc);
    BufferView dw_w(state_->buffers[0]), dw_b(state_->buffers[1]);
    BufferView pw_w(state_->buffers[2]), pw_b(state_->buffers[3]);
    const Choice &choice = state_->selection.for_input(input.desc);
    abi::SeparableArgs<halide_buffer_t *> args{.input = in.raw(),
                                               .dw_weights = dw_w.raw(),
                                               .dw_bias = dw_b.raw(),
                                               .pw_weights = pw_w.raw(),
                                               .pw_bias = pw_b.raw(),
                                               .channel_multiplier = desc_.multiplier,
                                               .dw_min = dw_act.min,
                                               .dw_max = dw_act.max,
                                               .pw_min = act.min,
                                               .pw_max = act.max,
                                               .output = out.raw()};
    set_window(args, w, pad);
    check_kernel_result(abi::call(reinterpret_cast<separable_kernel_t *>(choice.kernel), args),
                        choice.impl.variant);
}

void separable_conv2d(const SeparableDesc &desc, const float *dw_weights, const float *dw_bias,
                      const float *pw_weights, const float *pw_bias, const ConstTensor &input,
                      const Tensor &output) {
    Separable(desc, dw_weights, dw_bias, pw_weights, pw_bias).run(input, output);
}

}  // namespace convgen
