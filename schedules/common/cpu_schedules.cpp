#include "cpu_schedules.h"

#include <algorithm>

#include "cpu_knobs.h"
#include "register_tiles.h"

namespace convgen::sched::cpu {

using namespace Halide;

namespace {

FixedParams fixed_params(const Problem &problem) {
    return {problem.kernel_w, problem.stride, problem.multiplier};
}

// A copy of `weights` (a panel) computed at `at`, in rows of `row_width` channels (0: the
// slice's own width, rounded out to whole blocks): pack_weight_panel's, and the blocked
// conv2d's per block of the reduction.
void copy_weight_panel(Func weights, const LoopLevel &at, int lanes, int block, int row_width,
                       const Parameter &weights_buffer = {}, int prefetch_rows = 0) {
    Func panel = weights.in();
    // (channel, reduction rows...): the channel and the rows of the copy.
    const std::vector<Var> args = panel.args();
    if (prefetch_rows > 0 && weights_buffer.defined()) {
        panel.prefetch(weights_buffer, args[1], args[1], prefetch_rows);
    }
    panel.compute_at(at);
    if (block == 0) {
        panel.vectorize(args[0], lanes, TailStrategy::GuardWithIf);
        return;
    }
    // Whole blocks of the packed weights (`block`, from the generator: abi/weight_layout.h):
    // with the copy's first channel a known multiple of the block, each vector is a dense load
    // of one block's row; from a channel of unknown alignment Halide gathered it lane by lane.
    // Block by block, each block's rows in turn: the source is one sequential stream and the
    // block's index (clamped to the last block) is computed once per block. Row by row, all
    // blocks of a row in turn, it was computed per vector (a shift, a clamp and a multiply
    // for each 32-byte copy), and the copy took 20% of 1024 -> 1024 at 7x7 (perf, Zen 3).
    const Var block_index("cb"), in_block("cj");
    panel.align_bounds(args[0], block)
        .split(args[0], block_index, in_block, block, TailStrategy::RoundUp)
        .vectorize(in_block, lanes)
        .unroll(in_block);
    std::vector<VarOrRVar> order{in_block};
    order.insert(order.end(), args.begin() + 1, args.end());
    order.push_back(block_index);
    panel.reorder(order);
    if (row_width > 0) panel.bound_storage(args[0], row_width);
}

// The weight panel of one output-channel slice (the op's whole reduction: c_in, and the taps
// for conv2d), copied contiguously where each parallel task starts its slice: t.co, or the
// (strip, slice) task when strips of rows are fused with the slices. With rows outside the
// slices it would be copied once per row; the defaults pair packing with slices outside.
// The weights come packed in blocks of output channels (abi/weight_layout.h), so the copy
// reads one sequential stream per block of the slice. (Before, in the user's layout, each row
// was c_out floats after the last, a stride the prefetchers did not follow: inside a network,
// where each layer's weights are out of cache, the copy waited on memory row by row.)
// prefetch_rows > 0: while copying weight row r, prefetch row r + prefetch_rows of the weights
// buffer. constant_rows: see below.
void pack_weight_panel(Func weights, Func result, const TileVars &t, const TileShape &shape,
                       int lanes, int block, bool constant_rows,
                       const Parameter &weights_buffer = {}, int prefetch_rows = 0) {
    const bool fused_task = shape.channels_outside_rows && !shape.slices_inside_strips &&
                            shape.rows_per_task > 1;
    const LoopLevel at(result, fused_task ? t.task : t.co);
    if (block == 0 || !constant_rows) {
        copy_weight_panel(weights, at, lanes, block, 0, weights_buffer, prefetch_rows);
        return;
    }
    // Rows of a constant length, the widest slice any rung computes rounded out to whole
    // blocks (one more where a slice shifted inwards starts inside a block), so the tiles
    // step through the panel by a constant instead of a stride held in a register (the
    // conv2d loop reloaded two from the stack per iteration). Not for pointwise: its panels
    // of a few hundred input channels fit L1 at their own width, not at the widest rung's.
    int vectors = std::max({shape.tile_c_vectors, shape.alt_tile.first,
                            shape.alt_tile_wide_vectors, shape.wide_rung.first});
    for (const auto *rungs : {&shape.narrow_rungs, &shape.tighter_rungs, &shape.leaner_rungs}) {
        for (const auto &rung : *rungs) vectors = std::max(vectors, rung.first);
    }
    const int widest = (vectors * lanes + block - 1) / block * block + block;
    copy_weight_panel(weights, at, lanes, block, widest, weights_buffer, prefetch_rows);
}

// The widest tile any rung of the ladder may take: twice the full tile's pixels, at most 14
// (the largest tile_x).
int max_rung_pixels(const TileShape &shape) { return std::min(14, 2 * shape.tile_x); }

// Narrow outputs (fewer channels than the full GEMM tile: MobileNetV2/EfficientNet
// projections to 16-40 channels) get the widest tile that still fits, at most
// max_rung_pixels, instead of falling to 1 vector x half a tile.
std::vector<std::pair<int, int>> narrow_rungs(const Problem &problem, const TileShape &shape) {
    return gemm_narrow_rungs(shape.tile_c_vectors, vector_registers(problem.target),
                             max_rung_pixels(shape));
}

// Knob tighter_tiles: 1 = those of the narrow rungs that keep the full tile's accumulator
// count may replace it where they waste less (TileShape::tighter_rungs); 2 = also those with
// at least 3/4 of its accumulators where they cover at most 75% of its outputs
// (TileShape::leaner_rungs); 3 = the same at most 85% (4x6 -> 3x7 on 14-wide rows too:
// 3x7 covers 80.2% of 4x6's outputs on 14 x 512 channels).
void tighter_rungs(const Problem &problem, TileShape &shape, Knobs &knobs) {
    const int level = knobs.get("tighter_tiles");
    if (level == 0) return;
    const auto rungs = narrow_rungs(problem, shape);
    shape.tighter_rungs = gemm_tighter_rungs(rungs, shape.tile_c_vectors, shape.tile_x);
    if (level >= 2) {
        shape.leaner_rungs = gemm_leaner_rungs(shape.tile_c_vectors, shape.tile_x,
                                               vector_registers(problem.target),
                                               max_rung_pixels(shape));
        shape.leaner_cover_pct = level >= 3 ? 85 : 75;
    }
}

// Pointwise is a GEMM (pixels x c_in) * (c_in x c_out): per step of the c_in reduction a tile
// loads tile_c weight vectors and broadcasts tile_x inputs for tile_c * tile_x FMAs. Also the
// second half of the fused separable pipeline, where `standalone` is false.
// `strips`: the fused separable's strip layout (slices inside strips, a panel per slice and
// strip); otherwise fused means one output row at a time, with no panel (it would be copied
// for every row).
void pointwise_tiles(algo::Pointwise &p, const Problem &problem, Knobs &knobs,
                     int rows_per_task, bool standalone,
                     bool strips = false) {
    const TileVars t;
    const int lanes = vector_lanes(problem.target);
    TileShape shape;
    shape.activations = problem.activations;
    shape.tile_c_vectors = knobs.get("tile_c");
    shape.tile_x = knobs.get("tile_x");
    shape.rows_per_task = rows_per_task;
    shape.channels_outside_rows =
        standalone && knobs.get("channels_outside_rows");
    shape.slices_inside_strips = strips;
    if (standalone) {
        shape.narrow_rungs = narrow_rungs(problem, shape);
        shape.tasks_per_thread = knobs.get("tasks_per_thread");
        shape.strip_major_tasks = knobs.get("strip_major_tasks");
        shape.threads = problem.threads;
        shape.height = problem.out_height;
    }
    tighter_rungs(problem, shape, knobs);
    if (standalone && knobs.get("wide_tiles")) {
        // One vector x twice the tile's pixels, where that is as many accumulators as the
        // tile and fits the registers (AVX-512's 2x14: 1x28, 28 accumulators + 1 weight vector
        // + 1 broadcast = 30 registers), taken where it covers at least 5% fewer outputs:
        // channel counts that are not multiples of the tile's 32 (40, 80, 112, 144, 240)
        // computed up to 60% more channels than asked (40: 64), in 1x28 at most 15 more per
        // row of slices (40: 48; 80 and 112: none). Only on reductions of 64 channels or
        // more: it makes more, smaller (strip, slice) tasks, and on 2 threads those of 24 ->
        // 144 at 56x56 and 40 -> 240 at 28x28 ran 0.88x and 0.94x (1 thread: 1.09x, 1.03x).
        const int pixels = 2 * shape.tile_x;
        if (pixels >= shape.tile_c_vectors * shape.tile_x &&
            gemm_tile_registers(1, pixels) <= vector_registers(problem.target)) {
            shape.wide_rung = {1, pixels};
            shape.wide_when = problem.in_channels >= 64;
        }
    }
    if (standalone) {
        // The op's alternative tile (knobs alt_tile_c, alt_tile_x; TileShape::alt_tile), also
        // where the input pixels are a multiple of 4 KiB apart (1024 floats: c_in 1024 or
        // 2048, dense): their lines all fall in one L1 set (4 KiB per way: 64 sets of 64
        // bytes, 8 or 12 ways), so more pixels per tile than ways evict each other every step.
        shape.alt_tile = {knobs.get("alt_tile_c"), knobs.get("alt_tile_x")};
        shape.alt_tile_wide_vectors = knobs.get("alt_tile_wide_c");
        shape.alt_tile_tight_pixels = knobs.get("alt_tile_tight_x");
        if (problem.input_pixel_stride.defined()) {
            shape.alt_when = problem.input_pixel_stride % 1024 == 0;
        }
        // And on wide reductions (knob alt_tile_min_c_in), whose full-tile weight panel
        // outgrows L1 (AVX2's 3x4: 24 channels x 256 floats = 24 KiB of Zen 3's 32), where
        // the alternative tile computes no more outputs.
        if (const int min_c_in = knobs.get("alt_tile_min_c_in"); min_c_in > 0) {
            shape.alt_when_no_wider = problem.in_channels >= min_c_in;
        }
    }
    register_tiles(p.result, p.v, t, problem.out_channels, problem.out_width, lanes, shape);
    accumulate_in_registers(p.acc, p.result, p.v, tile_loop(t, shape), {p.r.x});
    const int prefetch_rows = standalone ? knobs.get("prefetch_rows") : 0;
    if (strips || (standalone && knobs.get("pack_weights"))) {
        pack_weight_panel(p.weights, p.result, t, shape, lanes, problem.weight_block,
                          /*constant_rows=*/false, problem.weights_buffer, prefetch_rows);
    }
}

// Depthwise is memory-bound: a tile keeps its accumulators in registers while the taps
// (unrolled when the variant fixes the kernel size) stream past, so each weight vector is
// loaded once per tile. `owner` is the Func whose row loop the depthwise rows belong to: the
// depthwise output itself (parallel strips of rows), or the fused pipeline's pointwise output,
// inside whose row loop all channels of a depthwise row are computed, serially.
// `depthwise_op`: the depthwise op itself (its knob set has dw_tighter_tiles), not the
// separable's depthwise half. `activations`: its activation branches (TileShape::activations);
// none inside an owner whose own rungs branch on the same conditions.
void depthwise_tiles(algo::Depthwise &p, const Problem &problem, Knobs &knobs,
                     const Expr &channels, Func owner,
                     const algo::ActivationBranches &activations,
                     int rows_per_task, int min_row_tasks = 0, bool depthwise_op = false) {
    const int lanes = vector_lanes(problem.target);
    const TileVars t;
    const bool standalone = owner.name() == p.result.name();
    TileShape shape;
    shape.activations = activations;
    shape.tile_c_vectors = knobs.get("dw_tile_c");
    shape.tile_x = knobs.get("dw_tile_x");
    shape.rows_per_task = standalone ? rows_per_task : 0;
    // Standalone, each slice of channels walks down its strip of rows, so staged input rows
    // hold one slice (L1) and slide: each input element is copied once.
    // Read whether or not it applies, so a knob set that the separable declares is always
    // consumed (strip_panels decides whether its depthwise runs as its own loop nest).
    const bool outside = knobs.get("channels_outside_rows");
    shape.channels_outside_rows = standalone && outside;
    shape.slices_inside_pixels = standalone && knobs.get("slices_inside_pixels");
    shape.min_row_tasks = min_row_tasks;
    shape.height = problem.out_height;
    if (depthwise_op && knobs.get("dw_tighter_tiles")) {
        // Narrower tiles where they waste less of a row (ShiftInwards recomputes the overlap):
        // 5 pixels on 10-wide rows, which 7 covers with 14 and 4 with 12.
        for (int pixels : {5, 4}) {
            if (pixels < shape.tile_x) {
                shape.tighter_rungs.emplace_back(shape.tile_c_vectors, pixels);
            }
        }
    }
    register_tiles(p.result, p.v, t, channels, problem.out_width, lanes, shape);
    accumulate_in_registers(p.acc, p.result, p.v, tile_loop(t, shape), {p.r.x, p.r.y});
    if (problem.kernel_w > 0) {
        p.acc.update().unroll(p.r.x);
        const int max_k = knobs.get("dw_unroll_rows_max_k");
        if (max_k == 0 || problem.kernel_h <= max_k) p.acc.update().unroll(p.r.y);
    }

    if (knobs.get("stage_input")) {
        // Copy the zero-padded input rows first, so the taps read plain memory instead of
        // testing the border on every FMA.
        const Var c = p.input.args()[0];
        if (standalone && !shape.channels_outside_rows && !slices_inside_pixel_tiles(shape)) {
            p.input.compute_at(p.result, t.co);  // one slice of channels, kh rows, in L1
        } else {
            // Slides down the owner's strip: one new input row per output row (stride 1).
            // With slices inside the pixel tiles, the staged rows hold all channels.
            const Var strip = shape.channels_outside_rows ? t.task : t.yo;
            p.input.store_at(owner, rows_per_task > 1 ? strip : p.v.y).compute_at(owner, p.v.y);
            // Keep only the rows the window still needs, in a circular buffer (a power of two
            // rows, so the index is a mask): Halide did not fold the strided slide by itself
            // and allocated the whole strip's rows (830 KB for 64 channels at 112x112, past L2),
            // so every staged row went out to memory and back.
            const int footprint = problem.kernel_h > 0 && problem.dilation > 0
                                      ? (problem.kernel_h - 1) * problem.dilation + 1
                                      : 0;
            if (footprint > 0 && rows_per_task > 1) {
                int rows = 1;
                while (rows < footprint) rows *= 2;
                p.input.fold_storage(p.input.args()[2], rows);
            }
        }
        p.input.vectorize(c, lanes, TailStrategy::GuardWithIf);
    }
}

}  // namespace

// A register tile of the blocked conv2d: `vectors` x `pixels` where `when` holds (undefined:
// wherever no rung before it does).
struct BlockedRung {
    Expr when;
    int vectors, pixels;
};

// The blocked conv2d's ladder, in the order register_tiles tries the same tiles: the leaner
// and tighter rungs where they cover fewer outputs, the full tile, half its pixels, the
// narrow rungs, and one vector x half the pixels. Every tile is whole (TailStrategy::RoundUp
// into the accumulators' own storage), so no rung is needed for correctness, only to waste
// less; none is narrower than a vector.
std::vector<BlockedRung> blocked_rungs(const Problem &problem, const TileShape &shape,
                                       int lanes) {
    const Expr &channels = problem.out_channels, &width = problem.out_width;
    const int tc = shape.tile_c_vectors * lanes, tx = shape.tile_x;
    auto covered = [&](int tile_c, int tile_w) {
        return covered_outputs(channels, width, tile_c, tile_w);
    };
    const Expr full_fits = channels >= tc && width >= tx;
    std::vector<BlockedRung> rungs;
    auto alternatives = [&](const std::vector<std::pair<int, int>> &list, int num, int den) {
        for (const auto &[vectors, pixels] : list) {
            rungs.push_back({full_fits && width >= pixels &&
                                 covered(vectors * lanes, pixels) * den <= covered(tc, tx) * num,
                             vectors, pixels});
        }
    };
    alternatives(shape.leaner_rungs, shape.leaner_cover_pct, 100);
    alternatives(shape.tighter_rungs, 19, 20);
    rungs.push_back({full_fits, shape.tile_c_vectors, tx});
    const int half_x = (tx + 1) / 2;
    if (half_x < tx) {
        rungs.push_back({channels >= tc && width >= half_x, shape.tile_c_vectors, half_x});
    }
    for (const auto &[vectors, pixels] : shape.narrow_rungs) {
        rungs.push_back({channels >= vectors * lanes && width >= pixels, vectors, pixels});
    }
    rungs.push_back({Expr(), 1, half_x});
    return rungs;
}

// Standard conv with the c_in reduction cut into blocks of `ci_block` channels (knob
// ci_block), as oneDNN's brgemm convolutions do. Unblocked, a register tile reads the slice's
// whole weight panel (slice x c_in x taps: 24 x 512 x 9 floats = 442 KB on AVX2's 3x4 tile)
// once per tile of pixels, and at 512 channels and more the panel is past L2, so every tile
// streams it from L3. Here each parallel task, a slice of output channels x a strip of rows,
// walks the blocks outermost: per block the slice's weights (24 x 64 x 9 floats = 55 KB) stay
// in L1/L2 while every pixel tile of the strip reads them, each tile's partial sums are added
// to the strip's sums in memory (slice x strip floats), and the output is the sums plus the
// bias, activated, once all blocks are in. Each block's input is staged with its zero
// padding (below), which gained more than the blocking itself: on 512 at 14x14 (Zen 3, 1
// thread) blocking alone ran 1.07x, with the staging 1.9x.
//
// In Halide: the reduction factored out without the bias (rfactor of no variable) as `sums`,
// the strip's accumulators; its c_in split into blocks and factored out again as `part`, the
// register tile of one block, computed per pixel tile, which sums adds block by block; acc
// adds the bias to sums. The slice of a task and the tile of sums' update follow the same
// rung (blocked_rungs), so each task's slice is exactly one tile wide. Tiles are whole
// (RoundUp into sums), so a tile past c_out reads the last weight block (unblocked_weights
// clamps there) and never the bias, and is never stored. The output has no activation branch
// of its own: the select over the kinds runs once per output vector, after the reduction.
//
// Only on wide reductions: the staging and the accumulators in memory cost more than they
// save on narrow ones (3 -> 32 at 224x224 s2 ran 4-5x slower, 32 -> 64 at 112x112 0.94-0.99x),
// so the manifest lists the blocked variants with min_in_channels 64, before the others.
void blocked_conv2d(algo::Conv2d &p, const Problem &problem, Knobs &knobs,
                    const TileShape &shape, int ci_block) {
    const int lanes = vector_lanes(problem.target);
    auto &[c, x, y, n] = p.v;
    const Var co("co"), ci("ci"), xo("xo"), xi("xi"), yo("yo"), task("task"), u("u");
    const RVar rxo("rxo"), rxi("rxi");
    // sums: the whole reduction without the bias (rfactor of no variable), so the tiles it
    // rounds up past c_out read no bias there; acc adds the bias once per output.
    Func sums = p.acc.update().rfactor(std::vector<std::pair<RVar, Var>>{});
    sums.update().split(p.r.x, rxo, rxi, ci_block, TailStrategy::GuardWithIf);
    Func part = sums.update().rfactor(rxo, u);

    // Strips of whole rows, at least ci_block_pixels output pixels each: the 14x14 and 28x28
    // layers whole, larger images in strips whose accumulators (24 channels x 1024 pixels =
    // 96 KB on AVX2) and staged input stay in L2.
    const int pixels = knobs.get("ci_block_pixels");
    const Expr height = max(problem.out_height, 1);
    const Expr strip = pixels > 0 ? clamp((pixels + problem.out_width - 1) /
                                              max(problem.out_width, 1), 1, height)
                                  : height;
    const std::vector<BlockedRung> rungs = blocked_rungs(problem, shape, lanes);
    // The rung as one index: the output's tasks take slices of its width (a run-time split
    // factor, no branch), and sums' update branches on it, so each task's slice is one tile
    // wide. (With the ladder on the output too, the update's ladder was nested in each of its
    // branches: 178 copies of the FMA loop in the AVX-512 kernel, 14 rungs in 14.)
    Expr index = static_cast<int>(rungs.size()) - 1;
    Expr slice = rungs.back().vectors * lanes;
    for (int k = static_cast<int>(rungs.size()) - 2; k >= 0; --k) {
        index = select(rungs[k].when, k, index);
        slice = select(rungs[k].when, rungs[k].vectors * lanes, slice);
    }
    // Tasks of (slice, strip); the last slice cut at c_out: its tile computes the rest into
    // sums, never stored.
    p.result.split(y, yo, y, strip, TailStrategy::GuardWithIf)
        .split(c, co, ci, slice, TailStrategy::GuardWithIf)
        .reorder(ci, x, y, yo, co, n)
        .fuse(yo, co, task)
        .parallel(task)
        .vectorize(ci, lanes, TailStrategy::GuardWithIf);
    p.acc.compute_at(p.result, task).vectorize(c, lanes, TailStrategy::GuardWithIf);
    p.acc.update().vectorize(c, lanes, TailStrategy::GuardWithIf);
    sums.compute_at(p.result, task).vectorize(c, lanes, TailStrategy::RoundUp);
    for (size_t k = 0; k < rungs.size(); ++k) {
        const BlockedRung &rung = rungs[k];
        const bool last = k + 1 == rungs.size();
        Stage add = last ? sums.update()
                         : sums.update().specialize(index == static_cast<int>(k));
        add.split(c, co, ci, rung.vectors * lanes, TailStrategy::RoundUp)
            .split(x, xo, xi, rung.pixels, TailStrategy::RoundUp)
            .reorder(ci, xi, xo, y, rxo, co, n)
            .vectorize(ci, lanes)
            .unroll(ci)
            .unroll(xi);
    }
    // One block's register tile, zeroed, reduced over the block's channels and the taps, and
    // added to sums.
    part.compute_at(sums, xo);
    const Var cv("cv"), cl("cl");
    part.split(c, cv, cl, lanes).vectorize(cl).unroll(cv).unroll(x);
    part.update()
        .split(c, cv, cl, lanes)
        .reorder(cl, cv, x, rxi, p.r.y, p.r.z, y, n, u)
        .vectorize(cl)
        .unroll(cv)
        .unroll(x);
    // The block's input channels over the strip's rows, zero padding included, copied once
    // per (task, block) with a constant pixel stride: the tiles read plain memory at constant
    // offsets. From the padded input itself every tile at an edge (on 14- and 7-wide rows,
    // most of them) tested the border per tap and broadcast, in scalar loads and branches.
    Func staged = p.input.in();
    staged.compute_at(sums, rxo)
        .bound_storage(staged.args()[0], ci_block)
        .vectorize(staged.args()[0], lanes, TailStrategy::GuardWithIf);
    if (knobs.get("pack_weights")) {
        // The slice's weights of one block, copied once per (task, block).
        copy_weight_panel(p.weights, LoopLevel(sums, rxo), lanes, problem.weight_block, 0);
    }
    if (problem.kernel_w > 0 && knobs.get("unroll_taps")) part.update().unroll(p.r.y);
    const int unroll_ci = knobs.get("unroll_ci");
    if (unroll_ci > 1) part.update().unroll(rxi, unroll_ci, TailStrategy::GuardWithIf);
    // Read for the knob check: the blocked layout has its own tasks.
    knobs.get("rows_per_task");
    knobs.get("channels_outside_rows");
}

// Standard conv: the pointwise register tiles, reducing over c_in innermost and the taps
// outside it (the layout of Halide's apps/conv_layer); or, with ci_block, blocked_conv2d.
void schedule_conv2d(algo::Conv2d &p, const Problem &problem, Knobs &knobs,
                     const CpuDefaults &d) {
    knobs.declare(cpu_knobs("conv2d", d, fixed_params(problem)));
    const TileVars t;
    TileShape shape;
    shape.activations = problem.activations;
    shape.tile_c_vectors = knobs.get("tile_c");
    shape.tile_x = knobs.get("tile_x");
    const int lanes = vector_lanes(problem.target);
    shape.narrow_rungs = narrow_rungs(problem, shape);
    tighter_rungs(problem, shape, knobs);
    if (const int ci_block = knobs.get("ci_block"); ci_block > 0) {
        blocked_conv2d(p, problem, knobs, shape, ci_block);
        return;
    }
    knobs.get("ci_block_pixels");
    shape.rows_per_task = knobs.get("rows_per_task");
    shape.channels_outside_rows =
        knobs.get("channels_outside_rows");
    register_tiles(p.result, p.v, t, problem.out_channels, problem.out_width, lanes, shape);
    accumulate_in_registers(p.acc, p.result, p.v, tile_loop(t, shape), {p.r.x, p.r.y, p.r.z});
    if (knobs.get("pack_weights")) {
        pack_weight_panel(p.weights, p.result, t, shape, lanes, problem.weight_block,
                          /*constant_rows=*/true);
    }
    if (problem.kernel_w > 0 && knobs.get("unroll_taps")) p.acc.update().unroll(p.r.y);
    const int unroll_ci = knobs.get("unroll_ci");
    if (unroll_ci > 1) p.acc.update().unroll(p.r.x, unroll_ci, TailStrategy::GuardWithIf);
}

void schedule_depthwise(algo::Depthwise &p, const Problem &problem, Knobs &knobs,
                        const CpuDefaults &d) {
    knobs.declare(cpu_knobs("depthwise", d, fixed_params(problem)));
    const int rows_per_task = knobs.get("rows_per_task");
    depthwise_tiles(p, problem, knobs, problem.out_channels, p.result,
                    problem.activations, rows_per_task,
                    knobs.get("min_row_tasks"), /*depthwise_op=*/true);
}

void schedule_pointwise(algo::Pointwise &p, const Problem &problem, Knobs &knobs,
                        const CpuDefaults &d) {
    knobs.declare(cpu_knobs("pointwise", d, {}));
    pointwise_tiles(p, problem, knobs, knobs.get("rows_per_task"),
                    /*standalone=*/true);
}

// Fused separable: the pointwise tiles, fed by the depthwise result for one output row at a
// time (all channels x the row's width), computed inside each parallel strip of rows and
// consumed at once, so the intermediate lives in L1/L2 (c x w = 128 x 56 floats = 28 KB for
// every MobileNetV1 block) and never in DRAM. The depthwise row must exist for all channels
// before any output channel uses it, so the pointwise tiles keep rows outside channels here.
//
// strip_panels: strips of rows per task instead, the depthwise computed for the whole strip
// (c_in x width x rows: 57-115 KB for the MobileNetV1 blocks at 4 rows, in L2), then each slice
// of output channels over the strip's rows, reading its weight panel, packed once per strip,
// instead of weights c_out floats apart.
void schedule_separable(algo::Separable &p, const Problem &problem, Knobs &knobs,
                        const CpuDefaults &d) {
    knobs.declare(cpu_knobs("separable", d, fixed_params(problem)));
    const bool strips = knobs.get("strip_panels");
    const int rows_per_task = knobs.get(
        "rows_per_task", strips ? d.separable_strip_rows : d.separable_rows_per_task);
    if (strips && rows_per_task > 1) {
        const TileVars t;
        pointwise_tiles(p.pw, problem, knobs, rows_per_task, /*standalone=*/false,
                        /*strips=*/true);
        p.dw.result.compute_at(p.pw.result, t.yo);
        // The depthwise strip is its own loop nest, serial inside the task; its input rows
        // (stage_input) are staged per depthwise row.
        depthwise_tiles(p.dw, problem, knobs, problem.in_channels, p.dw.result, {}, 0);
        return;
    }
    pointwise_tiles(p.pw, problem, knobs, rows_per_task, /*standalone=*/false);
    p.dw.result.compute_at(p.pw.result, p.pw.v.y);
    // The depthwise is computed inside the pointwise's rungs, whose activation branch covers
    // both halves: its own would only nest a second ladder in each.
    depthwise_tiles(p.dw, problem, knobs, problem.in_channels, p.pw.result, {},
                    rows_per_task);
}

// Inverted residual: the block's output in strips of rows, the parallel tasks; per output row,
// in order: the expansion rows the window newly needs, the depthwise row for all expanded
// channels, the projection row in GEMM tiles, and the output row (projection + residual). The
// expansion's rows are computed once each down the strip (Halide's sliding window: a stride's
// worth of new rows per output row) into a circular buffer of a few rows, so the expanded
// tensor lives in L2 a few rows at a time (56 x 144 channels x 4 rows = 129 KB for
// MobileNetV2's 56x56 blocks) and never in DRAM. A strip starts by computing again the rows
// its window shares with the strip above, so strips are as long as the threads allow. Each
// stage is its own loop nest at the row, so their tile ladders add up instead of nesting.
void schedule_inverted_residual(algo::InvertedResidual &p, const Problem &problem, Knobs &knobs,
                                const CpuDefaults &d) {
    knobs.declare(cpu_knobs("inverted_residual", d, fixed_params(problem)));
    const TileVars t;
    const int lanes = vector_lanes(problem.target);
    const int rows_per_task = knobs.get("rows_per_task");
    auto &[c, x, row, n] = p.project.v;  // p.result's variables too
    if (rows_per_task > 1) {
        // As many strips as a multiple of the threads, at most rows_per_task rows each (64 by
        // default): 56 rows are one strip on 1 thread and 2 of 28 on 2, 14 rows on 2 threads 2
        // strips of 7. (Short images as one strip with each row's stages parallel over channel
        // slices instead ran 0.4-0.75x: three fork-joins per row.)
        const Expr threads = max(problem.threads, 1);
        const Expr h = problem.out_height;
        const Expr per_thread = (h + threads - 1) / threads;
        const Expr strips = threads * ((per_thread + rows_per_task - 1) / rows_per_task);
        const Expr strip_rows = clamp((h + strips - 1) / strips, 1, rows_per_task);
        p.result.split(row, t.yo, row, strip_rows, TailStrategy::GuardWithIf).parallel(t.yo);
    } else {
        p.result.parallel(row);
    }
    p.result.vectorize(c, lanes, TailStrategy::GuardWithIf);

    TileShape out;
    out.activations = problem.activations;
    out.tile_c_vectors = knobs.get("tile_c");
    out.tile_x = knobs.get("tile_x");
    out.rows_per_task = 0;  // serial, inside the strip
    // Whole tiles of blocked weights (x86: abi/weight_layout.h), each weight vector dense.
    const bool blocked = problem.weight_block > 0;
    out.round_up_channels = blocked;
    out.narrow_rungs = narrow_rungs(problem, out);  // projections to 16-40 channels
    tighter_rungs(problem, out, knobs);
    // Whole tiles round the channels up (40 -> 64 in 2-vector tiles): 1 vector x twice the
    // pixels (as many accumulators) computes fewer where the count is not a multiple of the
    // tile (40 -> 48, 144 -> 144), as the pointwise op's wide_tiles.
    const bool wide = knobs.get("wide_tiles");
    auto wide_rung = [&](TileShape &shape) {
        const int pixels = 2 * shape.tile_x;
        if (wide && pixels >= shape.tile_c_vectors * shape.tile_x &&
            gemm_tile_registers(1, pixels) <= vector_registers(problem.target)) {
            shape.wide_rung = {1, pixels};
        }
    };
    wide_rung(out);
    register_tiles(p.project.result, p.project.v, t, problem.out_channels, problem.out_width,
                   lanes, out);
    accumulate_in_registers(p.project.acc, p.project.result, p.project.v, tile_loop(t, out),
                            {p.project.r.x}, lanes);
    p.project.result.compute_at(p.result, row);
    if (blocked) {
        // Its rows from a channel Halide knows to be a multiple of the block (the output's min
        // is a run-time value to it), so the tiles' weight vectors stay dense. (Unblocked
        // weights, AArch64: any channel is dense, and whole vectors would read past them.)
        p.project.result.align_bounds(p.project.v.c, lanes);
    }

    p.dw.result.compute_at(p.result, row);
    // Each stage branches on its own: the block's output row has no rungs.
    depthwise_tiles(p.dw, problem, knobs, problem.in_channels, p.result,
                    problem.activations, rows_per_task);

    // The expansion's rows whole (the input's width): the window may read fewer columns (a
    // large stride, VALID padding), but the tile ladder chooses by the whole row's width, and
    // a tile wider than the columns read would shift inwards past the input's edge.
    p.expand.result.bound(p.expand.v.x, 0, problem.input_width);
    if (blocked) p.expand.result.align_bounds(p.expand.v.c, lanes);
    TileShape ex;
    ex.activations = problem.activations;
    ex.round_up_channels = blocked;
    ex.tile_c_vectors = knobs.get("expand_tile_c");
    ex.tile_x = knobs.get("expand_tile_x");
    ex.rows_per_task = 0;
    ex.narrow_rungs = gemm_narrow_rungs(ex.tile_c_vectors, vector_registers(problem.target),
                                        max_rung_pixels(ex));
    wide_rung(ex);
    register_tiles(p.expand.result, p.expand.v, t, problem.in_channels, problem.input_width,
                   lanes, ex);
    accumulate_in_registers(p.expand.acc, p.expand.result, p.expand.v, tile_loop(t, ex),
                            {p.expand.r.x}, lanes);
    p.expand.result.store_at(p.result, rows_per_task > 1 ? t.yo : row).compute_at(p.result, row);
    if (rows_per_task > 1 && problem.kernel_h > 0 && problem.dilation > 0) {
        // Only the rows the window still needs, in a power of two of rows (the index a mask).
        const int footprint = (problem.kernel_h - 1) * problem.dilation + 1;
        int rows = 1;
        while (rows < footprint) rows *= 2;
        p.expand.result.fold_storage(p.expand.v.y, rows);
    }
}

}  // namespace convgen::sched::cpu
