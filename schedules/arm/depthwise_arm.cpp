// Depthwise conv on NEON is memory-bound like on x86: a tile of kDepthwiseTileVectors x
// kDepthwiseTilePixels (2 vectors = 8 channels x 4 pixels = 8 accumulators) keeps its sums in
// registers while the taps (unrolled when the kernel size is fixed) stream past, so each weight
// vector is loaded once per tile and reused for 4 pixels; a 3x3 tile's 18 weight vectors fit
// next to the accumulators (26 of 32 registers). Stride 1 and 2 share the schedule: channels
// are innermost (NHWC), so a stride only spaces the pixels' contiguous channel vectors apart.
// The zero-padded input rows are staged (stage_input:1, off by default on x86): with Halide's
// border test left in the taps, the 3x3 stride-1 tile's loop held 32 scalar spills of clamped
// indices and 1.06 loads per FMA in the arm-64-linux assembly; staged, 0 scalar spills and 0.61
// (tools/arm_asm_report.py). Unmeasured on hardware: a knob for the tuner.
#include "../common/register_tiles.h"
#include "arm_schedules.h"

namespace convgen::sched::arm {

using namespace Halide;

// The depthwise stage of the depthwise op (owner == p.result, parallel strips of rows) or of
// the fused separable pipeline (owner == the pointwise output, inside whose row loop the
// depthwise rows are computed, serially).
void schedule_depthwise_tiles(algo::Depthwise &p, const Problem &problem, Knobs &knobs,
                              const Expr &channels, Func owner, int rows_per_task) {
    const int lanes = vector_lanes(problem.target);  // 4
    const TileVars t;
    const bool standalone = owner.name() == p.result.name();
    TileShape shape;
    shape.tile_c_vectors = knobs.get("dw_tile_c", kDepthwiseTileVectors);
    shape.tile_x = knobs.get("dw_tile_x", kDepthwiseTilePixels);
    shape.rows_per_task = standalone ? rows_per_task : 0;
    shape.channels_outside_rows = standalone && knobs.get("channels_outside_rows", 1);
    register_tiles(p.result, p.v, t, channels, problem.out_width, lanes, shape);
    accumulate_in_registers(p.acc, p.result, p.v, t, {p.r.x, p.r.y});
    if (problem.kernel_w > 0) p.acc.update().unroll(p.r.x).unroll(p.r.y);

    if (knobs.get("stage_input", 1)) {
        const Var c = p.input.args()[0];
        if (standalone && !shape.channels_outside_rows) {
            p.input.compute_at(p.result, t.co);
        } else {
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

}  // namespace convgen::sched::arm
