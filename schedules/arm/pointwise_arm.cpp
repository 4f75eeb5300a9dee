// Pointwise conv on NEON: the GEMM (pixels x c_in) * (c_in x c_out) in register tiles of
// kGemmTileVectors x kGemmTilePixels (4 x 6, see arm_schedules.h). Per step of the c_in
// reduction a tile loads 4 weight vectors and broadcasts 6 input values for 24 FMAs.
#include "../common/register_tiles.h"
#include "arm_schedules.h"

namespace convgen::sched::arm {

// Shared with the fused separable schedule, whose second half is exactly this GEMM.
void schedule_pointwise_tiles(algo::Pointwise &p, const Problem &problem, Knobs &knobs,
                              int rows_per_task, bool standalone) {
    const int lanes = vector_lanes(problem.target);  // 4
    const TileVars t;
    TileShape shape;
    shape.tile_c_vectors = knobs.get("tile_c", kGemmTileVectors);
    shape.tile_x = knobs.get("tile_x", kGemmTilePixels);
    shape.rows_per_task = rows_per_task;
    shape.channels_outside_rows = standalone && knobs.get("channels_outside_rows", 0);
    register_tiles(p.result, p.v, t, problem.out_channels, problem.out_width, lanes, shape);
    accumulate_in_registers(p.acc, p.result, p.v, t, {p.r.x});
}

void schedule_pointwise(algo::Pointwise &p, const Problem &problem, Knobs &knobs) {
    schedule_pointwise_tiles(p, problem, knobs, knobs.get("rows_per_task", 1), true);
}

}  // namespace convgen::sched::arm
