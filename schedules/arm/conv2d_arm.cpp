// Standard conv on NEON: the pointwise register tiles (4 vectors x 6 pixels = 24 of the 32
// registers, see arm_schedules.h), reducing over c_in innermost and the taps outside it. Taps
// are unrolled when the variant fixes the kernel size and unroll_taps is set. Slices of output
// channels sit outside the rows, so a slice's weights stay in cache while the pixels stream by.
#include "../common/register_tiles.h"
#include "arm_schedules.h"

namespace convgen::sched::arm {

void schedule_conv2d(algo::Conv2d &p, const Problem &problem, Knobs &knobs) {
    const int lanes = vector_lanes(problem.target);  // 4
    const TileVars t;
    TileShape shape;
    shape.tile_c_vectors = knobs.get("tile_c", kGemmTileVectors);
    shape.tile_x = knobs.get("tile_x", kGemmTilePixels);
    shape.rows_per_task = knobs.get("rows_per_task", 1);
    shape.channels_outside_rows = knobs.get("channels_outside_rows", 1);
    register_tiles(p.result, p.v, t, problem.out_channels, problem.out_width, lanes, shape);
    accumulate_in_registers(p.acc, p.result, p.v, t, {p.r.x, p.r.y, p.r.z});
    if (problem.kernel_w > 0 && knobs.get("unroll_taps", 0)) {
        p.acc.update().unroll(p.r.y);
    }
    const int unroll_ci = knobs.get("unroll_ci", 1);
    if (unroll_ci > 1) {
        p.acc.update().unroll(p.r.x, unroll_ci, Halide::TailStrategy::GuardWithIf);
    }
}

}  // namespace convgen::sched::arm
