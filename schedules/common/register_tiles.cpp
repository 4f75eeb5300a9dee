#include "register_tiles.h"

#include <algorithm>
#include <stdexcept>

#include "../schedule.h"

namespace convgen::sched {

using namespace Halide;

int vector_lanes(const Target &t) { return t.natural_vector_size<float>(); }

// AVX-512 and AArch64 (NEON/ASIMD) have 32 vector registers; AVX2 and SSE4.1 have 16.
int vector_registers(const std::string &isa) {
    if (isa == "avx512_spr" || isa == "avx512" || isa == "neon") return 32;
    if (isa == "avx2" || isa == "sse41") return 16;
    throw std::invalid_argument("no CPU register file for ISA '" + isa + "'");
}
int vector_registers(const Target &t) { return vector_registers(isa_of(t)); }

void register_tiles(Func f, const algo::Vars &v, const TileVars &t, const Expr &channels,
                    const Expr &width, int lanes, const TileShape &shape) {
    // Rows (or strips of rows) are the parallel tasks. y is not fused with n: a fused loop could
    // not be partitioned into border and interior rows, and the zero-padding test would stay in
    // every tap.
    std::vector<VarOrRVar> rows{v.y};
    const bool slices_inside_strips = shape.slices_inside_strips && shape.rows_per_task > 1;
    if (shape.rows_per_task > 1) {
        Expr strip = shape.rows_per_task;
        if (shape.min_row_tasks > 0 && shape.height.defined()) {
            strip = clamp((shape.height + shape.min_row_tasks - 1) / shape.min_row_tasks, 1,
                          shape.rows_per_task);
        }
        f.split(v.y, t.yo, v.y, strip, TailStrategy::GuardWithIf);
        if (!shape.channels_outside_rows) f.parallel(t.yo);
        if (!slices_inside_strips) rows.push_back(t.yo);
    } else if (shape.rows_per_task == 1) {
        f.parallel(v.y);
    }
    const int tile_c_vectors = shape.tile_c_vectors, tile_x = shape.tile_x;
    const bool task_per_slice_and_strip = shape.channels_outside_rows &&
                                          shape.rows_per_task > 1 && !slices_inside_strips;
    auto tile = [&](Stage s, int tc, int tx) {
        s.split(v.c, t.co, t.ci, tc,
                shape.round_up_channels ? TailStrategy::RoundUp : TailStrategy::Auto)
            .split(v.x, t.xo, t.xi, tx);
        const bool chunks = task_per_slice_and_strip && shape.threads.defined() &&
                            shape.tasks_per_thread > 0;
        if (chunks) {
            const Expr tiles = (width + tx - 1) / tx;
            const Expr slices = (channels + tc - 1) / tc;
            const Expr strips = (shape.height + shape.rows_per_task - 1) / shape.rows_per_task;
            const Expr tasks = strips * slices;
            const Expr threads = shape.threads;
            const Expr uneven = threads > 1 && tasks < shape.tasks_per_thread * threads &&
                                tasks % max(threads, 1) != 0;
            const Expr n = clamp(select(uneven, threads, 1), 1, max(tiles, 1));
            s.split(t.xo, t.xc, t.xo, (tiles + n - 1) / n, TailStrategy::GuardWithIf);
        }
        std::vector<VarOrRVar> order{t.ci, t.xi, t.xo};
        if (slices_inside_pixel_tiles(shape)) {
            order = {t.ci, t.xi, t.co, t.xo};
            order.insert(order.end(), rows.begin(), rows.end());
        } else if (task_per_slice_and_strip && shape.strip_major_tasks) {
            order.push_back(v.y);
            order.push_back(t.co);
            order.push_back(t.yo);
            if (chunks) order.push_back(t.xc);
        } else if (shape.channels_outside_rows || slices_inside_strips) {
            order.insert(order.end(), rows.begin(), rows.end());
            order.push_back(t.co);
            if (chunks) order.push_back(t.xc);
            if (slices_inside_strips) order.push_back(t.yo);
        } else {
            order.push_back(t.co);
            order.insert(order.end(), rows.begin(), rows.end());
        }
        order.push_back(v.n);
        s.reorder(order);
        if (shape.channels_outside_rows && shape.rows_per_task > 1) {
            // One flat parallel loop over (channel slice, strip): nested parallel loops would
            // wake the thread pool once per slice.
            if (shape.strip_major_tasks) {
                s.fuse(t.co, t.yo, t.task).parallel(t.task);
            } else {
                s.fuse(t.yo, t.co, t.task).parallel(t.task);
            }
            // The chunks are a loop of their own around the tasks (fused into them, Halide
            // could not bound the slice: task / a run-time extent of unknown sign). convgen's
            // pool runs a one-iteration loop inline and a loop nested in a parallel one
            // serially, so either the chunks or the tasks are the parallel loop.
            if (chunks) s.parallel(t.xc);
        } else if (shape.channels_outside_rows && shape.rows_per_task == 1) {
            s.parallel(t.co);
        }
        if (tc >= lanes) s.vectorize(t.ci, lanes).unroll(t.ci);
        if (tx > 1) s.unroll(t.xi);
    };
    const int tc = tile_c_vectors * lanes;
    const int half_x = (tile_x + 1) / 2;  // narrow rows, e.g. MobileNet's 7x7 and 14x14 layers
    // Pixels of a row, and outputs, a tiling covers, overlaps included (64-bit: channels x
    // width may pass 2^31).
    const Expr w64 = cast<int64_t>(width);
    auto covered_row = [&](int tile_w) { return (w64 + tile_w - 1) / tile_w * tile_w; };
    auto covered = [&](int tile_c, int tile_w) {
        return covered_outputs(channels, width, tile_c, tile_w);
    };
    // A rung of the clamp-only ladder (TileShape::activations); `general`: of a general one.
    const Expr &clamps_only = shape.activations.identity;
    const bool branch = clamps_only.defined() && !Internal::is_const_one(clamps_only);
    Expr ladder = branch ? clamps_only : Expr();
    auto rung = [&](const Expr &cond) {
        return f.specialize(ladder.defined() ? ladder && cond : cond);
    };
    // Alternatives to the full tile, each where the full tile would run and it covers at most
    // num/den of the full tile's outputs.
    // `when`: a further condition of the rungs' own (undefined: none).
    auto alternatives = [&](const std::vector<std::pair<int, int>> &rungs, int num, int den,
                            Expr when = Expr()) {
        if (!when.defined()) when = Internal::const_true();
        for (const auto &[vectors, pixels] : rungs) {
            const int c2 = vectors * lanes;
            tile(rung(when && channels >= tc && width >= tile_x && channels >= c2 &&
                      width >= pixels && covered(c2, pixels) * den <= covered(tc, tile_x) * num),
                 c2, pixels);
        }
    };
    if (shape.alt_tile.first > 0 && shape.alt_tile.second > 0) {
        const auto [vectors, pixels] = shape.alt_tile;
        Expr fits_badly = width >= tile_x && covered_row(tile_x) * 10 >= w64 * 11;
        if (shape.alt_when.defined()) fits_badly = shape.alt_when || fits_badly;
        if (shape.alt_when_no_wider.defined()) {
            fits_badly = fits_badly || (shape.alt_when_no_wider &&
                                        covered(vectors * lanes, pixels) <= covered(tc, tile_x));
        }
        if (const int wide = shape.alt_tile_wide_vectors; wide > vectors) {
            tile(rung(fits_badly && channels >= wide * lanes && width >= pixels &&
                      covered(wide * lanes, pixels) * 20 <= covered(vectors * lanes, pixels) * 19),
                 wide * lanes, pixels);
        }
        const int c2 = vectors * lanes;
        if (const int tight = shape.alt_tile_tight_pixels; tight > 0 && tight < pixels) {
            tile(rung(fits_badly && channels >= c2 && width >= tight &&
                      covered(c2, tight) * 20 <= covered(c2, pixels) * 19),
                 c2, tight);
        }
        tile(rung(fits_badly && channels >= c2 && width >= pixels), c2, pixels);
    }
    alternatives(shape.leaner_rungs, shape.leaner_cover_pct, 100);  // fewer accumulators
    if (shape.wide_rung.first > 0) {
        alternatives({shape.wide_rung}, 19, 20, shape.wide_when);
    }
    alternatives(shape.tighter_rungs, 19, 20);  // 5% fewer, as many accumulators
    tile(rung(channels >= tc && width >= tile_x), tc, tile_x);
    if (half_x < tile_x) tile(rung(channels >= tc && width >= half_x), tc, half_x);
    for (const auto &[vectors, pixels] : shape.narrow_rungs) {
        tile(rung(channels >= vectors * lanes && width >= pixels), vectors * lanes, pixels);
    }
    if (tile_c_vectors > 1) tile(rung(channels >= lanes && width >= half_x), lanes, half_x);
    if (branch) {
        // The general ladders: the full tile and one vector x half its pixels, each also
        // conditioned on !clamps_only, so a stage computed inside a clamp-only rung of
        // another loses them to the simplifier. (With the alternative tile and the leaner
        // rungs in them too, three inverted-residual kernels had not compiled after 6 minutes
        // each.)
        auto general = [&](const Expr &when) {
            ladder = when;
            tile(rung(channels >= tc && width >= tile_x), tc, tile_x);
            if (tile_c_vectors > 1) tile(rung(channels >= lanes && width >= half_x), lanes, half_x);
        };
        const Expr &exp_free = shape.activations.exp_free;
        if (exp_free.defined() && !Internal::is_const_one(exp_free)) {
            general(!clamps_only && exp_free);
        }
        general(!clamps_only);
    }
    tile(f, 1, 1);
}

std::vector<std::pair<int, int>> gemm_narrow_rungs(int tile_c_vectors, int registers,
                                                   int max_pixels) {
    std::vector<std::pair<int, int>> rungs;
    for (int v = tile_c_vectors - 1; v >= 1; --v) {
        int pixels = max_pixels;
        while (pixels > 0 && gemm_tile_registers(v, pixels) > registers) --pixels;
        if (pixels >= 1) rungs.emplace_back(v, pixels);
    }
    return rungs;
}

std::vector<std::pair<int, int>> gemm_tighter_rungs(const std::vector<std::pair<int, int>> &rungs,
                                                    int tile_c_vectors, int tile_x) {
    std::vector<std::pair<int, int>> tighter;
    for (const auto &[vectors, pixels] : rungs) {
        if (vectors * pixels >= tile_c_vectors * tile_x) tighter.emplace_back(vectors, pixels);
    }
    return tighter;
}

std::vector<std::pair<int, int>> gemm_leaner_rungs(int tile_c_vectors, int tile_x, int registers,
                                                   int max_pixels) {
    std::vector<std::pair<int, int>> leaner;
    const int full = tile_c_vectors * tile_x;
    for (int v = tile_c_vectors; v >= 1; --v) {
        for (int p = max_pixels; p >= 1; --p) {
            const int acc = v * p;
            if (acc < full && 4 * acc >= 3 * full && gemm_tile_registers(v, p) <= registers) {
                leaner.emplace_back(v, p);
            }
        }
    }
    // Most accumulators first: the first rung whose coverage qualifies is taken.
    std::stable_sort(leaner.begin(), leaner.end(), [](const auto &a, const auto &b) {
        return a.first * a.second > b.first * b.second;
    });
    return leaner;
}

Expr covered_outputs(const Expr &channels, const Expr &width, int tile_c, int tile_w) {
    const Expr c = cast<int64_t>(channels), w = cast<int64_t>(width);
    return (c + tile_c - 1) / tile_c * tile_c * ((w + tile_w - 1) / tile_w * tile_w);
}

int gemm_tile_registers(int vectors, int pixels) { return vectors * (pixels + 1) + 1; }

bool slices_inside_pixel_tiles(const TileShape &shape) {
    return shape.slices_inside_pixels && !shape.channels_outside_rows &&
           !(shape.slices_inside_strips && shape.rows_per_task > 1);
}

Var tile_loop(const TileVars &t, const TileShape &shape) {
    return slices_inside_pixel_tiles(shape) ? t.co : t.xo;
}

void accumulate_in_registers(Func acc, Func out, const algo::Vars &v, const Var &tile,
                             const std::vector<VarOrRVar> &reduction_order, int lanes) {
    // The tile's extents are constants in every branch of register_tiles, so vectorize/unroll
    // take the whole extent without a factor.
    acc.compute_at(out, tile);
    std::vector<VarOrRVar> order;
    if (lanes > 0) {
        // A 1-channel rung's extent is below `lanes`: GuardWithIf keeps it exact.
        const Var cv("cv"), cl("cl");
        acc.split(v.c, cv, cl, lanes, TailStrategy::GuardWithIf)
            .vectorize(cl)
            .unroll(cv)
            .unroll(v.x);
        acc.update().split(v.c, cv, cl, lanes, TailStrategy::GuardWithIf);
        order = {cl, cv, v.x};
    } else {
        acc.vectorize(v.c).unroll(v.x);
        order = {v.c, v.x};
    }
    order.insert(order.end(), reduction_order.begin(), reduction_order.end());
    order.push_back(v.y);
    order.push_back(v.n);
    Stage update = acc.update();
    update.reorder(order).unroll(v.x);
    if (lanes > 0) {
        update.vectorize(order[0].var).unroll(order[1].var);
    } else {
        update.vectorize(v.c);
    }
}

}  // namespace convgen::sched
