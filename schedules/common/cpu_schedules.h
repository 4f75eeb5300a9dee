// The CPU schedule of each op, shared by the x86 and ARM targets: register tiles from
// register_tiles.h arranged per op. What differs between CPUs is only the default value of
// each knob, sized from the target's register file and caches; a target supplies those in a
// CpuDefaults (schedules/x86/x86_defaults.cpp, schedules/arm/arm_defaults.cpp), and any knob can
// still be overridden by name.
#pragma once

#include "../schedule.h"

namespace convgen::sched::cpu {

struct CpuDefaults {
    // pointwise, conv2d and the pointwise half of separable: accumulator tile
    int gemm_tile_vectors = 4;  // knob tile_c
    int gemm_tile_pixels = 4;   // knob tile_x
    // the pointwise and conv2d ops (not the pointwise half of separable): their own tile,
    // where the best one differs from the GEMM tile; 0 = gemm_tile_vectors / gemm_tile_pixels
    int op_tile_vectors = 0;  // knob tile_c (pointwise, conv2d)
    int op_tile_pixels = 0;   // knob tile_x (pointwise, conv2d)
    // conv2d alone: its tile and tighter_tiles where they differ from the above (0 / -1 =
    // the pointwise op's)
    int conv_tile_vectors = 0;   // knob tile_c (conv2d)
    int conv_tile_pixels = 0;    // knob tile_x (conv2d)
    int conv_tighter_tiles = -1;  // knob tighter_tiles (conv2d)
    // conv2d: the c_in reduction in blocks of this many channels (0 = whole), the
    // accumulators of a slice's strip of rows in memory between blocks (cpu_schedules.cpp,
    // blocked_conv2d); and the strip's size, whole rows of at least this many output pixels
    // (0 = the whole image). Knobs ci_block, ci_block_pixels.
    int conv_ci_block = 0;
    int conv_ci_block_pixels = 1024;
    // pointwise op: the tile where the full one fits badly (input pixels a multiple of 4 KiB
    // apart, or rows it overlaps by 10% or more; TileShape::alt_tile; 0 = none)
    int pw_alt_tile_vectors = 0;  // knob alt_tile_c
    int pw_alt_tile_pixels = 0;   // knob alt_tile_x
    // pointwise op: a wider tile (this many vectors x alt_tile_x pixels) instead of the
    // alternative one where it covers at least 5% fewer outputs (TileShape::
    // alt_tile_wide_vectors; 0 = none)
    int pw_alt_tile_wide_vectors = 0;  // knob alt_tile_wide_c
    // pointwise op: a tighter tile (alt_tile_c vectors x this many pixels) instead of the
    // alternative one where it covers at least 5% fewer outputs (TileShape::
    // alt_tile_tight_pixels; 0 = none)
    int pw_alt_tile_tight_pixels = 0;  // knob alt_tile_tight_x
    // pointwise op: the alternative tile also where the reduction has at least this many input
    // channels (0 = never): there the full tile's weight panel (tile_c vectors x c_in floats,
    // streamed once per pixel tile) outgrows L1 and a narrower tile's panel still fits better
    // (TileShape::alt_when_no_wider). Knob alt_tile_min_c_in.
    int pw_alt_tile_min_c_in = 0;
    // conv2d: output-channel slices outside the rows (weights stay cached while pixels pass)
    bool conv_channels_outside_rows = true;  // knob channels_outside_rows
    // pointwise: the same, in strips of rows so that narrow layers still have enough tasks
    bool pw_channels_outside_rows = false;  // knob channels_outside_rows (pointwise op)
    int pw_rows_per_task = 1;               // knob rows_per_task (pointwise op)
    // pointwise, with channels outside rows in strips, on more than one thread: where the
    // (strip, slice) tasks are fewer than this many per thread and do not divide among the
    // threads, one chunk of pixel tiles per thread instead (TileShape::threads; 0 = never):
    // knob tasks_per_thread
    int pw_tasks_per_thread = 0;
    // pointwise, (strip, slice) tasks: the slices of a strip before the next strip
    // (TileShape::strip_major_tasks): knob strip_major_tasks
    bool pw_strip_major_tasks = false;
    // pointwise: also try 1 vector x twice the tile's pixels (as many accumulators), before
    // the tighter rungs and on their terms, on reductions of 64 channels or more, where the
    // register file holds it (TileShape::wide_rung): knob wide_tiles
    bool pw_wide_tiles = false;
    // pointwise and conv2d: copy each output-channel slice's weights (all of c_in, all taps)
    // into a contiguous panel once per parallel task, so the hot loop streams them instead of
    // reading tile_c vectors c_out floats apart (a new 4 KiB page every step for wide layers).
    bool gemm_pack_weights = false;  // knob pack_weights
    // pointwise, conv2d and separable: try the tighter rungs (TileShape::tighter_rungs) before
    // the full tile (1), and the leaner ones too (2 and 3: TileShape::leaner_rungs, taken where
    // they cover at most 75% / 85% of the full tile's outputs): knob tighter_tiles
    int gemm_tighter_tiles = 0;
    // pointwise, with pack_weights: prefetch the weight row this many rows ahead of the panel
    // copy (0 = none): knob prefetch_rows
    int pw_prefetch_rows = 0;
    // depthwise (alone and inside separable)
    int dw_tile_vectors = 1;    // knob dw_tile_c
    int dw_tile_pixels = 4;     // knob dw_tile_x
    // depthwise (alone and inside separable), variants that fix the window and multiplier 1:
    // their own tile (0 = as dw_tile_vectors / dw_tile_pixels): knobs dw_tile_c, dw_tile_x
    int dw_window_tile_vectors = 0;
    int dw_window_tile_pixels = 0;
    // depthwise (alone and inside separable), variants that fix the window: the taps' rows are
    // unrolled for windows up to this many rows, rolled above (one row's taps per iteration, its
    // weights loaded in the loop); 0 = every window. Without FMAs that read memory (NEON) the
    // unrolled taps' weights are loop invariants: past the register file they are spilled and
    // reloaded from the stack. Knob dw_unroll_rows_max_k.
    int dw_unroll_rows_max_k = 0;
    // The same for variants that fix the window, the stride and a multiplier above 1 (0 = as
    // above): their shuffled input vectors take registers the unrolled taps' weights need.
    int dw_multiplier_unroll_rows_max_k = 0;
    // depthwise op (not the separable's depthwise half): its own pixels per tile where the
    // variant fixes the window, stride 1 and multiplier 1 (0 = as above), and whether tiles of 5
    // and 4 pixels replace it on rows they cover with at least 5% fewer outputs (TileShape::
    // tighter_rungs): knobs dw_tile_x, dw_tighter_tiles
    int dw_op_tile_pixels = 0;
    bool dw_tighter_tiles = false;
    // depthwise op, variants that fix a window wider than 3x3, stride 2 and multiplier 1: their
    // own pixels per tile, with the tap rows rolled (0 = as the other fixed windows): knobs
    // dw_tile_x, dw_unroll_rows_max_k
    int dw_op_large_window_s2_tile_pixels = 0;
    int dw_rows_per_task = 16;  // knob rows_per_task (depthwise op)
    bool dw_stage_input = false;  // knob stage_input (depthwise op): copy the zero-padded rows first
    // depthwise op: channel slices outside the rows (each slice walks its strip of rows), or
    // rows outside, with the slices inside each pixel tile (slices_inside_pixels) or outside
    // the row's pixel tiles
    bool dw_channels_outside_rows = true;    // knob channels_outside_rows (depthwise op)
    bool dw_slices_inside_pixels = false;    // knob slices_inside_pixels (depthwise op)
    // depthwise op: strips shortened to give at least this many per image (0 = fixed strips)
    int dw_min_row_tasks = 0;                // knob min_row_tasks (depthwise op)
    bool separable_stage_input = false;  // knob stage_input (separable op)
    // separable: rows per parallel task. Each row computes its own depthwise row, so larger
    // strips only help when the staged input slides (stage_input); one row per task balances
    // 2 threads best (4-row strips ran 0.82-0.87x of unfused on 28- and 14-row outputs).
    int separable_rows_per_task = 1;  // knob rows_per_task (separable op)
    // separable: strips of rows per task, the depthwise computed for the whole strip first,
    // then each slice of output channels over the strip's rows with its weight panel packed
    // (as gemm_pack_weights) once per strip: knob strip_panels; rows_per_task is then the
    // strip height, separable_strip_rows by default.
    bool separable_strip_panels = false;  // knob strip_panels
    int separable_strip_rows = 4;
    // separable with strip_panels: the depthwise strip's channel slices inside its pixel tiles
    bool separable_slices_inside_pixels = false;  // knob slices_inside_pixels (separable op)
    // inverted residual: the expansion's GEMM tile (knobs expand_tile_c, expand_tile_x; 0 =
    // gemm_tile_vectors / gemm_tile_pixels) and the most output rows per strip (knob
    // rows_per_task; each strip recomputes the expansion rows its window shares with the strip
    // above, so longer strips waste less, and the strips are cut into a multiple of the
    // call's threads: 64 is one strip per thread up to 64 rows). Zen 4, 1 thread: 64 against
    // 16 ran 24 -> 144 -> 24 at 56x56 1.05x, 32 -> 192 -> 32 at 28x28 1.03x, 14x14 equal.
    int ir_expand_tile_vectors = 0;
    int ir_expand_tile_pixels = 0;
    int ir_rows_per_task = 64;
};

// The defaults of a CPU ISA by name (isa_of: avx512_spr, avx512, avx2, sse41 from
// schedules/x86/, neon from schedules/arm/): the one place that maps an ISA to its
// architecture's defaults, used by the generators' schedules and by the tuner. Throws
// std::invalid_argument for any other ISA.
CpuDefaults defaults_for_isa(const std::string &isa);

void schedule_conv2d(algo::Conv2d &p, const Problem &problem, Knobs &knobs,
                     const CpuDefaults &d);
void schedule_depthwise(algo::Depthwise &p, const Problem &problem, Knobs &knobs,
                        const CpuDefaults &d);
void schedule_pointwise(algo::Pointwise &p, const Problem &problem, Knobs &knobs,
                        const CpuDefaults &d);
void schedule_separable(algo::Separable &p, const Problem &problem, Knobs &knobs,
                        const CpuDefaults &d);
void schedule_inverted_residual(algo::InvertedResidual &p, const Problem &problem, Knobs &knobs,
                                const CpuDefaults &d);

}  // namespace convgen::sched::cpu
