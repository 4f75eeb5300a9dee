// Depthwise conv is memory-bound: each output vector needs kw*kh input vectors and as many
// weight vectors. A tile of tile_c vectors x tile_x pixels keeps its accumulators in registers
// while the (unrolled, when the kernel size is fixed) taps stream past it, so each weight vector
// is loaded once per tile and reused for tile_x pixels.
//   AVX-512: 1 x 8 accumulators + 9 weights of 32 registers (3x3).
//   AVX2 / SSE4.1: 1 x 4 (16 registers).
// The zero-padded input rows are staged once per output row, sliding down a strip of rows, so
// the taps read plain memory instead of testing the border on every FMA.
#include "register_tiles.h"
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
    shape.tile_c_vectors = knobs.get("dw_tile_c", 1);
    shape.tile_x = knobs.get("dw_tile_x", isa == "avx512" ? 8 : 4);
    shape.rows_per_task = standalone ? rows_per_task : 0;
    // Standalone, each slice of channels slides down its strip of rows, so the staged input
    // rows hold one slice (L1) and each input element is copied once.
    shape.channels_outside_rows = standalone && knobs.get("channels_outside_rows", 1);
    register_tiles(p.result, p.v, t, channels, problem.out_width, lanes, shape);
    accumulate_in_registers(p.acc, p.result, p.v, t, {p.r.x, p.r.y});
    if (problem.kernel_w > 0) p.acc.update().unroll(p.r.x).unroll(p.r.y);

    if (knobs.get("stage_input", 1)) {
        const Var c = p.input.args()[0];
        if (standalone && !shape.channels_outside_rows) {
            p.input.compute_at(p.result, t.co);  // one slice of channels, kh rows, in L1
        } else {
            // Slides down the owner's strip: one new input row per output row (stride 1).
            p.input.store_at(owner, rows_per_task > 1 ? t.yo : p.v.y).compute_at(owner, p.v.y);
        }
        p.input.vectorize(c, lanes, TailStrategy::GuardWithIf);
    }
}

void schedule_depthwise(algo::Depthwise &p, const Problem &problem, Knobs &knobs) {
    schedule_depthwise_tiles(p, problem, knobs, problem.out_channels, p.result,
                             knobs.get("rows_per_task", 4));
}

}  // namespace convgen::sched::x86
