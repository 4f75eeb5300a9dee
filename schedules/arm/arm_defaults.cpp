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
    // Depthwise 2 vectors (8 channels) x 4 pixels = 8 accumulators; the 3x3 taps' 18 weight
    // vectors stay in registers across the tile's pixels: 26 of 32.
    d.dw_tile_vectors = 2;
    d.dw_tile_pixels = 4;
    // Staged input rows: with the border test left in the taps the 3x3 stride-1 loop held 32
    // scalar spills of clamped indices and 1.06 loads per FMA; staged, none and 0.61.
    d.dw_stage_input = true;
    d.separable_stage_input = true;  // the fused separable's depthwise half, likewise
    return d;
}

}  // namespace convgen::sched::arm
