// Fused inverted-residual block, NHWC: pointwise expansion, depthwise, pointwise projection and
// the residual add in one pipeline; the expanded tensor is never written to memory whole.
#include "generator_support.h"

namespace convgen::gen {

using namespace Halide;

class InvertedResidualGenerator : public Generator<InvertedResidualGenerator> {
public:
    GeneratorParam<int> kernel{"kernel", 0};
    GeneratorParam<int> stride{"stride", 0};
    GeneratorParam<int> dilation{"dilation", 0};
    GeneratorParam<int> multiplier{"multiplier", 0};  // the manifest's; the block's is 1
    GeneratorParam<std::string> knobs{"knobs", ""};
    GeneratorParam<std::string> schedule{"schedule", "hand"};  // hand | tuned | naive

    Input<Buffer<float, 4>> input{"input"};                    // (c_in, x, y, n)
    Input<Buffer<float, 3>> expand_weights{"expand_weights"};  // blocked (c_exp, c_in)
    // The GEMMs' biases in their weights' blocks (abi/weight_layout.h, no rows): a tile that
    // computes channels past the end (TileShape::round_up_channels) reads a valid block.
    Input<Buffer<float, 2>> expand_bias{"expand_bias"};        // blocked (c_exp)
    Input<Buffer<float, 3>> dw_weights{"dw_weights"};          // (c_exp, kx, ky)
    Input<Buffer<float, 1>> dw_bias{"dw_bias"};                // (c_exp)
    Input<Buffer<float, 3>> project_weights{"project_weights"};  // blocked (c_out, c_exp)
    Input<Buffer<float, 2>> project_bias{"project_bias"};        // blocked (c_out)
    // Added to the projection: the input (c_in == c_out, same size), or, for a block without
    // a residual, c_out zeros broadcast over (x, y, n) (strides 0).
    Input<Buffer<float, 4>> residual{"residual"};                // (c_out, x, y, n)
    Input<int> stride_x{"stride_x"}, stride_y{"stride_y"};
    Input<int> dilation_x{"dilation_x"}, dilation_y{"dilation_y"};
    Input<int> pad_left{"pad_left"}, pad_top{"pad_top"};
    // Each stage's activation (abi/kernel_abi.h): min, max, kind (abi::ActivationCode).
    Input<float> expand_min{"expand_min"}, expand_max{"expand_max"};
    Input<int> expand_kind{"expand_kind"};
    Input<float> dw_min{"dw_min"}, dw_max{"dw_max"};
    Input<int> dw_kind{"dw_kind"};
    Input<float> project_min{"project_min"}, project_max{"project_max"};
    Input<int> project_kind{"project_kind"};
    Input<int> threads{"threads"};    // the call's threads (abi/kernel_abi.h)
    Output<Buffer<float, 4>> output{"output"};  // (c_out, x, y, n)

    void generate() {
        if (multiplier > 1) throw std::invalid_argument("an inverted residual has multiplier 1");
        require_zero_min(input), require_zero_min(expand_weights), require_zero_min(expand_bias);
        require_zero_min(dw_weights), require_zero_min(dw_bias);
        require_zero_min(project_weights), require_zero_min(project_bias);
        require_zero_min(residual), require_zero_min(output);
        if (kernel > 0) dw_weights.dim(1).set_extent(kernel).dim(2).set_extent(kernel);
        const algo::Window w{fixed_or(kernel, dw_weights.dim(1).extent()),
                             fixed_or(kernel, dw_weights.dim(2).extent()),
                             fixed_or(stride, stride_x), fixed_or(stride, stride_y),
                             fixed_or(dilation, dilation_x), fixed_or(dilation, dilation_y),
                             pad_left, pad_top};
        const Expr in_channels = expand_weights.dim(1).extent();
        const Expr expanded = project_weights.dim(1).extent();
        const ScheduleChoice choice{schedule, knobs, using_autoscheduler()};
        const algo::Activation expand_act =
            activation_args(expand_min, expand_max, expand_kind, choice);
        const algo::Activation dw_act = activation_args(dw_min, dw_max, dw_kind, choice);
        const algo::Activation project_act =
            activation_args(project_min, project_max, project_kind, choice);
        algo::InvertedResidual p = algo::inverted_residual(
            input, input.dim(1).extent(), input.dim(2).extent(),
            unblocked_weights(expand_weights, get_target()),
            unblocked_weights(expand_bias, get_target()), in_channels, dw_weights, dw_bias,
            expanded, w, unblocked_weights(project_weights, get_target()),
            unblocked_weights(project_bias, get_target()), expand_act, dw_act, project_act,
            residual);
        output = p.result;
        // Estimates (autoschedulers only): MobileNetV2's 24 -> 144 -> 24 block at 56x56.
        Estimates e(kernel, stride);
        e.c_in = 24, e.c_out = 24;
        const int c_exp = 144;
        estimate_tensor(input, e.c_in, e.width, e.height, e.batch);
        estimate_blocked_weights(expand_weights, {e.c_in}, c_exp, get_target());
        estimate_blocked_weights(expand_bias, {}, c_exp, get_target());
        dw_weights.set_estimates({{0, c_exp}, {0, e.kernel}, {0, e.kernel}});
        dw_bias.set_estimates({{0, c_exp}});
        estimate_blocked_weights(project_weights, {c_exp}, e.c_out, get_target());
        estimate_blocked_weights(project_bias, {}, e.c_out, get_target());
        estimate_tensor(output, e.c_out, e.out_width(), e.out_height(), e.batch);
        stride_x.set_estimate(e.stride), stride_y.set_estimate(e.stride);
        dilation_x.set_estimate(1), dilation_y.set_estimate(1);
        pad_left.set_estimate(e.pad()), pad_top.set_estimate(e.pad());
        expand_min.set_estimate(0.0f), expand_max.set_estimate(6.0f), expand_kind.set_estimate(0);
        dw_min.set_estimate(0.0f), dw_max.set_estimate(6.0f), dw_kind.set_estimate(0);
        project_min.set_estimate(-1e30f), project_max.set_estimate(1e30f);
        project_kind.set_estimate(0);
        estimate_tensor(residual, e.c_out, e.out_width(), e.out_height(), e.batch);
        threads.set_estimate(1);
        sched::Problem problem{output.dim(0).extent(), output.dim(1).extent(),
                               output.dim(2).extent(), expanded, input.dim(0).extent(),
                               kernel, kernel, stride, dilation, 1};
        problem.input_width = input.dim(1).extent();
        problem.threads = threads;
        apply_schedule(sched::schedule_inverted_residual, p, problem, get_target(), choice,
                       p.result, algo::activation_branches({expand_act, dw_act, project_act}));
    }
};

}  // namespace convgen::gen

HALIDE_REGISTER_GENERATOR(convgen::gen::InvertedResidualGenerator, convgen_inverted_residual)
