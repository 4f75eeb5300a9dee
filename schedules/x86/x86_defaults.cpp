// x86 defaults, from the register file (AVX-512: 32 x 16 fp32 lanes; AVX2: 16 x 8; SSE4.1:
// 16 x 4, no FMA) and from measurements on the MobileNetV1 blocks on a Zen 4 core (1 thread).
#include "x86_defaults.h"

namespace convgen::sched::x86 {

cpu::CpuDefaults defaults(const std::string &isa) {
    cpu::CpuDefaults d;
    if (isa == "avx512") {
        // GEMM tile 4 vectors x 7 pixels = 28 accumulators + 4 weight vectors = 32 registers;
        // the input is an FMA's broadcast memory operand, so it needs no register. 7 divides
        // every MobileNet width (112, 56, 28, 14, 7), so no tile is wasted at a row's end:
        // pointwise 4x7 measured 109-116 GFLOP/s on all blocks, 4x6 only 65-90 on the 14- and
        // 7-wide ones.
        d.gemm_tile_vectors = 4;
        d.gemm_tile_pixels = 7;
        // Depthwise 2 vectors x 4 pixels: 8 accumulators + 18 weight vectors (3x3). 32
        // channels is two cache lines per pixel, which the strided pixel walk streams better
        // than one: 2x4 beat 1x8 by 1.2-1.5x.
        d.dw_tile_vectors = 2;
    } else if (isa == "avx2") {
        // 3 vectors x 4 pixels = 12 accumulators + 3 weights + 1 broadcast of 16 registers.
        d.gemm_tile_vectors = 3;
        d.gemm_tile_pixels = 4;
    } else {
        // SSE4.1 has no FMA, so products need temporaries: 2 x 4 = 8 accumulators.
        d.gemm_tile_vectors = 2;
        d.gemm_tile_pixels = 4;
    }
    // Output-channel slices outside the rows for conv2d: on the 14x14 and 7x7 blocks, where a
    // row holds few pixels, rows-outside re-read the weights per row and ran 2-3x slower.
    d.conv_channels_outside_rows = true;
    // Staging the depthwise input rows won only on the 14x14 and 7x7 blocks; elsewhere the
    // taps' border test, mostly hoisted by Halide's loop partitioning, was cheaper.
    d.dw_stage_input = false;
    return d;
}

}  // namespace convgen::sched::x86
