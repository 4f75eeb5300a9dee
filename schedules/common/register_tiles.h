// The architecture-neutral building block every CPU schedule (x86/, arm/) shares: an output
// computed in register tiles of (tile_c channels x tile_x pixels), its accumulator living in
// registers for the whole reduction. Tile sizes are the caller's: each architecture keeps its
// defaults, sized to its register file, in its own directory.
#pragma once

#include <string>
#include <vector>

#include "Halide.h"
#include "../../generators/algorithms.h"

namespace convgen::sched {

struct TileVars {
    Halide::Var co{"co"}, ci{"ci"}, xo{"xo"}, xi{"xi"}, yo{"yo"}, task{"task"};
    Halide::Var xc{"xc"};  // chunks of a row's pixel tiles (TileShape::threads)
};

// Splits f(c, x, y, n) into tiles. A ladder of specialisations keeps every size correct with
// no tail code in the hot path: the full tile (tile_c_vectors vectors x tile_x pixels) wherever
// the output is at least that big (ShiftInwards recomputes a few points at the edge instead of
// running a scalar tail), then narrower tiles, and 1 x 1 for tiny outputs.
struct TileShape {
    int tile_c_vectors = 1;  // channels per tile, in vectors
    int tile_x = 1;          // pixels per tile
    // 0 = serial (a Func computed inside another's parallel loop), 1 = each row a parallel
    // task, k > 1 = strips of k rows per task, serial inside (t.yo is the strip loop), so a
    // stage computed per row can slide down the strip instead of being recomputed.
    int rows_per_task = 1;
    // With strips (rows_per_task > 1) and min_row_tasks > 0: shorter strips on short outputs,
    // at least min_row_tasks per image (needs `height`), so the 14x14 and 7x7 layers still
    // give every thread work while tall ones keep long strips.
    int min_row_tasks = 0;
    Halide::Expr height;
    // With channels_outside_rows and strips (the (strip, slice) tasks), on `threads` > 1 (the
    // call's, a run-time value; undefined = never): where the tasks are fewer than
    // tasks_per_thread per thread and do not divide among the threads, the row's pixel tiles
    // are cut into one chunk per thread, each running every (strip, slice) task of its pixels
    // (and copying its own weight panels). A pointwise layer run as one merged row (abi::
    // pointwise_as_one_row) has one strip, so 160 channels in 64-channel slices were 3 tasks:
    // on 2 threads one ran alone at the end.
    Halide::Expr threads;
    int tasks_per_thread = 0;
    // The (strip, slice) tasks in strip-major order: consecutive tasks take the slices of one
    // strip before the next strip, so the strip's input rows stay in L2 while every slice
    // reads them. Slice-major (false) walks the whole image once per slice, and an input
    // larger than L2 (56x56x128: 1.6 MB) comes from L3 or memory for each slice.
    bool strip_major_tasks = false;
    // Loop over rows inside each slice of channels (slices then also run in parallel), so a
    // per-row stage holds one slice of channels and stays in L1.
    bool channels_outside_rows = false;
    // With strips (rows_per_task > 1): the slices of channels between the strip and its rows,
    // so a stage computed per strip (t.yo) serves every slice, and one computed per slice
    // (t.co) serves all the strip's rows. Strips are the parallel tasks.
    bool slices_inside_strips = false;
    // Without channels_outside_rows: the slices of channels inside each pixel tile's loop, so
    // a row is walked pixel tile by pixel tile, each reading all channels of its input pixels
    // (NHWC: contiguous memory) instead of one slice's cache line of every pixel in turn.
    bool slices_inside_pixels = false;
    // Extra rungs for outputs narrower than the full tile's channels, tried after the full
    // tile (vectors, pixels), widest first: e.g. 2 x 6 for 16 output channels on AVX2, where
    // the 3-vector tile does not fit and the next rung would be 1 vector x half the pixels.
    std::vector<std::pair<int, int>> narrow_rungs;
    // Alternatives to the full tile (vectors, pixels), tried before it, each taken where it
    // covers at least 5% fewer outputs than the full tile's tiles do (ShiftInwards overlaps
    // included): AVX2's 24-channel slices compute 72 channels for 64 and 144 for 128, where
    // a 16-channel tile of as many accumulators computes each once.
    std::vector<std::pair<int, int>> tighter_rungs;
    // Alternatives with fewer accumulators than the full tile (at least 3/4 of them), tried
    // first, each taken only where it covers at least 25% fewer outputs: on rows narrower than
    // two full tiles (AVX-512's 4x6 tile computes 12 pixels of a 7-wide row, 3x7 computes 7).
    std::vector<std::pair<int, int>> leaner_rungs;
    // A leaner rung is taken where it covers at most this percent of the full tile's outputs
    // (75: on AVX-512's 4x6, 3x7 replaces it on 7-wide rows only; 85: on 14-wide rows too).
    int leaner_cover_pct = 75;
    // A rung (vectors, pixels) tried before the tighter rungs, on their terms (at least 5%
    // fewer outputs covered than the full tile), where `wide_when` also holds; {0, 0} = none.
    std::pair<int, int> wide_rung{0, 0};
    Halide::Expr wide_when;
    // A tile (vectors, pixels) that replaces every other, while it fits, where the full tile
    // fits badly: on rows the full tile covers with at least 10% overlap (ShiftInwards: 56
    // pixels for a 49-pixel row), or where `alt_when` holds (the schedule's own condition;
    // undefined = none). {0, 0} = no such tile.
    std::pair<int, int> alt_tile{0, 0};
    Halide::Expr alt_when;
    // Also where this holds (undefined = never) and alt_tile covers no more outputs than the
    // full tile (its pixels overlapping a row's end no more than the full tile's channels
    // overlap the slices): AVX2's 2x6 on wide reductions, but not on 19-wide rows (24 pixels
    // computed for 19, where 3x4 computes 20).
    Halide::Expr alt_when_no_wider;
    // Where alt_tile runs, this many vectors x alt_tile's pixels instead where that covers at
    // least 5% fewer outputs (0 = never): 5x5 for 160 channels, which 4x5 pads to 192.
    int alt_tile_wide_vectors = 0;
    // Where alt_tile runs, its vectors x this many pixels instead where that covers at least
    // 5% fewer outputs (0 = never): AVX2's 2x5 on a 49-pixel row, which 2x6 covers with 54.
    int alt_tile_tight_pixels = 0;
    // Split the channels with TailStrategy::RoundUp instead of shifting the last tile inwards:
    // only for a Func computed into convgen's own storage (a stage of a fused pipeline), which
    // then holds whole tiles. Every tile then starts at a multiple of its width, so reads of
    // the blocked GEMM weights (abi/weight_layout.h) are dense vectors; a shifted tile starts
    // at an offset Halide cannot prove a multiple of the block and gathers them lane by lane.
    bool round_up_channels = false;
    // The activation branches (Problem::activations; undefined: none). Every rung above holds
    // only where all activations are clamps, so there the select simplifies away; the others
    // get two short ladders, the full tile and one vector x half its pixels, first where no
    // kind is SiLU (no exp), then for any kind; the scalar tile last: a few tiles of general
    // code, not the whole ladder again.
    algo::ActivationBranches activations;
};

// The narrow rungs of a GEMM tile (pointwise, conv2d): for each vector count below the full
// tile's, as many pixels as the register file holds (gemm_tile_registers), at most max_pixels.
std::vector<std::pair<int, int>> gemm_narrow_rungs(int tile_c_vectors, int registers,
                                                   int max_pixels);

// The rungs among `rungs` with at least as many accumulators as the full tile's (the same
// arithmetic intensity): candidates for TileShape::tighter_rungs.
std::vector<std::pair<int, int>> gemm_tighter_rungs(const std::vector<std::pair<int, int>> &rungs,
                                                    int tile_c_vectors, int tile_x);

// Every tile with fewer accumulators than the full tile's but at least 3/4 of them that fits
// the register file, at most max_pixels wide, most accumulators first: candidates for
// TileShape::leaner_rungs.
std::vector<std::pair<int, int>> gemm_leaner_rungs(int tile_c_vectors, int tile_x, int registers,
                                                   int max_pixels);

// Outputs a tiling of `tile_c` channels x `tile_w` pixels covers on channels x width,
// overlaps or rounding included (64-bit: channels x width may pass 2^31): the ladders compare
// rungs by it.
Halide::Expr covered_outputs(const Halide::Expr &channels, const Halide::Expr &width, int tile_c,
                             int tile_w);

// Whether the channel slices run inside the pixel tiles (slices_inside_pixels takes effect).
bool slices_inside_pixel_tiles(const TileShape &shape);

// Vector registers a GEMM tile of `vectors` x `pixels` needs: the accumulators, the weight
// vectors and the broadcast input (LLVM keeps it in a register; tools/asm_report.py).
int gemm_tile_registers(int vectors, int pixels);

// The loop of `shape` that runs once per register tile: t.co when the slices are inside the
// pixel tiles, else t.xo.
Halide::Var tile_loop(const TileVars &t, const TileShape &shape);

void register_tiles(Halide::Func f, const algo::Vars &v, const TileVars &t,
                    const Halide::Expr &channels, const Halide::Expr &width, int lanes,
                    const TileShape &shape);

// Computes acc once per tile of `out` (at `tile`, from tile_loop): vectorised over the tile's
// channels, unrolled over its pixels, with the update's loops ordered (c, x,
// reduction_order...) so the reduction runs with all accumulators in registers.
// `lanes` > 0: each tile's channels as vectors of this many lanes (the target's), so that a
// tile starting at a multiple of the GEMM weights' block (TileShape::round_up_channels) reads
// each weight vector from one block, densely; 0: one vector of the tile's width, as wide as
// LLVM then splits (a panel of plain weights: pack_weight_panel).
void accumulate_in_registers(Halide::Func acc, Halide::Func out, const algo::Vars &v,
                             const Halide::Var &tile,
                             const std::vector<Halide::VarOrRVar> &reduction_order,
                             int lanes = 0);

// Register-file facts of the target.
int vector_lanes(const Halide::Target &t);
int vector_registers(const Halide::Target &t);
// The same by ISA name (isa_of: avx512_spr, avx512, avx2, sse41, neon), for the tuner's
// plausibility check.
int vector_registers(const std::string &isa);

}  // namespace convgen::sched
