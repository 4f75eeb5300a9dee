// Fused depthwise-separable convolution, NHWC: depthwise (+bias, activation) then pointwise
// (+bias, activation) in one pipeline; the depthwise result is never written to memory whole.
#include "generator_support.h"

namespace convgen::gen {

using namespace Halide;

class SeparableGenerator : public Generator<SeparableGenerator> {
public:
    GeneratorParam<int> kernel{"kernel", 0};
    GeneratorParam<int> stride{"stride", 0};
    GeneratorParam<int> dilation{"dilation", 0};
    GeneratorParam<int> multiplier{"multiplier", 0};
    GeneratorParam<std::string> knobs{"knobs", ""};
    GeneratorParam<std::string> schedule{"schedule", "hand"};  // hand | tuned | naive

    Input<Buffer<float, 4>> input{"input"};            // (c_in, x, y, n)
    Input<Buffer<float, 3>> dw_weights{"dw_weights"};  // (c_in * multiplier, kx, ky)
    Input<Buffer<float, 1>> dw_bias{"dw_bias"};        // (c_in * multiplier)
    Input<Buffer<float, 3>> pw_weights{"pw_weights"};  // blocked (c_out, c_in * multiplier)
    Input<Buffer<float, 1>> pw_bias{"pw_bias"};        // (c_out)
    Input<int> channel_multiplier{"channel_multiplier"};
    Input<int> stride_x{"stride_x"}, stride_y{"stride_y"};
    Input<int> dilation_x{"dilation_x"}, dilation_y{"dilation_y"};
    Input<int> pad_left{"pad_left"}, pad_top{"pad_top"};
    Input<float> dw_min{"dw_min"}, dw_max{"dw_max"};
    Input<int> dw_kind{"dw_kind"};  // abi::ActivationCode
    Input<float> pw_min{"pw_min"}, pw_max{"pw_max"};
    Input<int> pw_kind{"pw_kind"};
    Output<Buffer<float, 4>> output{"output"};  // (c_out, x, y, n)

    void generate() {
        require_zero_min(input), require_zero_min(dw_weights), require_zero_min(dw_bias);
        require_zero_min(pw_weights), require_zero_min(pw_bias), require_zero_min(output);
        if (kernel > 0) dw_weights.dim(1).set_extent(kernel).dim(2).set_extent(kernel);
        const algo::Window w{fixed_or(kernel, dw_weights.dim(1).extent()),
                             fixed_or(kernel, dw_weights.dim(2).extent()),
                             fixed_or(stride, stride_x), fixed_or(stride, stride_y),
                             fixed_or(dilation, dilation_x), fixed_or(dilation, dilation_y),
                             pad_left, pad_top};
        const Expr dw_channels = pw_weights.dim(1).extent();
        Func padded = algo::zero_padded(input, input.dim(1).extent(), input.dim(2).extent());
        const ScheduleChoice choice{schedule, knobs, using_autoscheduler()};
        const algo::Activation dw_act = activation_args(dw_min, dw_max, dw_kind, choice);
        const algo::Activation pw_act = activation_args(pw_min, pw_max, pw_kind, choice);
        algo::Separable p = algo::separable(padded, dw_weights, dw_bias,
                                            unblocked_weights(pw_weights, get_target()), pw_bias,
                                            fixed_or(multiplier, channel_multiplier),
                                            dw_channels, w, dw_act, pw_act);
        output = p.pw.result;
        const Estimates e(kernel, stride);
        estimate_tensor(input, e.c_in, e.width, e.height, e.batch);
        dw_weights.set_estimates({{0, e.c_in}, {0, e.kernel}, {0, e.kernel}});
        dw_bias.set_estimates({{0, e.c_in}});
        estimate_blocked_weights(pw_weights, {e.c_in}, e.c_out, get_target());
        pw_bias.set_estimates({{0, e.c_out}});
        estimate_tensor(output, e.c_out, e.out_width(), e.out_height(), e.batch);
        channel_multiplier.set_estimate(1);
        stride_x.set_estimate(e.stride), stride_y.set_estimate(e.stride);
        dilation_x.set_estimate(1), dilation_y.set_estimate(1);
        pad_left.set_estimate(e.pad()), pad_top.set_estimate(e.pad());
        dw_min.set_estimate(0.0f), dw_max.set_estimate(6.0f), dw_kind.set_estimate(0);
        pw_min.set_estimate(0.0f), pw_max.set_estimate(6.0f), pw_kind.set_estimate(0);
        apply_schedule(sched::schedule_separable, p,
                       {output.dim(0).extent(), output.dim(1).extent(), output.dim(2).extent(),
                        dw_channels, input.dim(0).extent(), kernel, kernel, stride, dilation,
                        multiplier},
                       get_target(), choice, p.pw.result, algo::activation_branches({dw_act, pw_act}));
    }
};

}  // namespace convgen::gen

HALIDE_REGISTER_GENERATOR(convgen::gen::SeparableGenerator, convgen_separable)
