// Standard conv: register-blocked output tiles as in pointwise, reducing over c_in innermost and
// the taps outside it (the layout of Halide's apps/conv_layer). Taps are unrolled when the
// variant fixes the kernel size.
//   AVX-512: 4 vectors x 7 pixels = 28 accumulators of 32 registers (the input is an FMA's
//            broadcast memory operand, so 4 weight vectors fill the rest); 7 divides every
//            MobileNet width (112, 56, 28, 14, 7), so no tile is wasted at a row's end.
//   AVX2:    3 x 4 = 12 of 16.  SSE4.1: 2 x 4.
// Slices of output channels sit outside the rows and are the parallel tasks (rows_per_task > 1
// would add strips of rows), so a slice's weights stay in cache while every pixel streams past:
// on the 14x14 and 7x7 blocks, where a row holds few pixels, rows-outside re-read the weights
// per row and ran 2-3x slower. With fewer slices than threads (c_out <= 64 on AVX-512) the
// rows run serially: a knob for the tuner (rows_per_task).
#include "../common/register_tiles.h"
#include "x86_schedules.h"

namespace convgen::sched::x86 {

void schedule_conv2d(algo::Conv2d &p, const Problem &problem, Knobs &knobs) {
    const std::string &isa = knobs.isa();
    const int lanes = vector_lanes(problem.target);
    const TileVars t;
    TileShape shape;
    shape.tile_c_vectors = knobs.get("tile_c", isa == "avx512" ? 4 : isa == "avx2" ? 3 : 2);
    shape.tile_x = knobs.get("tile_x", isa == "avx512" ? 7 : 4);
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

}  // namespace convgen::sched::x86
