// Depthwise convolution: everything the runtime knows about it (op_traits.h). Weights
// [kh][kw][c*m] are already the kernel's (c*m, kx, ky) order.
#include "convgen/counting.h"
#include "op_traits.h"

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

void Traits::launch(const OpState<DepthwiseDesc> &s, const ConstTensor &input,
                    const Tensor &output, const RunContext &run) {
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
