// NEON defaults, from the register file: 32 x 128-bit registers, 4 fp32 lanes each. NEON has
// no FMA with a memory operand, so every input value an FMA broadcasts (ld1r) and every weight
// vector it reads (ldr q) needs a register of its own next to the accumulators. Chosen from
// the arm-64-linux assembly (tools/asm_report.py --arch aarch64), not measured on hardware:
// the tuner's job. (Weight panels, gemm_pack_weights, are off here: unmeasured on ARM.)
#include "arm_defaults.h"

namespace convgen::sched::arm {

cpu::CpuDefaults defaults() {
    cpu::CpuDefaults d;
    // GEMM tile 4 vectors (16 output channels) x 6 pixels = 24 accumulators + 4 weight vectors
    // + up to 4 broadcast inputs = 32 registers: 24 FMAs for 4 + 6 loads per reduction step.
    // A 7-pixel tile (as on AVX-512) would leave no register for the broadcasts and spill.
    d.gemm_tile_vectors = 4;
    d.gemm_tile_pixels = 6;
    // Depthwise 2 vectors (8 channels) x 4 pixels = 8 accumulators, for run-time windows and
    // multipliers (multiplier 4 fills lanes by shuffles; at 1x7 its 3x3 loop held 380 loads
    // and 4 vector spill stores per iteration against 2x4's 294 and none).
    d.dw_tile_vectors = 2;
    d.dw_tile_pixels = 4;
    // Fixed windows with multiplier 1: 1 vector (4 channels) x 7 pixels. The 3x3 taps' 9
    // weight vectors + 7 accumulators + the row's streamed inputs fit the register file, and
    // each input vector serves up to 3 taps: 27 loads per 63 FMAs at stride 1 (0.43), 45 at
    // stride 2. 2x4's 18 weights + 8 accumulators did not fit beside the inputs: LLVM hoisted
    // the weights and reloaded 3-6 of them from the stack per iteration (44 loads + 5 reloads
    // per 72 FMAs at stride 1, 65 + 6 at stride 2). 1x8 reloaded 3 at stride 2; 7 divides the
    // 7- to 112-wide rows of MobileNet and EfficientNet.
    d.dw_window_tile_vectors = 1;
    d.dw_window_tile_pixels = 7;
    // 5x5 and larger windows: one tap row per iteration (5 weight vectors loaded in the loop),
    // 16 loads per 35 FMAs and no stack traffic; fully unrolled, their 25-50 weight vectors
    // were hoisted and 27-44 of them reloaded from the stack per iteration.
    d.dw_unroll_rows_max_k = 3;
    // Multipliers 2 and 4 with a fixed window and stride (3x3 included): one tap row per
    // iteration in the 2x4 tile. Unrolled, the multiplier-4 loops reloaded 11-16 weight vectors
    // and 180-283 scalars from the stack per iteration (2.76-4.21 loads per FMA), the
    // multiplier-2 loop 12 vectors; rolled, none of either at stride 1 and 6 scalars at stride
    // 2, with 0.75 (m2), 1.25 (m4) and 2.0 (m4 stride 2) loads per FMA. 1x4, 2x2, 1x2, 1x3 and
    // 1x7 tiles kept reloads or loaded more per FMA (tools/asm_report.py, 2026-12-06). On
    // AVX-512 (Zen 4) the same change ran 0.86-1.08x, so x86 keeps its unrolled taps.
    d.dw_multiplier_unroll_rows_max_k = 1;
    // Staged input rows: with the border test left in the taps the 3x3 stride-1 loop held 32
    // scalar spills of clamped indices and 1.06 loads per FMA; staged, none and 0.61.
    d.dw_stage_input = true;
    d.separable_stage_input = true;  // the fused separable's depthwise half, likewise
    return d;
}

}  // namespace convgen::sched::arm
