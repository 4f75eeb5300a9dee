// x86 defaults, from the register file (AVX-512: 32 x 16 fp32 lanes; AVX2: 16 x 8; SSE4.1:
// 16 x 4, no FMA) and from measurements on the MobileNetV1 blocks on a Zen 4 core (1 thread).
#include "x86_defaults.h"

namespace convgen::sched::x86 {

cpu::CpuDefaults defaults(const std::string &isa) {
    cpu::CpuDefaults d;
    // Both AVX-512 levels share the register file and so every default but the one below.
    const bool avx512 = isa == "avx512" || isa == "avx512_spr";
    if (avx512) {
        // GEMM tile 2 vectors x 14 pixels = 28 accumulators + 2 weight vectors + 1 broadcast
        // = 31 of the 32 registers. LLVM keeps each broadcast input in a register (it feeds
        // every weight vector's FMA; it is not folded into an FMA as a {1to16} operand), so
        // the former 4x7 tile needed 33 and spilled 4 zmm per iteration, a store-to-load chain
        // in the hot loop (tools/asm_report.py; 2x14: none). 14 divides 112, 56, 28 and 14,
        // and the ladder's half tile, 2x7, covers the 7-wide rows, so no tile is wasted at a
        // row's end (4x6 wasted up to 42% on the 14- and 7-wide rows: 65-90 GFLOP/s on Zen 4
        // against 109-116 elsewhere); 32 channels divide every MobileNet channel count. Loads:
        // 2 + 14 per 28 FMAs, within the two load ports of Zen 4 and Zen 5.
        d.gemm_tile_vectors = 2;
        d.gemm_tile_pixels = 14;
        // Except where 2x14 fits the pointwise op badly (cpu_schedules.cpp, alt_tile): input
        // pixels a multiple of 4 KiB apart (c_in 1024, 2048), whose 14 broadcast streams share
        // one L1 set (4 KiB per way, 8 ways on Zen 4, 12 on Zen 5 and Intel) and evict each
        // other every step; or rows it overlaps by 10% or more (the 7x7 layers' merged row of
        // 49 pixels: 56). There 4 vectors x 5 pixels (20 accumulators + 4 weight vectors + 1
        // broadcast = 25 registers), 5 streams, at most 4 pixels of overlap. `convgen-tune
        // --measure tile_c:4,tile_x:5`, Zen 4 (AMD EPYC family 25 model 17), 1 thread, 3-5
        // rounds: 1024 -> 1024 at 7x7 1.57 -> 1.02 ms (1.50x; 3x7 1.41x), 512 -> 1024 at 7x7
        // 1.17x (cold 1.18x), Xception's 1536 -> 2048 at 10x10 1.23x; where 2x14 fits (512
        // channels at 14x14 and 28x28, 256 at 14x14) 0.95-0.99x, so only there. avx512_spr's
        // 4x6 tile reads 6 streams and is not changed.
        if (isa == "avx512") {
            d.pw_alt_tile_vectors = 4;
            d.pw_alt_tile_pixels = 5;
            // 5x5 (25 accumulators + 5 weight vectors + 1 broadcast = 31 registers) where it
            // pads the channels at least 5% less: 160 channels (MobileNetV2, EfficientNet at
            // 7x7) are 2 slices of 80, where 4x5 computed 192. `convgen-tune --measure
            // alt_tile_c:5`, Zen 4, 1 thread, 3 rounds: 960 -> 160 and 576 -> 160 at 7x7
            // 1.19x and 1.20x; 1152 -> 320 (no padding either way) 0.99x.
            d.pw_alt_tile_wide_vectors = 5;
        }
        // And 1x28 where it computes at least 5% fewer channels than 2x14 (wide_tiles; a
        // no-op on avx512_spr, whose 4x6 has no 1-vector rung of as many accumulators).
        // `convgen-tune --measure wide_tiles:1`, Zen 4, 1 thread, 3 rounds: 144 and 240 -> 40
        // at 28x28 1.31x and 1.30x, 240 and 480 -> 80 at 14x14 1.20x, 480 and 672 -> 112 at
        // 14x14 1.14x, 24 -> 144 at 56x56 1.06x, as the channels computed shrink (40: 64 ->
        // 48; 80: 96 -> 80; 112: 128 -> 112). Only on reductions of 64 channels or more
        // (cpu_schedules.cpp says why).
        d.pw_wide_tiles = true;
        // Depthwise 2 vectors x 4 pixels: 8 accumulators + 18 weight vectors (3x3). 32
        // channels is two cache lines per pixel, which the strided pixel walk streams better
        // than one: 2x4 beat 1x8 by 1.2-1.5x.
        d.dw_tile_vectors = 2;
        // The depthwise op itself in 2x7 (14 accumulators; the 3x3 weights partly as FMA
        // memory operands): 7 divides the 7-, 14-, 28-, 56- and 112-wide rows that 4 covered
        // with 8 and 16 on the narrow ones, and 7 + 2 input columns serve 7 outputs per tap
        // row (4 + 2 served 4). 5- and 4-pixel tiles where they cover at least 5% less (10-wide
        // rows: 5). `convgen-tune --measure dw_tile_x:7` (and dw_tile_x:5), Zen 4, 1 thread, 3
        // rounds, time with 2x4 / with the new tile: 512 at 14x14 1.29x, 1024 at 7x7 1.19x,
        // 5x5 1152 at 7x7 1.22x and 240 at 28x28 1.16x, 728 at 37x37 1.13x, 1536 and 1024 at
        // 10x10 (2x5) 1.27x and 1.17x; 32 at 112x112, 144 at 56x56, 256 at 28x28, 64 at
        // 147x147, 96 at 112x112 s2 0.98-1.04x; 256 at 74x74 0.94x. Only for variants that
        // fix the window, stride 1 and multiplier 1: at stride 2, with multipliers and with a
        // run-time window the 2x7 loop spills vectors (tools/asm_report.py: 5x5 s2 58 stores
        // per iteration, the multiplier-4 loops 15-39), where 2x4's do not or less. The fused
        // separable's depthwise half keeps 2x4 (not measured with 2x7).
        if (isa == "avx512") {
            d.dw_op_tile_pixels = 7;
            d.dw_tighter_tiles = true;
            // 5x5 at stride 2: 2x7 too, one tap row per iteration (unrolled, the 2x7 loop
            // spilled 58 vectors per iteration; rolled, 8). `convgen-tune --measure`, Zen 4,
            // 3 rounds, 2x4's time / this tile's, warm and cold, 1 and 2 threads, three
            // sessions: 144 at 56x56 1.09-1.32x, 240 at 28x28 1.03-1.31x, 72 at 56x56
            // 0.98-1.42x, 672 at 14x14 0.99-1.24x; 1x8 (no spill) 0.58-1.17x of this. 3x3
            // stride 2 keeps 2x4 (0.86-1.23x with 2x7, 6 layers).
            d.dw_op_large_window_s2_tile_pixels = 7;
        }
        if (isa == "avx512_spr") {
            // Full-width AVX-512 (Intel Sapphire Rapids and later): the pointwise op in
            // 4 vectors x 6 pixels = 24 accumulators + 4 weight vectors + 1 broadcast = 29 of
            // 32 registers, 10 loads per 24 FMAs (2x14: 16 per 28) and 6 input rows streamed
            // instead of 14. `convgen-tune --cold --measure tile_c:4,tile_x:6` on an Intel Xeon
            // (family 6, AMX, 2 cores), 7 interleaved rounds, the 9 MobileNetV1 pointwise layers:
            // 1 thread 1.10-1.71x on 8 (0.95x on 256 -> 256 at 28x28), 2 threads 1.00-1.66x on
            // 8 (0.97x on the same layer), the 7- and 14-wide layers included despite the
            // tile's overlap there. On Zen 4 (the avx512 level) 4x6 ran those narrow layers at
            // 65-90 GFLOP/s against 109-116 on the others, so that level keeps 2x14 (Zen 4 and
            // Zen 5 not re-measured since). The fused separable's pointwise half keeps 2x14
            // here too: 4x6 was 0.89-1.12x there (5 rounds, 1 thread).
            d.op_tile_vectors = 4;
            d.op_tile_pixels = 6;
            // conv2d too: 1.09-2.17x on 7 of the 9 MobileNetV1-shaped 3x3 convs (3 rounds,
            // cold, 1 thread), but 0.66-0.82x on the 7-wide outputs, where 4x6 computes 12
            // pixels per row; the leaner rungs (tighter_tiles 2, below) fix those.
        } else {
            // conv2d on Zen 4 takes 4x6 too, with the leaner 3x7 on the 14- and 7-wide rows
            // (Zen 5 runs this level too, kernels.json says why; not measured there)
            // (tighter_tiles 3: where 3x7 covers at most 85% of 4x6's outputs). 2x14 ran the
            // 3x3 convs at 53-92% of oneDNN 2.7's speed. `convgen-tune --measure`, Zen 4
            // (AMD EPYC family 25 model 17), 1 thread, 2 rounds, the 9 MobileNetV1-shaped convs,
            // time with 2x14 / with the new tile: 4x6 (stride 1 at 112, 56, 28 wide) 2.37x,
            // 1.86x, 1.26x; stride 2 at 56, 28 wide 1.05x, 1.12x; 3x7 (14- and 7-wide
            // outputs) 1.30x, 1.21x, 1.18x, 1.17x. 4x5 everywhere: the same on wide rows,
            // 0.96-0.98x on the 7-wide ones.
            d.conv_tile_vectors = 4;
            d.conv_tile_pixels = 6;
            d.conv_tighter_tiles = 3;
        }
    } else if (isa == "avx2") {
        // 3 vectors x 4 pixels = 12 accumulators + 3 weights + 1 broadcast of 16 registers.
        d.gemm_tile_vectors = 3;
        d.gemm_tile_pixels = 4;
        // The pointwise op in 2 vectors x 6 pixels (12 accumulators + 2 weights + 1 broadcast
        // = 15 registers) on reductions of 256 channels or more, where it covers no more
        // outputs than 3x4: 3x4's weight panel, streamed once per pixel tile, is 24 channels x
        // c_in floats (24 KiB at 256, 96 KiB at 1024) against Zen 3's 32 KiB L1, and 2x6's is
        // two thirds of it; also where 3x4 fits badly (alt_tile: input pixels 4 KiB apart, or
        // rows it overlaps by 10%). `convgen-tune --measure alt_tile_c:2,alt_tile_x:6,
        // alt_tile_min_c_in:256` on a Zen 3 core (AMD EPYC family 25 model 1), time 3x4 /
        // 2x6 on the 5 MobileNetV1 layers it changes (256 -> 256 at 28x28, 256 -> 512 and
        // 512 -> 512 at 14x14, 512 and 1024 -> 1024 at 7x7): 1 thread 7 rounds 1.02-1.14x,
        // cold 0.99-1.18x, 2 threads 5 rounds 1.07-1.15x. As the only tile it lost where it
        // pads (24 output channels: 0.58-0.65x in 1x12; 19-wide rows, 24 pixels for 19:
        // 0.89x), hence the conditions; 4x2 (the tuned 56- and 28-wide layers') was
        // 0.86-0.96x on the 28- and 14-wide three of them (3 rounds, cold).
        d.pw_alt_tile_vectors = 2;
        d.pw_alt_tile_pixels = 6;
        d.pw_alt_tile_min_c_in = 256;
        // 2 x 5 where it covers 5% fewer outputs than 2x6: the 7x7 layers' 49-pixel row, which
        // 2x6 covers with 54 (ShiftInwards computes the overlap again), 2x5 with 50.
        // `convgen-tune --measure alt_tile_x:5` on a Zen 3 core, 1 thread, 7 rounds, 2x6's time
        // / 2x5's: 1024 -> 1024 at 7x7 1.09x, 512 -> 1024 at 7x7 1.06x; on 512 -> 512 at 14x14
        // (196 pixels: 198 in 2x6, 200 in 2x5) 0.98x, hence only where it covers fewer. AOT
        // with the rule (convgen_bench, 4 rounds): 1024 -> 1024 at 7x7 1.10x at 1 thread, 1.06x
        // at 2; 512 -> 1024 at 7x7 1.01x. The 2-thread search (`--layers mobilenet_v1
        // --threads 2`) had chosen 5 pixels for both 7x7 layers.
        d.pw_alt_tile_tight_pixels = 5;
        // Depthwise 2 vectors x 4 pixels, as on AVX-512 and for the same reason: 16 channels
        // are one 64-byte line of each pixel, where one vector read half a line per pass of
        // the strided pixel walk. Not all 18 weight vectors fit beside the 8 accumulators;
        // the rest are FMA memory operands. convgen-tune on a Zen 3 core (1 thread): 3x3 s2
        // 128 channels at 56x56 0.268 -> 0.160 ms, s1 512 channels at 14x14 0.222 -> 0.123.
        d.dw_tile_vectors = 2;
    } else {
        // SSE4.1 has no FMA, so products need temporaries: 2 x 4 = 8 accumulators.
        d.gemm_tile_vectors = 2;
        d.gemm_tile_pixels = 4;
    }
    // Where the full GEMM tile's channel slices overlap (AVX2's 24 channels on 64 or 128:
    // 12.5% computed twice), a tile of as many accumulators that pads less replaces it
    // (AVX2: 2 x 6; cpu_schedules.cpp tighter_rungs).
    d.gemm_tighter_tiles = 1;
    // avx512_spr's 4x6 tile also tries the leaner rungs (TileShape::leaner_rungs): 3x7 on the
    // 7-wide rows brought the two 7-wide 3x3 convs to 2x14's time (1.29x and 1.50x over
    // plain 4x6) and left the others as they were (pointwise 0.99-1.04x, 3 rounds).
    if (isa == "avx512_spr") d.gemm_tighter_tiles = 2;
    // Output-channel slices outside the rows for conv2d: on the 14x14 and 7x7 blocks, where a
    // row holds few pixels, rows-outside re-read the weights per row and ran 2-3x slower.
    d.conv_channels_outside_rows = true;
    // Weight panels packed per output-channel slice, the slices outside strips of 4 rows for
    // pointwise (conv2d has its slices outside already). Measured on a Zen 3 core (AVX2,
    // 3x4 tile, 1 thread, Halide JIT of the same schedule): 512->512 at 14x14 38.6 -> 63.7
    // GFLOP/s, 1024->1024 at 7x7 32.3 -> 46.7, 32->64 at 112x112 73.3 -> 75.3; the panel
    // (tile_c vectors x c_in floats) streams from L1/L2 instead of a read c_out floats apart.
    d.gemm_pack_weights = true;
    // Prefetch the weights 8 rows ahead of the panel copy (AVX2; AVX-512 not measured yet).
    // `convgen-tune --cold --measure prefetch_rows:8` on a Zen 3 core, 1 thread, 7 rounds:
    // 1024 -> 1024 at 7x7 1.14x, 512 -> 1024 at 7x7 1.07x, 512 -> 512 at 14x14 1.05x,
    // 256 -> 256 at 28x28 1.01x (16 and 32 rows: 0.98-1.06x).
    d.pw_prefetch_rows = isa == "avx2" ? 8 : 0;
    d.pw_channels_outside_rows = true;
    d.pw_rows_per_task = 4;
    // One chunk of pixel tiles per thread where a layer has fewer than 3 (strip, slice) tasks
    // per thread and they do not divide among the threads (TileShape::threads): the merged
    // rows of the 14x14 and 7x7 layers are one strip, so 80-320 output channels were 3-5
    // tasks, and on 2 threads the last ran alone. `convgen-tune --threads 2 --measure
    // tasks_per_thread:0` (Zen 4, 3 rounds), time without / with: 960 -> 160 and 1152 -> 192
    // at 7x7 1.30x and 1.27x, 384 -> 96 at 14x14 1.28x, 480 -> 80 at 14x14 1.10x (on 1x28:
    // 5 slices), 1152 -> 320 at 7x7 1.10x; 192 -> 64 at 14x14 (2 tasks) unchanged. Chunks
    // copy their weight panels again, so one thread never takes them (3 tasks per thread as
    // the bar rather than 2 or 4: 6 / 8 / 12 tasks gave 1.29 / 1.15 / 1.10x on 960 -> 160).
    d.pw_tasks_per_thread = 3;
    // The fused separable in strips of 4 rows with packed panels (cpu_schedules.cpp).
    d.separable_strip_panels = true;
    d.separable_strip_rows = 4;
    // Staging the depthwise input rows (zero padding copied once, so the taps read plain
    // memory). On Zen 4 (AVX-512) it won only on the 14x14 and 7x7 blocks; elsewhere the taps'
    // border test, mostly hoisted by Halide's loop partitioning, was cheaper. On the Intel
    // AVX-512 core below, with the pixel-tile walk, staging was slower than not staging on all
    // 9 layers (0.73-1.44x of the old default against 0.96-2.15x), so AVX-512 does not stage.
    // AVX2 staged until 2026-12-06 (it won on a Zen 3 core before the pixel-tile walk below);
    // with that walk, not staging is faster: `convgen-tune --measure stage_input:0` on a Zen 3
    // core (AMD EPYC family 25 model 1), 3 interleaved rounds, time staged / not: 1 thread
    // 1.05-1.72x on 35 of the 36 depthwise layers of MobileNetV1, V2, EfficientNet-B0 and
    // Xception (3x3 and 5x5, stride 1 and 2; 0.98x on 32 channels at 112x112, which the
    // network runs fused), 2 threads 1.04-1.42x on 8 of MobileNetV1's 9 (0.96x on the same).
    // Inside the fused separable it lost (0.85-0.97x on 3 of 4 blocks), so that keeps the
    // border test.
    d.dw_stage_input = false;
    // The depthwise op walks each row pixel tile by pixel tile, all channels of a tile's input
    // pixels together (rows outside the channel slices, the slices inside the pixel tiles), its
    // staged input rows holding every channel. Before, each 16-channel slice walked its strip of
    // rows reading one 64-byte line of every pixel (256-1024 bytes apart in NHWC), and the
    // staging copy waited on those scattered lines for most of the run (perf: 60% of the time).
    // Strips are shortened to give at least 4 per image, so the 14x14 and 7x7 layers keep both
    // threads busy. `convgen-tune --cold --measure` on a Zen 3 core (AVX2), 3 interleaved
    // rounds, the 9 MobileNetV1 depthwise layers: 1 thread 1.2-3.2x, 2 threads 1.3-2.6x.
    // AVX-512 too: `convgen-tune --cold --measure` on an Intel Xeon (Emerald Rapids, AVX-512,
    // family 6 model 207), 3 interleaved rounds: 1.22-2.15x on 7 of the 9 layers at 1 thread
    // (0.96-0.97x on 32 channels at 112x112 s1 and 256 at 28x28 s2), 1.10-1.95x on 8 at 2
    // threads (0.90x on the 32-channel layer, which the network runs fused).
    d.dw_channels_outside_rows = false;
    d.dw_slices_inside_pixels = true;
    d.dw_min_row_tasks = 4;
    d.separable_stage_input = false;
    return d;
}

}  // namespace convgen::sched::x86
