// Fused separable conv on NEON: the pointwise GEMM tiles of pointwise_arm.cpp, fed by the
// depthwise result for one output row at a time (all channels x the row's width), computed
// inside each parallel strip of rows and consumed at once, so the intermediate stays in L1/L2
// (c x w = 128 x 56 floats = 28 KB for every MobileNetV1 block) and never reaches DRAM.
#include "../common/register_tiles.h"
#include "arm_schedules.h"

namespace convgen::sched::arm {

void schedule_pointwise_tiles(algo::Pointwise &p, const Problem &problem, Knobs &knobs,
                              int rows_per_task, bool standalone);
void schedule_depthwise_tiles(algo::Depthwise &p, const Problem &problem, Knobs &knobs,
                              const Halide::Expr &channels, Halide::Func owner,
                              int rows_per_task);

void schedule_separable(algo::Separable &p, const Problem &problem, Knobs &knobs) {
    const int rows_per_task = knobs.get("rows_per_task", 4);
    // The depthwise row must exist for all channels before any output channel uses it, so the
    // pointwise tiles keep rows outside channels here.
    schedule_pointwise_tiles(p.pw, problem, knobs, rows_per_task, /*standalone=*/false);
    p.dw.result.compute_at(p.pw.result, p.pw.v.y);
    schedule_depthwise_tiles(p.dw, problem, knobs, problem.in_channels, p.pw.result,
                             rows_per_task);
}

}  // namespace convgen::sched::arm
