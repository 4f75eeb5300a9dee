// Hand-written AArch64 NEON (ASIMD) schedules, one file per op, with the same knobs as the x86
// ones. Defaults come from the register file: 32 x 128-bit registers, 4 fp32 lanes each. NEON
// has no FMA with a memory operand, so every input value an FMA broadcasts (ld1r) and every
// weight vector it reads (ldr q) needs a register of its own next to the accumulators.
// One ARM ISA, "neon" (= Halide's arm-64-linux): the optional arm_dot_prod and arm_fp16 features
// only speed up int8 and fp16 arithmetic, and every convgen kernel is fp32.
#pragma once

#include "../schedule.h"

namespace convgen::sched::arm {

void schedule_conv2d(algo::Conv2d &p, const Problem &problem, Knobs &knobs);
void schedule_depthwise(algo::Depthwise &p, const Problem &problem, Knobs &knobs);
void schedule_pointwise(algo::Pointwise &p, const Problem &problem, Knobs &knobs);
void schedule_separable(algo::Separable &p, const Problem &problem, Knobs &knobs);

// Register tiles of the GEMM-like ops (pointwise, conv2d, the fused pointwise half):
//   4 vectors (16 output channels) x 6 pixels = 24 accumulators, + 4 weight vectors
//   + up to 4 broadcast input values = 32 registers. Per reduction step: 24 FMAs for 4 + 6
//   loads. A 7-pixel tile (to divide MobileNet's widths, as on AVX-512) would need 28
//   accumulators + 4 weights and leave no register for the broadcasts, so it would spill.
constexpr int kGemmTileVectors = 4;
constexpr int kGemmTilePixels = 6;
// Depthwise: 2 vectors (8 channels) x 4 pixels = 8 accumulators; the 3x3 taps' weights
// (2 x 9 = 18 vectors) stay in registers across the tile's pixels: 26 of 32.
constexpr int kDepthwiseTileVectors = 2;
constexpr int kDepthwiseTilePixels = 4;

}  // namespace convgen::sched::arm
