// Standard 2-D convolution, NHWC.
#include "generator_support.h"

namespace convgen::gen {

using namespace Halide;

class Conv2dGenerator : public Generator<Conv2dGenerator> {
public:
    GeneratorParam<int> kernel{"kernel", 0};      // square kernel size; 0 = any (run time)
    GeneratorParam<int> stride{"stride", 0};      // both axes; 0 = any
    GeneratorParam<int> dilation{"dilation", 0};  // both axes; 0 = any
    GeneratorParam<std::string> knobs{"knobs", ""};
    GeneratorParam<std::string> schedule{"schedule", "hand"};  // hand | tuned | naive

    Input<Buffer<float, 4>> input{"input"};      // (c_in, x, y, n)
    Input<Buffer<float, 5>> weights{"weights"};  // blocked (c_out, c_in, kx, ky): weight_layout.h
    Input<Buffer<float, 1>> bias{"bias"};        // (c_out)
    Input<int> stride_x{"stride_x"}, stride_y{"stride_y"};
    Input<int> dilation_x{"dilation_x"}, dilation_y{"dilation_y"};
    Input<int> pad_left{"pad_left"}, pad_top{"pad_top"};
    Input<float> act_min{"act_min"}, act_max{"act_max"};
    Input<int> act_kind{"act_kind"};  // abi::ActivationCode
    Output<Buffer<float, 4>> output{"output"};  // (c_out, x, y, n)

    void generate() {
        require_zero_min(input), require_zero_min(weights), require_zero_min(bias);
        require_zero_min(output);
        if (kernel > 0) weights.dim(2).set_extent(kernel).dim(3).set_extent(kernel);
        const algo::Window w{fixed_or(kernel, weights.dim(2).extent()),
                             fixed_or(kernel, weights.dim(3).extent()),
                             fixed_or(stride, stride_x), fixed_or(stride, stride_y),
                             fixed_or(dilation, dilation_x), fixed_or(dilation, dilation_y),
                             pad_left, pad_top};
        Func padded = algo::zero_padded(input, input.dim(1).extent(), input.dim(2).extent());
        const ScheduleChoice choice{schedule, knobs, using_autoscheduler()};
        const algo::Activation act = activation_args(act_min, act_max, act_kind, choice);
        algo::Conv2d p = algo::conv2d(padded, unblocked_weights(weights, get_target()), bias,
                                      weights.dim(1).extent(), w, act);
        output = p.result;
        const Estimates e(kernel, stride);
        estimate_tensor(input, e.c_in, e.width, e.height, e.batch);
        estimate_blocked_weights(weights, {e.c_in, e.kernel, e.kernel}, e.c_out, get_target());
        bias.set_estimates({{0, e.c_out}});
        estimate_tensor(output, e.c_out, e.out_width(), e.out_height(), e.batch);
        stride_x.set_estimate(e.stride), stride_y.set_estimate(e.stride);
        dilation_x.set_estimate(1), dilation_y.set_estimate(1);
        pad_left.set_estimate(e.pad()), pad_top.set_estimate(e.pad());
        act_min.set_estimate(0.0f), act_max.set_estimate(6.0f), act_kind.set_estimate(0);
        apply_schedule(sched::schedule_conv2d, p,
                       {output.dim(0).extent(), output.dim(1).extent(), output.dim(2).extent(),
                        weights.dim(1).extent(), input.dim(0).extent(), kernel, kernel, stride},
                       get_target(), choice, p.result, algo::activation_branches({act}));
    }
};

}  // namespace convgen::gen

HALIDE_REGISTER_GENERATOR(convgen::gen::Conv2dGenerator, convgen_conv2d)
