// Small pieces every convgen generator shares: the variant parameters that turn run-time scalars
// into compile-time constants, and the hand-off to the schedule layer.
#pragma once

#include <stdexcept>
#include <string>

#include "Halide.h"
#include "algorithms.h"
#include "../schedules/schedule.h"
#include "weight_layout.h"

namespace convgen::gen {

// A variant fixes a window parameter at compile time when its GeneratorParam is > 0; otherwise
// the pipeline reads the run-time scalar. Fixed variants keep the scalar inputs so that every
// variant of an op has the same signature (the runtime validates that they agree).
inline Halide::Expr fixed_or(int fixed, const Halide::Expr &runtime) {
    return fixed > 0 ? Halide::Expr(fixed) : runtime;
}

// All convgen buffers start at 0 in every dimension and are dense in channels.
template <typename Buf>
void require_zero_min(Buf &b) {
    for (int i = 0; i < b.dimensions(); i++) b.dim(i).set_min(0);
}

// How a variant is scheduled (kernels.json "schedule"): "hand" and "tuned" run schedules/ with
// the variant's knobs; "naive" keeps Halide's defaults (each stage computed where it is used,
// serial, scalar: the floor the benchmarks compare against); with an autoscheduler (CMake passes
// autoscheduler=<name>) the generator only supplies bounds estimates and Halide schedules.
struct ScheduleChoice {
    std::string kind;       // the "schedule" GeneratorParam
    std::string knob_spec;  // the "knobs" GeneratorParam
    bool autoscheduled;     // Generator::using_autoscheduler()
};

// The block of output channels a target's kernels take their GEMM weights in
// (abi/weight_layout.h): x86 CPUs blocks, AArch64 and GPUs one block of all channels.
inline int weight_block(const Halide::Target &t) {
    return abi::weight_block_for(t.arch == Halide::Target::X86 && !t.has_gpu_feature());
}

// A stage's activation from its three kernel arguments (abi/kernel_abi.h). Autoscheduled
// baselines take the identity kind only (the runtime refuses them others; their kind
// arguments stay in the signature, unread): an autoscheduler schedules one loop nest, where
// the select over the kinds would cost every call an exp.
inline algo::Activation activation_args(const Halide::Expr &lo, const Halide::Expr &hi,
                                        const Halide::Expr &kind, const ScheduleChoice &choice) {
    return {lo, hi, choice.autoscheduled ? Halide::Expr(0) : kind};
}

// Names the schedule layer's ISA for this target and runs the given schedule with the knobs,
// which branches each activated stage on `activations` (sched::Problem::activations); a
// naive variant gets the identity branch on `output` alone (sched::branch_on_activations);
// an autoscheduled one takes the identity kind only (activation_args).
template <typename Pipeline, typename ScheduleFn>
void apply_schedule(ScheduleFn schedule, Pipeline &p, sched::Problem problem,
                    const Halide::Target &target, const ScheduleChoice &choice,
                    const Halide::Func &output, const algo::ActivationBranches &activations) {
    const bool hand = choice.kind == "hand" || choice.kind == "tuned";
    if (!hand && choice.kind != "naive") {
        throw std::invalid_argument("schedule='" + choice.kind +
                                    "': expected hand, tuned or naive (autoschedulers are chosen "
                                    "with autoscheduler=<name>)");
    }
    if ((choice.autoscheduled || !hand) && !choice.knob_spec.empty()) {
        throw std::invalid_argument("knobs are only read by the hand/tuned schedules, not by a " +
                                    std::string(choice.autoscheduled ? "autoscheduled" : "naive") +
                                    " variant");
    }
    if (choice.autoscheduled) return;
    if (!hand) return sched::branch_on_activations(output, activations.identity);
    problem.target = target;
    problem.weight_block = weight_block(target);
    problem.activations = activations;
    sched::Knobs knobs(choice.knob_spec, sched::isa_of(target));
    schedule(p, problem, knobs);
    knobs.check_all_used();
}

// Bounds estimates, read only by the autoschedulers: a MobileNetV1 middle layer (128 -> 128
// channels at 56x56, batch 1, ReLU6) with the variant's kernel and stride where it fixes them,
// else 3x3 stride 1 with SAME padding.
struct Estimates {
    int c_in = 128, c_out = 128, width = 56, height = 56, batch = 1, kernel = 3, stride = 1;
    Estimates(int fixed_kernel, int fixed_stride) {
        if (fixed_kernel > 0) kernel = fixed_kernel;
        if (fixed_stride > 0) stride = fixed_stride;
    }
    int out_width() const { return (width + stride - 1) / stride; }
    int out_height() const { return (height + stride - 1) / stride; }
    int pad() const { return (kernel - 1) / 2; }
};

// An NHWC tensor's estimate in Halide's (c, x, y, n) order.
template <typename Buf>
void estimate_tensor(Buf &b, int channels, int width, int height, int batch) {
    b.set_estimates({{0, channels}, {0, width}, {0, height}, {0, batch}});
}

// The GEMM weights as the algorithms read them, (c_out, rows...), from the blocked buffer the
// runtime packs (abi/weight_layout.h): (j, rows..., block), with the block's extent and stride
// fixed where it is a constant (x86), so addressing is constant. rows: c_in for pointwise,
// (c_in, kx, ky) for conv2d.
template <typename Buf>
Halide::Func unblocked_weights(Buf &packed, const Halide::Target &target) {
    const int last = packed.dimensions() - 1;
    const Halide::Var c("c");
    std::vector<Halide::Var> rows;
    for (int i = 1; i < last; i++) rows.emplace_back("r" + std::to_string(i));
    std::vector<Halide::Var> args{c};
    args.insert(args.end(), rows.begin(), rows.end());
    std::vector<Halide::Expr> at(rows.begin(), rows.end());
    Halide::Func w(static_cast<Halide::ImageParam>(packed).name() + "_unblocked");
    const int block = weight_block(target);
    if (block == abi::kWholeBlock) {
        packed.dim(last).set_extent(1);
        at.insert(at.begin(), c);
        at.push_back(0);
    } else {
        packed.dim(0).set_extent(block).dim(1).set_stride(block);
        // A schedule may compute channels past c_out (a register tile wider than the output,
        // a weight panel of whole blocks); those read the last block and are never stored.
        at.insert(at.begin(), c % block);
        at.push_back(Halide::clamp(c / block, 0, packed.dim(last).extent() - 1));
    }
    w(args) = packed(at);
    return w;
}

// Bounds estimates of a blocked weight buffer (see unblocked_weights); rows: the extents
// between the block's channels and the blocks.
template <typename Buf>
void estimate_blocked_weights(Buf &packed, std::vector<int> rows, int c_out,
                              const Halide::Target &target) {
    Halide::Region region;
    for (int extent : abi::blocked_weight_extents(rows, c_out, weight_block(target))) {
        region.emplace_back(0, extent);
    }
    packed.set_estimates(region);
}

}  // namespace convgen::gen
