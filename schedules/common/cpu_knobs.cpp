#include "cpu_knobs.h"

#include <stdexcept>

namespace convgen::sched::cpu {

namespace {
// Value ranges for the tuner: around every default, bounded by what a register file of 32
// vectors can hold (the tuner also drops tiles that cannot fit: tuner/knob_space.cpp).
const std::vector<int> kTileC{1, 2, 3, 4, 5, 6};  // vectors of output channels
const std::vector<int> kTileX{1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14};  // output pixels
const std::vector<int> kDwTileC{1, 2, 3, 4};
const std::vector<int> kDwTileX{1, 2, 3, 4, 5, 6, 7, 8};
const std::vector<int> kRows{1, 2, 4, 8, 16, 32};
const std::vector<int> kBool{0, 1};
const std::vector<int> kTighter{0, 1, 2, 3};  // knob tighter_tiles
const std::vector<int> kPrefetchRows{0, 4, 8, 16, 32};
const std::vector<int> kUnrollCi{1, 2, 4};
const std::vector<int> kMinRowTasks{0, 2, 4, 8};
const std::vector<int> kTasksPerThread{0, 2, 3, 4, 6};
const std::vector<int> kAltTileC{0, 2, 3, 4};  // 0: no tile of its own
const std::vector<int> kAltTileX{0, 4, 5, 6, 7, 8};
const std::vector<int> kAltTileWideC{0, 5, 6};  // 0: none
const std::vector<int> kAltTileTightX{0, 3, 4, 5};  // 0: none
const std::vector<int> kAltTileMinCIn{0, 128, 192, 256, 384, 512};  // 0: never
const std::vector<int> kCiBlock{0, 16, 32, 64, 128};  // 0: the whole reduction at once
const std::vector<int> kCiBlockPixels{0, 256, 512, 1024, 2048, 4096};  // 0: the whole image
const std::vector<int> kUnrollRowsMaxK{0, 1, 3, 5};  // 0: every window; 1: none

// The depthwise register tile's defaults (op, or the separable's depthwise half): the target's
// general tile, for run-time windows and multipliers; its fixed-window tile where the variant
// fixes the window and multiplier 1; and, for the depthwise op, its own pixels at stride 1
// and its own tile, every tap row rolled, for windows above 3x3 at stride 2; and its tap rows'
// unrolling for variants that fix the window, stride and a multiplier above 1. Each only
// where the target sets it (CpuDefaults).
struct DwTile {
    int vectors, pixels, unroll_rows_max_k;
};
DwTile depthwise_tile(const CpuDefaults &d, const FixedParams &fixed, bool depthwise_op) {
    DwTile t{d.dw_tile_vectors, d.dw_tile_pixels, d.dw_unroll_rows_max_k};
    if (fixed.kernel > 0 && fixed.stride > 0 && fixed.multiplier > 1 &&
        d.dw_multiplier_unroll_rows_max_k > 0) {
        t.unroll_rows_max_k = d.dw_multiplier_unroll_rows_max_k;
    }
    if (fixed.kernel <= 0 || fixed.multiplier != 1) return t;
    if (d.dw_window_tile_vectors > 0) t.vectors = d.dw_window_tile_vectors;
    if (d.dw_window_tile_pixels > 0) t.pixels = d.dw_window_tile_pixels;
    if (!depthwise_op) return t;
    if (fixed.stride == 1 && d.dw_op_tile_pixels > 0) t.pixels = d.dw_op_tile_pixels;
    if (fixed.stride == 2 && fixed.kernel > 3 && d.dw_op_large_window_s2_tile_pixels > 0) {
        t.pixels = d.dw_op_large_window_s2_tile_pixels;
        t.unroll_rows_max_k = 1;  // no window's tap rows unrolled
    }
    return t;
}

}  // namespace

std::vector<KnobDecl> cpu_knobs(const std::string &op, const CpuDefaults &d,
                                const FixedParams &fixed) {
    const bool fixed_kernel = fixed.kernel > 0;
    // The pointwise and conv2d ops' own tile, where a target sets one.
    const int op_tile_vectors = d.op_tile_vectors > 0 ? d.op_tile_vectors : d.gemm_tile_vectors;
    const int op_tile_pixels = d.op_tile_pixels > 0 ? d.op_tile_pixels : d.gemm_tile_pixels;
    const DwTile dw = depthwise_tile(d, fixed, op == "depthwise");
    // Read only where the variant fixes the window (the taps are unrolled only then).
    auto with_rows_knob = [&](std::vector<KnobDecl> k) {
        if (fixed_kernel) {
            k.push_back({"dw_unroll_rows_max_k", dw.unroll_rows_max_k, kUnrollRowsMaxK});
        }
        return k;
    };
    if (op == "conv2d") {
        std::vector<KnobDecl> k = {
            {"tile_c", d.conv_tile_vectors > 0 ? d.conv_tile_vectors : op_tile_vectors, kTileC},
            {"tile_x", d.conv_tile_pixels > 0 ? d.conv_tile_pixels : op_tile_pixels, kTileX},
            {"rows_per_task", 1, kRows},
            {"channels_outside_rows", d.conv_channels_outside_rows, kBool},
            {"pack_weights", d.gemm_pack_weights, kBool},
            {"tighter_tiles",
             d.conv_tighter_tiles >= 0 ? d.conv_tighter_tiles : d.gemm_tighter_tiles, kTighter},
            {"unroll_ci", 1, kUnrollCi},
            {"ci_block", d.conv_ci_block, kCiBlock},
            {"ci_block_pixels", d.conv_ci_block_pixels, kCiBlockPixels},
        };
        if (fixed_kernel) k.push_back({"unroll_taps", 0, kBool});
        return k;
    }
    if (op == "depthwise") {
        return with_rows_knob({
            {"dw_tile_c", dw.vectors, kDwTileC},
            {"dw_tile_x", dw.pixels, kDwTileX},
            {"dw_tighter_tiles", d.dw_tighter_tiles, kBool},
            {"rows_per_task", d.dw_rows_per_task, kRows},
            {"channels_outside_rows", d.dw_channels_outside_rows, kBool},
            {"stage_input", d.dw_stage_input, kBool},
            {"slices_inside_pixels", d.dw_slices_inside_pixels, kBool},
            {"min_row_tasks", d.dw_min_row_tasks, kMinRowTasks},
        });
    }
    if (op == "pointwise") {
        return {
            {"tile_c", op_tile_vectors, kTileC},
            {"tile_x", op_tile_pixels, kTileX},
            {"rows_per_task", d.pw_rows_per_task, kRows},
            {"channels_outside_rows", d.pw_channels_outside_rows, kBool},
            {"tasks_per_thread", d.pw_tasks_per_thread, kTasksPerThread},
            {"strip_major_tasks", d.pw_strip_major_tasks, kBool},
            {"wide_tiles", d.pw_wide_tiles, kBool},
            {"pack_weights", d.gemm_pack_weights, kBool},
            {"tighter_tiles", d.gemm_tighter_tiles, kTighter},
            {"prefetch_rows", d.pw_prefetch_rows, kPrefetchRows},
            {"alt_tile_c", d.pw_alt_tile_vectors, kAltTileC},
            {"alt_tile_x", d.pw_alt_tile_pixels, kAltTileX},
            {"alt_tile_wide_c", d.pw_alt_tile_wide_vectors, kAltTileWideC},
            {"alt_tile_tight_x", d.pw_alt_tile_tight_pixels, kAltTileTightX},
            {"alt_tile_min_c_in", d.pw_alt_tile_min_c_in, kAltTileMinCIn},
        };
    }
    if (op == "separable") {
        return with_rows_knob({
            {"tile_c", d.gemm_tile_vectors, kTileC},
            {"tile_x", d.gemm_tile_pixels, kTileX},
            {"tighter_tiles", d.gemm_tighter_tiles, kTighter},
            {"dw_tile_c", dw.vectors, kDwTileC},
            {"dw_tile_x", dw.pixels, kDwTileX},
            {"strip_panels", d.separable_strip_panels, kBool},
            // Strip height with strip_panels, else rows per task (the schedule picks between
            // the two defaults by the strip_panels actually used).
            {"rows_per_task",
             d.separable_strip_panels ? d.separable_strip_rows : d.separable_rows_per_task,
             kRows},
            {"stage_input", d.separable_stage_input, kBool},
            {"slices_inside_pixels", d.separable_slices_inside_pixels, kBool},
            // Used by the depthwise half when it runs as its own loop nest (strip_panels).
            {"channels_outside_rows", 1, kBool},
        });
    }
    if (op == "inverted_residual") {
        return with_rows_knob({
            {"tile_c", d.gemm_tile_vectors, kTileC},  // the projection's tile
            {"tile_x", d.gemm_tile_pixels, kTileX},
            {"tighter_tiles", d.gemm_tighter_tiles, kTighter},
            {"expand_tile_c",
             d.ir_expand_tile_vectors > 0 ? d.ir_expand_tile_vectors : d.gemm_tile_vectors,
             kTileC},
            {"expand_tile_x",
             d.ir_expand_tile_pixels > 0 ? d.ir_expand_tile_pixels : d.gemm_tile_pixels, kTileX},
            {"dw_tile_c", dw.vectors, kDwTileC},
            {"dw_tile_x", dw.pixels, kDwTileX},
            // Both GEMMs: 1 vector x twice the tile's pixels where it computes at least 5%
            // fewer channels (TileShape::wide_rung).
            {"wide_tiles", d.pw_wide_tiles, kBool},
            {"rows_per_task", d.ir_rows_per_task, kRows},
            // Copy the expanded rows zero-padded for the taps, which otherwise test the border
            // and clamp the column on every load.
            {"stage_input", 1, kBool},
            // Read by the depthwise stage, which has no loop nest of its own here.
            {"channels_outside_rows", 1, kBool},
        });
    }
    throw std::invalid_argument("no CPU knobs for op '" + op + "'");
}

}  // namespace convgen::sched::cpu
