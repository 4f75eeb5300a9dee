// Pointwise conv is a GEMM: (pixels x c_in) * (c_in x c_out). Each tile keeps
// tile_c vectors of output channels x tile_x pixels of accumulators in registers; per step of
// the c_in reduction it loads tile_c weight vectors and broadcasts tile_x input values, so it
// issues tile_c * tile_x FMAs for tile_c + tile_x loads.
//   AVX-512: 4 x 7 = 28 accumulators + 4 weights of 32 registers, the input an FMA's broadcast
//            memory operand. 7 divides every MobileNet width (112 ... 7): 4x7 measured
//            109-116 GFLOP/s on all MobileNetV1 blocks, 4x6 only 65-90 on the 14- and 7-wide.
//   AVX2:    3 x 4 = 12 accumulators + 3 weights + 1 broadcast of 16.
//   SSE4.1:  2 x 4 = 8 (no FMA: products need temporaries).
#include "../common/register_tiles.h"
#include "x86_schedules.h"

namespace convgen::sched::x86 {

namespace {
int default_tile_c(const std::string &isa) { return isa == "avx512" ? 4 : isa == "avx2" ? 3 : 2; }
int default_tile_x(const std::string &isa) { return isa == "avx512" ? 7 : 4; }
}  // namespace

// Shared with the fused separable schedule, whose second half is exactly this GEMM.
void schedule_pointwise_tiles(algo::Pointwise &p, const Problem &problem, Knobs &knobs,
                              int rows_per_task, bool standalone) {
    const int lanes = vector_lanes(problem.target);
    const TileVars t;
    TileShape shape;
    shape.tile_c_vectors = knobs.get("tile_c", default_tile_c(knobs.isa()));
    shape.tile_x = knobs.get("tile_x", default_tile_x(knobs.isa()));
    shape.rows_per_task = rows_per_task;
    shape.channels_outside_rows = standalone && knobs.get("channels_outside_rows", 0);
    register_tiles(p.result, p.v, t, problem.out_channels, problem.out_width, lanes, shape);
    accumulate_in_registers(p.acc, p.result, p.v, t, {p.r.x});
}

void schedule_pointwise(algo::Pointwise &p, const Problem &problem, Knobs &knobs) {
    schedule_pointwise_tiles(p, problem, knobs, knobs.get("rows_per_task", 1), true);
}

}  // namespace convgen::sched::x86
