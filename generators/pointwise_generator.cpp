// Pointwise (1x1, stride 1) convolution, NHWC.
#include "generator_support.h"

namespace convgen::gen {

using namespace Halide;

class PointwiseGenerator : public Generator<PointwiseGenerator> {
public:
    GeneratorParam<std::string> knobs{"knobs", ""};
    GeneratorParam<std::string> schedule{"schedule", "hand"};  // hand | tuned | naive

    Input<Buffer<float, 4>> input{"input"};      // (c_in, x, y, n)
    Input<Buffer<float, 3>> weights{"weights"};  // blocked (c_out, c_in): abi/weight_layout.h
    Input<Buffer<float, 1>> bias{"bias"};        // (c_out)
    Input<float> act_min{"act_min"}, act_max{"act_max"};
    Input<int> act_kind{"act_kind"};  // abi::ActivationCode
    Input<int> threads{"threads"};  // the call's threads (abi/kernel_abi.h)
    Output<Buffer<float, 4>> output{"output"};  // (c_out, x, y, n)

    void generate() {
        require_zero_min(input), require_zero_min(weights), require_zero_min(bias);
        require_zero_min(output);
        const ScheduleChoice choice{schedule, knobs, using_autoscheduler()};
        const algo::Activation act = activation_args(act_min, act_max, act_kind, choice);
        algo::Pointwise p = algo::pointwise(input, unblocked_weights(weights, get_target()), bias,
                                            weights.dim(1).extent(), act);
        output = p.result;
        const Estimates e(1, 1);
        estimate_tensor(input, e.c_in, e.width, e.height, e.batch);
        estimate_blocked_weights(weights, {e.c_in}, e.c_out, get_target());
        bias.set_estimates({{0, e.c_out}});
        estimate_tensor(output, e.c_out, e.width, e.height, e.batch);
        act_min.set_estimate(0.0f), act_max.set_estimate(6.0f), act_kind.set_estimate(0);
        threads.set_estimate(1);
        sched::Problem problem{output.dim(0).extent(), output.dim(1).extent(),
                               output.dim(2).extent(), weights.dim(1).extent(),
                               input.dim(0).extent(), 1, 1, 1};
        problem.weights_buffer = static_cast<ImageParam>(weights).parameter();
        problem.input_pixel_stride = input.dim(1).stride();
        problem.threads = threads;
        apply_schedule(sched::schedule_pointwise, p, problem, get_target(), choice, p.result,
                       algo::activation_branches({act}));
    }
};

}  // namespace convgen::gen

HALIDE_REGISTER_GENERATOR(convgen::gen::PointwiseGenerator, convgen_pointwise)
