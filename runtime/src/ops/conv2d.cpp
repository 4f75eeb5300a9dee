// Standard convolution: everything the runtime knows about it (op_traits.h). HWIO weights
// [kh][kw][in][out] are packed in blocks of output channels (abi/weight_layout.h); the kernel
// reads them as (c_out, c_in, kx, ky).
#include "convgen/counting.h"
#include "op_traits.h"

namespace convgen {

using namespace detail;
using Traits = OpTraits<Conv2dDesc>;

int64_t Traits::input_channels(const Conv2dDesc &d) { return d.in_channels; }

DispatchKey Traits::key(const Conv2dDesc &d) {
    return {d.window, 1, d.in_channels, d.out_channels, identity_activations({d.activation})};
}

std::vector<PackedBuffer> Traits::pack(const Conv2dDesc &d, const WeightPointers &w,
                                       int block) {
    check_positive("desc.in_channels", d.in_channels);
    check_positive("desc.out_channels", d.out_channels);
    validate_window(d.window, "desc.window");
    validate_activation(d.activation, "desc.activation");
    check_not_null("weights", w[0]);
    const auto &win = d.window;
    checked_elements("weights", {win.kernel_h, win.kernel_w, d.in_channels, d.out_channels});
    return {pack_blocked("weights", w[0], {d.in_channels, win.kernel_w, win.kernel_h},
                         d.out_channels, block),
            pack_copy(w[1], d.out_channels, {d.out_channels})};
}

Traits::Args<halide_buffer_t *> Traits::args(const Conv2dDesc &d, const TensorDesc &input,
                                             const KernelBuffers &b, int) {
    const KernelActivation act = kernel_activation(d.activation);
    Args<halide_buffer_t *> a{.input = b.input,
                              .weights = b.weights[0],
                              .bias = b.weights[1],
                              .act_min = act.min,
                              .act_max = act.max,
                              .act_kind = act.kind(),
                              .output = b.output};
    set_window_args(a, d.window, input);
    return a;
}

void Traits::launch(const OpState<Conv2dDesc> &s, const ConstTensor &input, const Tensor &output,
                    const RunContext &run) {
    call_selected(s, input, output, run, input.desc, output.desc);
}

std::string Traits::describe(const Conv2dDesc &d) {
    return "ic" + std::to_string(d.in_channels) + " oc" + std::to_string(d.out_channels) +
           describe_window(d.window) + " act:" + describe_activation(d.activation);
}

TensorDesc output_desc(const Conv2dDesc &d, const TensorDesc &input) {
    return output_desc(d.window, d.out_channels, input);
}

Cost cost(const Conv2dDesc &d, const TensorDesc &in, bool bias) {
    const TensorDesc out = output_desc(d.window, d.out_channels, in);
    const int64_t taps = int64_t(d.window.kernel_h) * d.window.kernel_w * d.in_channels;
    return {taps * d.out_channels, bias ? d.out_channels : 0, 2 * out.elements() * taps};
}

Conv2d::Conv2d(const Conv2dDesc &d, const float *weights, const float *bias,
               const OperatorOptions &options)
    : CpuOperator(d) {
    state_ = new_state(d, {weights, bias}, options);
}

void conv2d(const Conv2dDesc &desc, const float *weights, const float *bias,
            const ConstTensor &input, const Tensor &output) {
    Conv2d(desc, weights, bias).run(input, output);
}

}  // namespace convgen
