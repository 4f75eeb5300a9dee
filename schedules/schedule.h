// The interface between algorithms and schedules. A generator builds the algorithm
// (generators/algorithms.h) and hands its Funcs here; the schedule for the generator's target
// decides loop order, tiling, vectorisation and parallelism. Schedules never redefine an
// algorithm and the runtime never sees a schedule.
#pragma once

#include "../generators/algorithms.h"
#include "knobs.h"

namespace convgen::sched {

// What a schedule may specialise on: the output extents (as Exprs of the output buffer) and
// which window parameters are compile-time constants in this variant (0 = read at run time).
struct Problem {
    Halide::Expr out_channels, out_width, out_height;
    Halide::Expr in_channels;  // reduction channels: c_in of conv2d/pointwise, c*m of separable
    Halide::Expr input_channels;  // channels of the input tensor
    int kernel_w = 0, kernel_h = 0, stride = 0;
    int dilation = 0;
    int multiplier = 0;  // depthwise channel multiplier (depthwise, separable)
    Halide::Target target;
    // The GEMM weights' input buffer (pointwise), for a schedule that prefetches it; undefined
    // where the generator does not say.
    Halide::Parameter weights_buffer;
    // Elements between neighbouring input pixels (the input's x stride; pointwise), for a
    // schedule that avoids L1 set aliasing; undefined where the generator does not say.
    Halide::Expr input_pixel_stride;
    // Output channels per block of the target's GEMM weight buffers (abi/weight_layout.h; 0:
    // one block of all channels), for a schedule that copies whole blocks; set with `target`.
    int weight_block = 0;
    // The threads the call runs on (a kernel argument; pointwise), for a schedule that sizes
    // its parallel tasks to them; undefined where the generator does not say.
    Halide::Expr threads;
    // The input tensor's width (inverted residual: the expansion's rows); undefined where the
    // generator does not say.
    Halide::Expr input_width;
    // What the call's activation kinds are (algo::activation_branches): a schedule branches
    // each activated stage on them (TileShape::activations, branch_on_activations), so a
    // call whose activations are all clamps runs the clamp alone; undefined: no branch.
    algo::ActivationBranches activations;
};

// `output`'s whole schedule, its specialisations included, again as a first specialisation
// on `identity_only`: the kernel tests the kinds once per call, and inside that branch
// Halide's simplifier knows each is identity, so every stage computed there drops its select.
// The other branch computes any kind with the same schedule (twice the code). For schedules
// without a register-tile ladder of their own (GPU, naive); must run after the schedule, as a
// specialisation copies the schedule it is made from. No-op for an undefined or true condition.
void branch_on_activations(Halide::Func output, const Halide::Expr &identity_only);

void schedule_conv2d(algo::Conv2d &p, const Problem &problem, Knobs &knobs);
void schedule_depthwise(algo::Depthwise &p, const Problem &problem, Knobs &knobs);
void schedule_pointwise(algo::Pointwise &p, const Problem &problem, Knobs &knobs);
void schedule_separable(algo::Separable &p, const Problem &problem, Knobs &knobs);
void schedule_inverted_residual(algo::InvertedResidual &p, const Problem &problem, Knobs &knobs);

// The ISA name a target's knobs are keyed by: "avx512_spr", "avx512", "avx2", "sse41", "neon",
// "cuda", "opencl".
std::string isa_of(const Halide::Target &t);

}  // namespace convgen::sched
