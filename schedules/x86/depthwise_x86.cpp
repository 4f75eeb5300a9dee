// Depthwise conv is memory-bound: each output vector needs kw*kh input vectors and as many
// weight vectors. A tile of tile_c vectors x tile_x pixels keeps its accumulators in registers
// while the (unrolled, when the kernel size is fixed) taps stream past it, so each weight vector
// is loaded once per tile and reused for tile_x pixels.
//   AVX-512: 2 x 4 accumulators + 2 x 9 weights of 32 registers (3x3): 32 channels is two
//            cache lines per pixel, which the strided pixel walk streams better than one.
//   AVX2 / SSE4.1: 1 x 4 (16 registers).
// Measured on Zen 4 (MobileNetV1 blocks, 1 thread): 2x4 beat 1x8 by 1.2-1.5x; staging the
// zero-padded input rows (stage_input:1) won only on the 14x14 and 7x7 blocks, so it is off by
// default and the taps keep Halide's border test, which its loop partitioning mostly hoists.
#include "../common/register_tiles.h"
#include "x86_schedules.h"

namespace convgen::sched::x86 {

using namespace Halide;

// Schedules the depthwise stage of the depthwise op (owner == p.result, parallel strips of
// rows) or of the fused separable pipeline (owner == the pointwise output, inside whose row
// loop the depthwise rows are computed, serially).
void schedule_depthwise_tiles(algo::Depthwise &p, const Problem &problem, Knobs &knobs,
                              const Expr &channels, Func owner, int rows_per_task) {
    const std::string &isa = knobs.isa();
    const int lanes = vector_lanes(problem.target);
    const TileVars t;
    const bool standalone = owner.name() == p.result.name();
    TileShape shape;
    shape.tile_c_vectors = knobs.get("dw_tile_c", isa == "avx512" ? 2 : 1);
    shape.tile_x = knobs.get("dw_tile_x", 4);
    shape.rows_per_task = standalone ? rows_per_task : 0;
    // Standalone, each slice of channels slides down its strip of rows, so the staged input
    // rows hold one slice (L1) and each input element is copied once.
    shape.channels_outside_rows = standalone && knobs.get("channels_outside_rows", 1);
    register_tiles(p.result, p.v, t, channels, problem.out_width, lanes, shape);
    accumulate_in_registers(p.acc, p.result, p.v, t, {p.r.x, p.r.y});
    if (problem.kernel_w > 0) p.acc.update().unroll(p.r.x).unroll(p.r.y);

    if (knobs.get("stage_input", 0)) {
        const Var c = p.input.args()[0];
        if (standalone && !shape.channels_outside_rows) {
            p.input.compute_at(p.result, t.co);  // one slice of channels, kh rows, in L1
        } else {
            // Slides down the owner's strip: one new input row per output row (stride 1).
            const Var strip = shape.channels_outside_rows ? t.task : t.yo;
            p.input.store_at(owner, rows_per_task > 1 ? strip : p.v.y).compute_at(owner, p.v.y);
        }
        p.input.vectorize(c, lanes, TailStrategy::GuardWithIf);
    }
}

void schedule_depthwise(algo::Depthwise &p, const Problem &problem, Knobs &knobs) {
    schedule_depthwise_tiles(p, problem, knobs, problem.out_channels, p.result,
                             knobs.get("rows_per_task", 16));
}

}  // namespace convgen::sched::x86
