// Depthwise conv is memory-bound: each output vector needs kw*kh input vectors and as many
// weight vectors. A tile of tile_c vectors x tile_x pixels keeps its accumulators in registers
// while the (unrolled, when the kernel size is fixed) taps stream past it, so each weight vector
// is loaded once per tile and reused for tile_x pixels.
//   AVX-512: 1 x 8 accumulators + 9 weights of 32 registers (3x3).
//   AVX2 / SSE4.1: 1 x 4 (16 registers).
#include "register_tiles.h"
#include "x86_schedules.h"

namespace convgen::sched::x86 {

// Tiles any depthwise Func: the op's output (parallel over rows) or the fused pipeline's
// intermediate row (serial, inside a parallel row of the pointwise stage).
void schedule_depthwise_tiles(algo::Depthwise &p, const Problem &problem, Knobs &knobs,
                              const Halide::Expr &channels, bool parallel) {
    const std::string &isa = knobs.isa();
    const int lanes = vector_lanes(problem.target);
    const TileVars t;
    register_tiles(p.result, p.v, t, channels, problem.out_width, lanes,
                   knobs.get("dw_tile_c", 1), knobs.get("dw_tile_x", isa == "avx512" ? 8 : 4),
                   parallel);
    accumulate_in_registers(p.acc, p.result, p.v, t, {p.r.x, p.r.y});
    if (problem.kernel_w > 0) p.acc.update().unroll(p.r.x).unroll(p.r.y);
}

void schedule_depthwise(algo::Depthwise &p, const Problem &problem, Knobs &knobs) {
    schedule_depthwise_tiles(p, problem, knobs, problem.out_channels, /*parallel=*/true);
}

}  // namespace convgen::sched::x86
