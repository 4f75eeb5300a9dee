#include "gpu_schedules.h"

#include <vector>

#include "gpu_knobs.h"

namespace convgen::sched::gpu {

using namespace Halide;

namespace {

struct GpuVars {
    Var co{"co"}, ci{"ci"}, xo{"xo"}, xi{"xi"};  // register tile split
    Var cb{"cb"}, ct{"ct"}, xb{"xb"}, xt{"xt"};  // block / thread splits
    Var yo{"yo"}, yi{"yi"}, yb{"yb"}, yt{"yt"};  // rows, when tiled (tile_y, threads_y)
    Var yn{"yn"};                                // (row or row tile, image), fused
};

// The sizes come from the knobs (read_tile; defaults in gpu_knobs.cpp); the 1s here only stand
// for what an op that does not tile rows (the fused separable) leaves unread.
struct GpuTile {
    int tile_channels = 1, tile_x = 1, tile_y = 1;  // per thread, in registers
    int threads_c = 1, threads_x = 1, threads_y = 1;  // per block
    bool channels_in_block = false;     // channel slices a serial loop inside the block
    // Split pixels into blocks of tile_x * threads_x first, with ShiftInwards: every block then
    // covers exactly that many (the last one shifted back), so what a block computes at its
    // level has a constant width (needs width >= tile_x * threads_x).
    bool shift_threads_x = false;
};

// One specialisation's loop nest. The register tile splits use ShiftInwards (no tail code: the
// last tile shifts back over already computed points, so every index it touches is in range,
// which also keeps the guarded-off threads' producers in bounds); the thread splits use
// GuardWithIf, so any size runs with whole blocks.
void tile_stage(Stage s, const algo::Vars &v, const GpuVars &g, const GpuTile &t) {
    s.split(v.c, g.co, g.ci, t.tile_channels, TailStrategy::ShiftInwards)
        .split(g.co, g.cb, g.ct, t.threads_c, TailStrategy::GuardWithIf);
    if (t.shift_threads_x) {
        // A block's pixels first (the last block shifted back), then the threads' tiles, which
        // divide it exactly.
        s.split(v.x, g.xb, g.xo, t.tile_x * t.threads_x, TailStrategy::ShiftInwards)
            .split(g.xo, g.xt, g.xi, t.tile_x);
    } else {
        s.split(v.x, g.xo, g.xi, t.tile_x, TailStrategy::ShiftInwards)
            .split(g.xo, g.xb, g.xt, t.threads_x, TailStrategy::GuardWithIf);
    }
    const bool rows = t.tile_y > 1 || t.threads_y > 1;
    if (rows) {
        // Patches of rows too: narrow outputs (MobileNet's 14- and 7-wide layers) still fill
        // the block's threads.
        s.split(v.y, g.yo, g.yi, t.tile_y, TailStrategy::ShiftInwards)
            .split(g.yo, g.yb, g.yt, t.threads_y, TailStrategy::GuardWithIf)
            .reorder(g.ci, g.xi, g.yi, g.ct, g.xt, g.yt, g.cb, g.xb, g.yb, v.n)
            .fuse(g.yb, v.n, g.yn);
    } else {
        s.reorder(g.ci, g.xi, g.ct, g.xt, g.cb, g.xb, v.y, v.n).fuse(v.y, v.n, g.yn);
    }
    if (t.channels_in_block) {
        s.gpu_blocks(g.xb, g.yn);
    } else {
        s.gpu_blocks(g.cb, g.xb, g.yn);
    }
    if (rows) {
        s.gpu_threads(g.ct, g.xt, g.yt);
    } else {
        s.gpu_threads(g.ct, g.xt);
    }
    if (t.tile_channels > 1) s.unroll(g.ci);
    if (t.tile_x > 1) s.unroll(g.xi);
    if (t.tile_y > 1) s.unroll(g.yi);
}

// The specialisation ladder: the full register tile wherever the output has at least that many
// channels, pixels and rows, then one pixel per thread, then one output per thread. Each branch
// has constant tile extents, so the accumulators unroll into registers.
void output_tiles(Func f, const algo::Vars &v, const GpuVars &g, const Problem &problem,
                  const GpuTile &full) {
    const Expr &channels = problem.out_channels, &width = problem.out_width;
    const Expr &height = problem.out_height;
    tile_stage(f.specialize(channels >= full.tile_channels && width >= full.tile_x &&
                            height >= full.tile_y),
               v, g, full);
    GpuTile narrow = full;
    narrow.tile_x = narrow.tile_y = 1;
    if (full.tile_x > 1 || full.tile_y > 1) {
        tile_stage(f.specialize(channels >= full.tile_channels), v, g, narrow);
    }
    GpuTile one = narrow;
    one.tile_channels = 1;
    tile_stage(f, v, g, one);
}

// The accumulator of one thread's tile, computed inside the thread loops: all of it lives in
// registers while the reduction runs (reduction_order innermost-first, outside the tile).
void accumulate_per_thread(Func acc, Func out, const algo::Vars &v, const GpuVars &g,
                           const std::vector<VarOrRVar> &reduction_order) {
    acc.compute_at(out, g.ct).unroll(v.c).unroll(v.x).unroll(v.y);
    std::vector<VarOrRVar> order{v.c, v.x, v.y};
    order.insert(order.end(), reduction_order.begin(), reduction_order.end());
    order.push_back(v.n);
    acc.update().reorder(order).unroll(v.c).unroll(v.x).unroll(v.y);
}

// The op's tile from its declared knobs (gpu_knobs.cpp). `rows`: the op tiles rows too
// (tile_y, threads_y); the fused separable does not.
GpuTile read_tile(Knobs &knobs, bool rows = true) {
    GpuTile t;
    t.tile_channels = knobs.get("tile_channels");
    t.tile_x = knobs.get("tile_x");
    t.threads_c = knobs.get("threads_c");
    t.threads_x = knobs.get("threads_x");
    if (rows) {
        t.tile_y = knobs.get("tile_y");
        t.threads_y = knobs.get("threads_y");
    }
    return t;
}

}  // namespace

// Standard conv: the pointwise layout, reducing over c_in innermost, then the taps. 4 channels
// x 2 x 2 pixels = 16 accumulators per thread.
void schedule_conv2d(algo::Conv2d &p, const Problem &problem, Knobs &knobs) {
    const GpuVars g;
    knobs.declare(gpu_knobs("conv2d"));
    const GpuTile t = read_tile(knobs);
    output_tiles(p.result, p.v, g, problem, t);
    accumulate_per_thread(p.acc, p.result, p.v, g, {p.r.x, p.r.y, p.r.z});
    if (problem.kernel_w > 0) p.acc.update().unroll(p.r.y).unroll(p.r.z);
}

// Depthwise is memory-bound: 4 channels x 2 pixels per thread keeps the taps' weights in
// registers across the two pixels; a block reads 64 channels (256 contiguous NHWC bytes) of
// 8 x 2 pixels.
void schedule_depthwise(algo::Depthwise &p, const Problem &problem, Knobs &knobs) {
    const GpuVars g;
    knobs.declare(gpu_knobs("depthwise"));
    const GpuTile t = read_tile(knobs);
    output_tiles(p.result, p.v, g, problem, t);
    accumulate_per_thread(p.acc, p.result, p.v, g, {p.r.x, p.r.y});
    if (problem.kernel_w > 0) p.acc.update().unroll(p.r.x).unroll(p.r.y);
}

// Pointwise is a GEMM: per step of the c_in reduction a thread loads 4 weights (consecutive
// channels) and 4 inputs (one per pixel of its 2 x 2 tile, the same address across the channel
// lanes: a broadcast) for 16 FMAs.
void schedule_pointwise(algo::Pointwise &p, const Problem &problem, Knobs &knobs) {
    const GpuVars g;
    knobs.declare(gpu_knobs("pointwise"));
    const GpuTile t = read_tile(knobs);
    output_tiles(p.result, p.v, g, problem, t);
    accumulate_per_thread(p.acc, p.result, p.v, g, {p.r.x});
}

// Fused separable: a block owns threads_x x tile_x = 8 x 4 = 32 pixels of a row and a slice of
// threads_c x tile_channels = 16 x 4 = 64 output channels (each slice its own block: many blocks
// even for 7x7 layers), each thread accumulating 4 channels x 4 pixels in registers. Before that,
// the block's threads compute the depthwise result for its pixels and every intermediate channel
// into shared memory (compute_at the block, GPUShared), which the pointwise reduction then reads:
// per step 4 weight loads (consecutive channels, coalesced across lanes) and 4 shared loads (one
// per pixel, a broadcast) for 16 FMAs. Each channel slice recomputes the depthwise tile (k*k FMAs
// per intermediate value against 64 in the pointwise). On an H200 (bench/gpu --variants,
// MobileNetV1) this beat one block walking all output channels (channels_in_block) 2.5-12x at batch
// 1 on outputs of 28x28 and smaller, and 1.2x at 56x56; the channel walk stays faster where blocks
// are plentiful: 1.14x at batch 1 on 112x112 with 32 channels, and 1.2-1.6x at batch 32 except on
// 7x7 outputs. gpu::Separable only fuses small outputs or 32-channel intermediates (kernels.json
// fusion.cuda), where this matters. The tile must fit shared_kb (48 KB: what every CUDA GPU gives a
// block without opting in): 32 pixels x 4 bytes x intermediate channels fits up to 384 channels.
// Wider intermediates or narrower rows take the next rung of the ladder: halving tile_x (16 pixels,
// 8 pixels), then halving threads_x (4, 2, 1 pixels, one per thread), then one output per thread
// (12288 channels). The 14-wide layers thus get 8 threads x 1 pixel (128 threads a block), the
// 7-wide ones 4 x 1. The pixel split into blocks shifts inwards (shift_threads_x), so the shared
// tile has a constant width: with a guarded split Halide sizes it by a loop over every block on the
// host, at every call.
void schedule_separable(algo::Separable &p, const Problem &problem, Knobs &knobs) {
    knobs.declare(gpu_knobs("separable"));
    const GpuVars g;
    GpuTile t = read_tile(knobs, /*rows=*/false);
    t.channels_in_block = knobs.get("channels_in_block");
    t.shift_threads_x = true;
    const int shared_bytes = knobs.get("shared_kb") * 1024;
    const Expr mid = problem.in_channels, out_c = problem.out_channels, width = problem.out_width;
    Func out = p.pw.result;
    const algo::Vars &pv = p.pw.v;
    auto rung = [&](const GpuTile &tile) {
        const int pixels = tile.tile_x * tile.threads_x;
        tile_stage(out.specialize(out_c >= tile.tile_channels && width >= pixels &&
                                  mid <= shared_bytes / (4 * pixels)),
                   pv, g, tile);
    };
    for (GpuTile r = t; r.tile_x >= 1; r.tile_x /= 2) rung(r);
    GpuTile narrow = t;
    narrow.tile_x = 1;
    for (narrow.threads_x = t.threads_x / 2; narrow.threads_x >= 1; narrow.threads_x /= 2) {
        rung(narrow);
    }
    GpuTile one = t;
    one.tile_channels = one.tile_x = one.threads_x = 1;
    tile_stage(out, pv, g, one);
    accumulate_per_thread(p.pw.acc, p.pw.result, p.pw.v, g, {p.pw.r.x});

    // The depthwise tile: computed per block by the same threads, laid out as the pointwise
    // threads are (channels across threads_c lanes, pixels across threads_x).
    const algo::Vars &v = p.dw.v;
    const Var dco("dco"), dci("dci"), dxo("dxo"), dxi("dxi");
    p.dw.result.compute_at(p.pw.result, t.channels_in_block ? g.xb : g.cb)
        .store_in(MemoryType::GPUShared)
        .split(v.c, dco, dci, t.threads_c, TailStrategy::GuardWithIf)
        .split(v.x, dxo, dxi, t.threads_x, TailStrategy::GuardWithIf)
        .reorder(dci, dxi, dco, dxo, v.y, v.n)
        .gpu_threads(dci, dxi);
    p.dw.acc.compute_at(p.dw.result, dci);
    if (problem.kernel_w > 0) p.dw.acc.update().unroll(p.dw.r.x).unroll(p.dw.r.y);
}

}  // namespace convgen::sched::gpu
