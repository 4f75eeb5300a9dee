#include "register_tiles.h"

namespace convgen::sched::x86 {

using namespace Halide;

int vector_lanes(const Target &t) { return t.natural_vector_size<float>(); }

int vector_registers(const Target &t) { return t.has_feature(Target::AVX512_Skylake) ? 32 : 16; }

void register_tiles(Func f, const algo::Vars &v, const TileVars &t, const Expr &channels,
                    const Expr &width, int lanes, int tile_c_vectors, int tile_x, bool parallel) {
    if (parallel) f.fuse(v.y, v.n, t.yn).parallel(t.yn);
    const Var &row = parallel ? t.yn : v.y;
    auto tile = [&](Stage s, int tc, int tx) {
        s.split(v.c, t.co, t.ci, tc).split(v.x, t.xo, t.xi, tx).reorder(t.ci, t.xi, t.xo, t.co, row);
        if (tc >= lanes) s.vectorize(t.ci, lanes).unroll(t.ci);
        if (tx > 1) s.unroll(t.xi);
    };
    const int tc = tile_c_vectors * lanes;
    tile(f.specialize(channels >= tc && width >= tile_x), tc, tile_x);
    if (tile_c_vectors > 1) tile(f.specialize(channels >= lanes && width >= tile_x), lanes, tile_x);
    tile(f, 1, 1);
}

void accumulate_in_registers(Func acc, Func out, const algo::Vars &v, const TileVars &t,
                             const std::vector<VarOrRVar> &reduction_order) {
    // The tile's extents are constants in every branch of register_tiles, so vectorize/unroll
    // take the whole extent without a factor.
    acc.compute_at(out, t.xo).vectorize(v.c).unroll(v.x);
    std::vector<VarOrRVar> order{v.c, v.x};
    order.insert(order.end(), reduction_order.begin(), reduction_order.end());
    order.push_back(v.y);
    order.push_back(v.n);
    acc.update().reorder(order).vectorize(v.c).unroll(v.x);
}

}  // namespace convgen::sched::x86
