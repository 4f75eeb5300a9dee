// Depthwise convolution: everything the runtime knows about it (op_traits.h). Weights
// [kh][kw][c*m] are already the kernel's (c*m, kx, ky) order.
#include "convgen/counting.h"
#include "cache_line_allocator.h"
#include "op_traits.h"

#include <optional>

namespace convgen {

using namespace detail;
using Traits = OpTraits<DepthwiseDesc>;

int64_t Traits::input_channels(const DepthwiseDesc &d) { return d.channels; }

DispatchKey Traits::key(const DepthwiseDesc &d) {
    return {d.window, d.multiplier, d.channels, d.out_channels(),
            identity_activations({d.activation})};
}

std::vector<PackedBuffer> Traits::pack(const DepthwiseDesc &d, const WeightPointers &w, int) {
    check_positive("desc.channels", d.channels);
    check_positive("desc.multiplier", d.multiplier);
    checked_elements("desc.channels * desc.multiplier", {d.channels, d.multiplier});
    validate_window(d.window, "desc.window");
    validate_activation(d.activation, "desc.activation");
    check_not_null("weights", w[0]);
    const auto &win = d.window;
    const int oc = d.out_channels();
    const int64_t count = checked_elements("weights", {win.kernel_h, win.kernel_w, oc});
    return {pack_copy(w[0], count, {oc, win.kernel_w, win.kernel_h}), pack_copy(w[1], oc, {oc})};
}

Traits::Args<halide_buffer_t *> Traits::args(const DepthwiseDesc &d, const TensorDesc &input,
                                             const KernelBuffers &b, int) {
    const KernelActivation act = kernel_activation(d.activation);
    Args<halide_buffer_t *> a{.input = b.input,
                              .weights = b.weights[0],
                              .bias = b.weights[1],
                              .channel_multiplier = d.multiplier,
                              .act_min = act.min,
                              .act_max = act.max,
                              .act_kind = act.kind(),
                              .output = b.output};
    set_window_args(a, d.window, input);
    return a;
}

// A tensor whose channels start off a cache line runs in two calls: the channels up to the
// input's first line boundary, then the rest from it, so the bulk's loads and stores are
// line-aligned. With 512 channels or more a pixel is 2 KiB or more, so a tile's taps (3 rows of
// pixels, 2 KiB apart) share a handful of L1 sets, and a misaligned tile's 64 bytes span two
// lines that are evicted before the next tile reuses them: every line comes from L2 twice.
// Zen 3 (AVX2), the kernel called directly, 16 bytes off, 1 thread: 512 at 14x14 1.60x ->
// 1.14x the aligned time, 1024 at 7x7 1.90x -> 1.13x, 512 s2 1.64x -> 1.11x (through the
// runtime: README, "Tensors off a cache line"). Below 512 channels the head call (a narrow
// slab over the whole image) costs more than alignment saves (128 at 56x56: 1.09x one call,
// 1.50x split; 256 at 28x28: 1.17x, 1.25x). Only where the input's and output's offsets agree
// (else one of them stays off) and the multiplier is 1 (channels independent).
namespace {

constexpr int64_t kLineSplitMinChannels = 512;

std::optional<int32_t> line_split_head(const DepthwiseDesc &d, const ConstTensor &input,
                                       const Tensor &output) {
    const uintptr_t offset = reinterpret_cast<uintptr_t>(input.data) % kCacheLineBytes;
    if (d.multiplier != 1 || d.channels < kLineSplitMinChannels || offset == 0 ||
        offset % sizeof(float) != 0 ||
        reinterpret_cast<uintptr_t>(output.data) % kCacheLineBytes != offset ||
        input.desc.effective_strides()[3] != 1 || output.desc.effective_strides()[3] != 1) {
        return std::nullopt;
    }
    return int32_t((kCacheLineBytes - offset) / sizeof(float));
}

}  // namespace

void Traits::launch(const OpState<DepthwiseDesc> &s, const ConstTensor &input,
                    const Tensor &output, const RunContext &run) {
    if (const auto head = line_split_head(s.desc, input, output)) {
        const int32_t body = int32_t(s.desc.channels - *head);
        call_selected(s, input, output, run, input.desc, output.desc, nullptr,
                      ChannelSlice{0, *head});
        call_selected(s, input, output, run, input.desc, output.desc, nullptr,
                      ChannelSlice{*head, body});
        return;
    }
    call_selected(s, input, output, run, input.desc, output.desc);
}

std::string Traits::describe(const DepthwiseDesc &d) {
    return "c" + std::to_string(d.channels) + " m" + std::to_string(d.multiplier) +
           describe_window(d.window) + " act:" + describe_activation(d.activation);
}

TensorDesc output_desc(const DepthwiseDesc &d, const TensorDesc &input) {
    return output_desc(d.window, d.out_channels(), input);
}

Cost cost(const DepthwiseDesc &d, const TensorDesc &in, bool bias) {
    const TensorDesc out = output_desc(d.window, d.out_channels(), in);
    const int64_t taps = int64_t(d.window.kernel_h) * d.window.kernel_w;
    return {taps * d.out_channels(), bias ? d.out_channels() : 0, 2 * out.elements() * taps};
}

Depthwise::Depthwise(const DepthwiseDesc &d, const float *weights, const float *bias,
                     const OperatorOptions &options)
    : CpuOperator(d) {
    state_ = new_state(d, {weights, bias}, options);
}

void depthwise_conv2d(const DepthwiseDesc &desc, const float *weights, const float *bias,
                      const ConstTensor &input, const Tensor &output) {
    Depthwise(desc, weights, bias).run(input, output);
}

}  // namespace convgen
