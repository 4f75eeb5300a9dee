#include <gtest/gtest.h>

#include "problem.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <new>
#include <random>
#include <set>

#include "convgen_baselines.h"
#include "problem_string.h"
#include "reference.h"

namespace testing_support {

// Every test binary that uses this support library sees the benchmark baselines too (the grid
// runs every variant): registered during static initialisation, before GoogleTest evaluates
// its variant lists.
const bool kBaselinesRegistered = (convgen::register_baselines(), true);

using namespace convgen;

namespace {

std::string act_str(const Activation &a) {
    switch (a.kind) {
    case Activation::Kind::none: return "none";
    case Activation::Kind::relu: return "relu";
    case Activation::Kind::relu6: return "relu6";
    case Activation::Kind::hard_swish: return "hard_swish";
    case Activation::Kind::silu: return "silu";
    case Activation::Kind::clamp:
        return "clamp" + std::to_string(a.min).substr(0, 5) + ":" +
               std::to_string(a.max).substr(0, 5);
    }
    return "?";
}

std::string pad_str(const Padding &p) {
    switch (p.mode) {
    case Padding::Mode::same: return "same";
    case Padding::Mode::valid: return "valid";
    default:
        return std::to_string(p.top) + "." + std::to_string(p.left) + "." +
               std::to_string(p.bottom) + "." + std::to_string(p.right);
    }
}

std::vector<float> random_floats(size_t count, std::mt19937 &rng) {
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    std::vector<float> v(count);
    for (auto &x : v) x = dist(rng);
    return v;
}

// Strides with gaps: 2 spare floats after each pixel, 1 after each row (none when rows are
// back to back: the layout in which Pointwise runs a grid as one row), 3 after each image.
TensorDesc with_gaps(TensorDesc d, bool rows_back_to_back) {
    const int64_t sw = d.c + 2, sh = d.w * sw + (rows_back_to_back ? 0 : 1), sn = d.h * sh + 3;
    d.strides = {sn, sh, sw, 1};
    return d;
}

int64_t span(const TensorDesc &d) {
    const auto s = d.effective_strides();
    return (d.n - 1) * s[0] + (d.h - 1) * s[1] + (d.w - 1) * s[2] + d.c;
}

constexpr float kSentinel = 12345.0f;

}  // namespace

std::string Problem::str() const {
    const auto &wd = window;
    std::string s = std::string(to_string(op)) + " mb" + std::to_string(n) + " ic" +
                    std::to_string(ci) + " ih" + std::to_string(h) + " iw" + std::to_string(w);
    if (op == OpKind::depthwise || op == OpKind::separable) s += " m" + std::to_string(multiplier);
    if (op != OpKind::depthwise) s += " oc" + std::to_string(co);
    if (op != OpKind::pointwise) {
        s += " kh" + std::to_string(wd.kernel_h) + " kw" + std::to_string(wd.kernel_w) + " sh" +
             std::to_string(wd.stride_h) + " sw" + std::to_string(wd.stride_w) + " dh" +
             std::to_string(wd.dilation_h) + " dw" + std::to_string(wd.dilation_w) + " pad" +
             pad_str(wd.padding);
    }
    if (op == OpKind::inverted_residual) {
        s += " xc" + std::to_string(ci * expansion) + (residual ? "" : " noresidual");
    }
    s += bias ? " bias" : " nobias";
    if (op == OpKind::separable || op == OpKind::inverted_residual) s += " dwact=" + act_str(dw_act);
    s += " act=" + act_str(act);
    if (strided) s += rows_back_to_back ? " strided(rows back to back)" : " strided";
    return s;
}

std::string Problem::problem_string() const {
    using PS = convgen_problems::Problem;
    PS q;
    q.n = n, q.c = ci, q.h = h, q.w = w;
    const convgen_problems::OpSpelling *spelled =
        convgen_problems::spelling_of_convgen_op(convgen::to_string(op));
    if (!spelled) return "";
    q.op = spelled->op;
    q.o = spelled->own_outputs ? co : ci * multiplier;
    if (spelled->expanded) q.expanded = ci * expansion;
    if (!spelled->windowed) {
        q.kh = q.kw = 1;
        return q.to_string();
    }
    const Window &wd = window;
    if (wd.stride_h != wd.stride_w || wd.dilation_h != wd.dilation_w) return "";
    q.kh = wd.kernel_h, q.kw = wd.kernel_w, q.stride = wd.stride_h, q.dilation = wd.dilation_h;
    if (spelled->multiplier) q.multiplier = multiplier;
    switch (wd.padding.mode) {
    case Padding::Mode::same: q.pad = PS::Pad::same; break;
    case Padding::Mode::valid: q.pad = PS::Pad::valid; break;
    case Padding::Mode::explicit_pads: {
        const Padding &pd = wd.padding;
        if (pd.top != pd.left || pd.top != pd.bottom || pd.top != pd.right) return "";
        q.pad = PS::Pad::explicit_pads;
        q.pad_value = pd.top;
        break;
    }
    }
    return q.to_string();
}

std::string Problem::describe() const {
    const std::string ps = problem_string();
    return ps.empty() ? str() : str() + " [" + ps + "]";
}

bool Problem::has_output() const {
    if (op == OpKind::pointwise || window.padding.mode == Padding::Mode::same) return true;
    const bool valid = window.padding.mode == Padding::Mode::valid;
    const int ph = valid ? 0 : window.padding.top + window.padding.bottom;
    const int pw = valid ? 0 : window.padding.left + window.padding.right;
    return h + ph >= window.dilation_h * (window.kernel_h - 1) + 1 &&
           w + pw >= window.dilation_w * (window.kernel_w - 1) + 1;
}

std::vector<Problem> grid(OpKind op) {
    Problem base;
    base.op = op;
    std::vector<Problem> g{base};
    auto vary = [&](auto set) {
        Problem p = base;
        set(p);
        g.push_back(p);
    };
    for (auto [kh, kw] : {std::pair{1, 1}, {5, 5}, {7, 7}, {3, 5}}) {
        vary([&](Problem &p) { p.window.kernel_h = kh, p.window.kernel_w = kw; });
    }
    vary([](Problem &p) { p.window.stride_h = p.window.stride_w = 2; });
    vary([](Problem &p) { p.window.stride_h = 2; });
    vary([](Problem &p) { p.window.dilation_h = p.window.dilation_w = 2; });
    vary([](Problem &p) { p.window.padding = Padding::explicit_pads(0, 1, 2, 1); });
    vary([](Problem &p) { p.window.padding = Padding::same(); });
    vary([](Problem &p) { p.window.padding = Padding::valid(); });
    vary([](Problem &p) { p.window.padding = Padding::same(), p.window.stride_h = p.window.stride_w = 2; });
    for (int c : {1, 3, 16, 17, 64}) vary([&](Problem &p) { p.ci = c; });
    for (int c : {1, 3, 16, 64, 100}) vary([&](Problem &p) { p.co = c; });
    vary([](Problem &p) { p.h = 5, p.w = 3; });
    vary([](Problem &p) { p.h = 13, p.w = 29; });
    // A 7-wide row of 96 output channels: where avx512_spr's GEMM tile (4x6) yields to its
    // leaner 3x7 rung (TileShape::leaner_rungs).
    vary([](Problem &p) { p.h = 5, p.w = 7, p.co = 96; });
    // 14-wide: where the avx512 level's conv2d tile (4x6, tighter_tiles 3) yields to 3x7.
    vary([](Problem &p) { p.h = 3, p.w = 14, p.co = 96; });
    // Input pixels 4 KiB apart (1024 channels): the avx512 pointwise op's alternative 4x5 tile
    // (TileShape::alt_tile).
    vary([](Problem &p) { p.h = 2, p.w = 5, p.ci = 1024, p.co = 64; });
    // 256 input channels: the avx2 pointwise op's alternative 2x6 tile (alt_tile_min_c_in),
    // on 36 output channels (3 slices of 16, the last shifted inwards; 3x4 also covers 48).
    vary([](Problem &p) { p.h = 3, p.w = 12, p.ci = 256, p.co = 36; });
    // And on a merged 7 x 7 row (49 pixels), its 2x5 rung instead (alt_tile_tight_x: 50
    // pixels computed where 2x6 computes 54).
    vary([](Problem &p) { p.h = 7, p.w = 7, p.ci = 256, p.co = 40; });
    // Output channels the avx512 pointwise op's 1x28 rung takes (wide_tiles, from 64 input
    // channels): 40 on a 30-wide row, 80 on a merged row of 4 x 14, whose 5 slices are also
    // cut into pixel chunks when the run has 2 threads (TileShape::threads); and 160 on a
    // merged 7 x 7 row, where its alternative tile is 5x5 (alt_tile_wide_c).
    vary([](Problem &p) { p.h = 2, p.w = 30, p.ci = 64, p.co = 40; });
    vary([](Problem &p) { p.h = 4, p.w = 14, p.ci = 64, p.co = 80; });
    vary([](Problem &p) { p.h = 7, p.w = 7, p.ci = 24, p.co = 160; });
    vary([](Problem &p) { p.n = 3; });
    vary([](Problem &p) { p.multiplier = 2; });
    vary([](Problem &p) { p.multiplier = 2, p.ci = 3; });
    vary([](Problem &p) { p.bias = false; });
    vary([](Problem &p) { p.act = Activation::none(), p.dw_act = Activation::none(); });
    vary([](Problem &p) { p.act = Activation::relu6(), p.dw_act = Activation::relu(); });
    vary([](Problem &p) { p.act = p.dw_act = Activation::clamp(-0.25f, 0.5f); });
    // hard-swish and SiLU: each stage on its own (the others clamp-only) and all at once,
    // so every kernel's general branch runs (generator_support.h branch_on_activations).
    vary([](Problem &p) { p.act = Activation::hard_swish(); });
    vary([](Problem &p) { p.act = Activation::silu(), p.dw_act = Activation::none(); });
    vary([](Problem &p) { p.dw_act = Activation::hard_swish(); });
    vary([](Problem &p) { p.act = Activation::hard_swish(), p.dw_act = Activation::silu(); });
    vary([](Problem &p) { p.strided = true; });
    vary([](Problem &p) { p.strided = true, p.n = 2, p.ci = 17, p.co = 33; });
    vary([](Problem &p) { p.strided = true, p.rows_back_to_back = true, p.n = 2, p.co = 33; });
    if (op == OpKind::inverted_residual) {
        // Expansion 1 (no expansion conv), 2 and 6; the residual on (c_in == c_out, stride 1),
        // switched off, and off by shape (stride 2); odd channel counts; batch and strides.
        vary([](Problem &p) { p.co = p.ci; });
        vary([](Problem &p) { p.co = p.ci, p.residual = false; });
        vary([](Problem &p) { p.expansion = 1; });
        vary([](Problem &p) { p.expansion = 1, p.co = p.ci; });
        vary([](Problem &p) { p.expansion = 2, p.co = p.ci, p.window.padding = Padding::same(); });
        vary([](Problem &p) { p.expansion = 6, p.ci = 24, p.co = 24, p.h = 14, p.w = 14; });
        vary([](Problem &p) {
            p.expansion = 6, p.ci = 24, p.co = 32, p.h = 14, p.w = 14;
            p.window.stride_h = p.window.stride_w = 2;
        });
        vary([](Problem &p) {
            p.expansion = 6, p.ci = p.co = 16, p.window.stride_h = p.window.stride_w = 2;
        });
        vary([](Problem &p) {
            p.window.kernel_h = p.window.kernel_w = 5, p.window.padding = Padding::symmetric(2);
            p.ci = p.co = 7, p.expansion = 6;
        });
        vary([](Problem &p) { p.ci = p.co = 5, p.expansion = 3, p.n = 3, p.strided = true; });
        vary([](Problem &p) {
            p.ci = p.co = 16, p.h = 31, p.w = 9, p.window.dilation_h = p.window.dilation_w = 2;
            p.window.padding = Padding::symmetric(2);
        });
    }

    // Seeded random combinations, so parameters also meet each other.
    std::mt19937 rng(1234 + static_cast<int>(op));
    auto pick = [&](std::initializer_list<int> v) {
        return *(v.begin() + std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng));
    };
    for (int i = 0; i < 12; i++) {
        Problem p = base;
        p.n = pick({1, 2, 3});
        p.h = pick({4, 7, 12, 17});
        p.w = pick({3, 8, 15, 21});
        p.ci = pick({1, 3, 8, 16, 17, 32, 48});
        p.co = pick({1, 4, 16, 17, 40, 64});
        p.multiplier = pick({1, 1, 2, 3});
        p.window.kernel_h = pick({1, 3, 5});
        p.window.kernel_w = pick({1, 3, 5});
        p.window.stride_h = pick({1, 2});
        p.window.stride_w = pick({1, 2});
        p.window.dilation_h = p.window.dilation_w = pick({1, 1, 2});
        switch (pick({0, 1, 2, 3})) {
        case 0: p.window.padding = Padding::same(); break;
        case 1: p.window.padding = Padding::valid(); break;
        default:
            p.window.padding = Padding::explicit_pads(pick({0, 1, 2}), pick({0, 1, 2}),
                                                      pick({0, 1, 2}), pick({0, 1, 2}));
        }
        p.bias = pick({0, 1});
        p.strided = pick({0, 0, 1});
        g.push_back(p);
    }
    return g;
}

Problem fit_to(Problem p, const VariantInfo &v) {
    // Autoscheduled baselines take clamp activations only (DispatchKey::identity_activations).
    if (autoscheduled(v)) {
        auto clamp_only = [](Activation &a) {
            if (a.kind == Activation::Kind::hard_swish || a.kind == Activation::Kind::silu) {
                a = Activation::relu6();
            }
        };
        clamp_only(p.act), clamp_only(p.dw_act);
    }
    // A variant for wide reductions only: its minimum plus the grid's own count, so the last
    // block of the reduction is partial wherever the grid's count is not a multiple of it.
    if (v.min_in_channels > 0 && p.ci < v.min_in_channels) p.ci += v.min_in_channels;
    if (p.op == OpKind::pointwise) {
        p.window = Window{1, 1, 1, 1, 1, 1, Padding::valid()};
        p.multiplier = 1;
        return p;
    }
    if (p.op == OpKind::conv2d) p.multiplier = 1;
    if (v.kernel) p.window.kernel_h = p.window.kernel_w = v.kernel;
    if (v.stride) p.window.stride_h = p.window.stride_w = v.stride;
    if (v.dilation) p.window.dilation_h = p.window.dilation_w = v.dilation;
    if (v.multiplier) p.multiplier = v.multiplier;
    return p;
}

GuardedFloats::GuardedFloats(size_t count, float fill) : count_(count) {
    const size_t page = size_t(sysconf(_SC_PAGESIZE));
    const size_t bytes = std::max<size_t>(count, 1) * sizeof(float);
    const size_t data_pages = (bytes + page - 1) / page;
    map_bytes_ = (data_pages + 2) * page;  // a guard page on each side
    map_ = mmap(nullptr, map_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map_ == MAP_FAILED) throw std::bad_alloc();
    char *base = static_cast<char *>(map_);
    mprotect(base, page, PROT_NONE);
    mprotect(base + (data_pages + 1) * page, page, PROT_NONE);
    // Flush against the trailing guard: the first float past the end is unmapped.
    data_ = reinterpret_cast<float *>(base + (data_pages + 1) * page - count * sizeof(float));
    std::fill(data_, data_ + count, fill);
}

GuardedFloats::~GuardedFloats() { munmap(map_, map_bytes_); }

Problem random_problem(OpKind op, std::mt19937 &rng) {
    auto uniform = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    auto chance = [&rng](double p) { return std::bernoulli_distribution(p)(rng); };
    auto channels = [&] {  // small and prime counts often, up to 80
        static const int primes[] = {1, 2, 3, 5, 7, 11, 13, 17, 23, 31, 37, 41, 53, 61, 67, 79};
        return chance(0.4) ? primes[uniform(0, 15)] : uniform(1, 80);
    };
    Problem p;
    p.op = op;
    p.n = chance(0.7) ? 1 : uniform(2, 4);
    p.h = uniform(1, 20), p.w = uniform(1, 20);
    p.ci = channels(), p.co = channels();
    p.multiplier = (op == OpKind::depthwise || op == OpKind::separable) && chance(0.4)
                       ? uniform(2, 4) : 1;
    if (op == OpKind::inverted_residual) {  // the other ops' draws stay as they were
        p.expansion = chance(0.2) ? 1 : uniform(2, 6);
        if (chance(0.4)) p.co = p.ci;  // a residual, often
        p.residual = chance(0.8);
    }
    Window &wd = p.window;
    wd.kernel_h = uniform(1, 7), wd.kernel_w = chance(0.6) ? wd.kernel_h : uniform(1, 7);
    wd.stride_h = uniform(1, 4), wd.stride_w = chance(0.6) ? wd.stride_h : uniform(1, 4);
    wd.dilation_h = chance(0.7) ? 1 : uniform(2, 3);
    wd.dilation_w = chance(0.7) ? wd.dilation_h : uniform(1, 3);
    switch (uniform(0, 3)) {
    case 0: wd.padding = Padding::same(); break;
    case 1: wd.padding = Padding::valid(); break;
    default:  // asymmetric, sometimes reaching past the dilated kernel
        wd.padding = Padding::explicit_pads(uniform(0, wd.kernel_h + 1), uniform(0, wd.kernel_w + 1),
                                            uniform(0, wd.kernel_h + 1), uniform(0, wd.kernel_w + 1));
    }
    static const Activation acts[] = {Activation::none(),          Activation::relu(),
                                      Activation::relu6(),         Activation::clamp(-0.5f, 0.75f),
                                      Activation::hard_swish(),    Activation::silu()};
    p.act = acts[uniform(0, 5)];
    p.dw_act = acts[uniform(0, 5)];
    p.bias = chance(0.7);
    p.strided = chance(0.3);
    p.rows_back_to_back = p.strided && chance(0.3);
    if (op == OpKind::pointwise) p.window = Window{1, 1, 1, 1, 1, 1, Padding::valid()};
    // Cap the naive reference's work (multiply-adds) so a campaign of thousands takes seconds.
    auto work = [&p] {
        const int64_t pixels = int64_t(p.n) * p.h * p.w;
        const int64_t taps = int64_t(p.window.kernel_h) * p.window.kernel_w;
        const int64_t mid = int64_t(p.ci) * p.multiplier;
        switch (p.op) {
        case OpKind::conv2d: return pixels * taps * p.ci * p.co;
        case OpKind::depthwise: return pixels * taps * mid;
        case OpKind::pointwise: return pixels * p.ci * p.co;
        case OpKind::separable: return pixels * (taps * mid + mid * p.co);
        case OpKind::inverted_residual: {
            const int64_t x = int64_t(p.ci) * p.expansion;
            return pixels * (p.ci * x + taps * x + x * p.co);
        }
        }
        return int64_t(0);
    };
    while (work() > 400000) {
        if (p.h > 4 && chance(0.5)) p.h = p.h * 3 / 4;
        else if (p.w > 4 && chance(0.5)) p.w = p.w * 3 / 4;
        else if (p.n > 1) p.n--;
        else if (p.co > 8 && chance(0.5)) p.co = p.co * 3 / 4;
        else if (p.ci > 8) p.ci = p.ci * 3 / 4;
        else if (p.h > 1) p.h--;
        else if (p.w > 1) p.w--;
        else break;
    }
    return p;
}

::testing::AssertionResult matches_reference(const Problem &p, const OperatorOptions &options,
                                             bool in_workspace) {
    return matches_reference(p, [&](const Problem &q, const ProblemWeights &w) {
        OperatorUnderTest t;
        auto wrap = [&t, in_workspace, guarded = q.guarded](auto op) {
            t.output_desc = [op](const TensorDesc &in) { return op->output_desc(in); };
            t.run = [op, in_workspace, guarded](const ConstTensor &i, const Tensor &o) {
                if (!in_workspace) return op->run(i, o);
                RunOptions r;
                r.workspace_bytes = op->workspace_size(i.desc);
                const size_t floats = (r.workspace_bytes + sizeof(float) - 1) / sizeof(float);
                std::vector<float> plain;
                std::unique_ptr<GuardedFloats> paged;
                if (guarded) {
                    paged = std::make_unique<GuardedFloats>(floats);
                    r.workspace = paged->data();
                } else {
                    plain.resize(floats);
                    r.workspace = plain.data();
                }
                op->run(i, o, r);
            };
        };
        switch (q.op) {
        case OpKind::conv2d: wrap(std::make_shared<Conv2d>(q.conv2d(), w.w1, w.b1, options)); break;
        case OpKind::depthwise:
            wrap(std::make_shared<Depthwise>(q.depthwise(), w.w1, w.b1, options));
            break;
        case OpKind::pointwise:
            wrap(std::make_shared<Pointwise>(q.pointwise(), w.w1, w.b1, options));
            break;
        case OpKind::separable:
            wrap(std::make_shared<Separable>(q.separable(), w.w1, w.b1, w.w2, w.b2, options));
            break;
        case OpKind::inverted_residual:
            wrap(std::make_shared<InvertedResidual>(q.inverted_residual(), w.w1, w.b1, w.w2,
                                                    w.b2, w.w3, w.b3, options));
            break;
        }
        return t;
    });
}

::testing::AssertionResult matches_reference(const Problem &p, const MakeOperator &make) {
    std::mt19937 rng(std::hash<std::string>{}(p.str()) & 0xffffffff);
    TensorDesc in_desc = TensorDesc::nhwc(p.n, p.h, p.w, p.ci);
    if (p.strided) in_desc = with_gaps(in_desc, p.rows_back_to_back);
    const std::vector<float> x = random_floats(span(in_desc), rng);
    const auto &wd = p.window;
    const int mid = p.ci * p.multiplier;

    ref::Out want;
    std::vector<float> w1, b1, w2, b2, w3, b3;
    int64_t taps = 0;  // length of each output's dot product, for the tolerance
    ProblemWeights weights{};
    switch (p.op) {
    case OpKind::conv2d: {
        w1 = random_floats(size_t(wd.kernel_h) * wd.kernel_w * p.ci * p.co, rng);
        b1 = random_floats(p.co, rng);
        const float *bias = p.bias ? b1.data() : nullptr;
        want = ref::conv2d(p.conv2d(), w1.data(), bias, in_desc, x.data());
        weights = {w1.data(), bias, nullptr, nullptr};
        taps = int64_t(wd.kernel_h) * wd.kernel_w * p.ci;
        break;
    }
    case OpKind::depthwise: {
        w1 = random_floats(size_t(wd.kernel_h) * wd.kernel_w * mid, rng);
        b1 = random_floats(mid, rng);
        const float *bias = p.bias ? b1.data() : nullptr;
        want = ref::depthwise(p.depthwise(), w1.data(), bias, in_desc, x.data());
        weights = {w1.data(), bias, nullptr, nullptr};
        taps = int64_t(wd.kernel_h) * wd.kernel_w;
        break;
    }
    case OpKind::pointwise: {
        w1 = random_floats(size_t(p.ci) * p.co, rng);
        b1 = random_floats(p.co, rng);
        const float *bias = p.bias ? b1.data() : nullptr;
        want = ref::pointwise(p.pointwise(), w1.data(), bias, in_desc, x.data());
        weights = {w1.data(), bias, nullptr, nullptr};
        taps = p.ci;
        break;
    }
    case OpKind::separable: {
        w1 = random_floats(size_t(wd.kernel_h) * wd.kernel_w * mid, rng);
        b1 = random_floats(mid, rng);
        w2 = random_floats(size_t(mid) * p.co, rng);
        b2 = random_floats(p.co, rng);
        const float *dw_bias = p.bias ? b1.data() : nullptr;
        const float *pw_bias = p.bias ? b2.data() : nullptr;
        want = ref::separable(p.separable(), w1.data(), dw_bias, w2.data(), pw_bias, in_desc,
                              x.data());
        weights = {w1.data(), dw_bias, w2.data(), pw_bias};
        taps = int64_t(wd.kernel_h) * wd.kernel_w * mid;
        break;
    }
    case OpKind::inverted_residual: {
        const InvertedResidualDesc d = p.inverted_residual();
        const int xc = d.expanded_channels;
        if (d.has_expansion()) {
            w1 = random_floats(size_t(p.ci) * xc, rng);
            b1 = random_floats(xc, rng);
        }
        w2 = random_floats(size_t(wd.kernel_h) * wd.kernel_w * xc, rng);
        b2 = random_floats(xc, rng);
        w3 = random_floats(size_t(xc) * p.co, rng);
        b3 = random_floats(p.co, rng);
        auto bias = [&p](const std::vector<float> &b) { return p.bias && !b.empty() ? b.data() : nullptr; };
        const float *expand_w = w1.empty() ? nullptr : w1.data();
        want = ref::inverted_residual(d, expand_w, bias(b1), w2.data(), bias(b2), w3.data(),
                                      bias(b3), in_desc, x.data());
        weights = {expand_w, bias(b1), w2.data(), bias(b2), w3.data(), bias(b3)};
        // The chain's rounding: each output sums xc projections of sums of taps x (ci + 1)
        // terms.
        taps = int64_t(xc) * (wd.kernel_h * wd.kernel_w * (p.ci + 1) + 1);
        break;
    }
    }
    // Guarded: the operator sees copies of the input and weights in GuardedFloats.
    std::vector<std::unique_ptr<GuardedFloats>> guards;
    auto guard = [&](const float *src, size_t n) -> const float * {
        if (!p.guarded || !src) return src;
        guards.push_back(std::make_unique<GuardedFloats>(n));
        std::memcpy(guards.back()->data(), src, n * sizeof(float));
        return guards.back()->data();
    };
    const float *xp = guard(x.data(), x.size());
    weights.w1 = guard(weights.w1, w1.size());
    weights.b1 = guard(weights.b1, b1.size());
    weights.w2 = guard(weights.w2, w2.size());
    weights.b2 = guard(weights.b2, b2.size());
    weights.w3 = guard(weights.w3, w3.size());
    weights.b3 = guard(weights.b3, b3.size());
    const OperatorUnderTest op = make(p, weights);
    TensorDesc out_desc = op.output_desc(in_desc);
    const auto &run = op.run;
    if (!want.desc.same_shape(out_desc)) {
        return ::testing::AssertionFailure() << p.describe() << ": output shape " << out_desc.to_string()
                                             << ", reference " << want.desc.to_string();
    }
    if (p.strided) out_desc = with_gaps(out_desc, p.rows_back_to_back);
    std::vector<float> y_heap;
    std::unique_ptr<GuardedFloats> y_guarded;
    float *yp;
    const size_t y_size = size_t(span(out_desc));
    if (p.guarded) {
        y_guarded = std::make_unique<GuardedFloats>(y_size, kSentinel);
        yp = y_guarded->data();
    } else {
        y_heap.assign(y_size, kSentinel);
        yp = y_heap.data();
    }
    run(ConstTensor{xp, in_desc}, Tensor{yp, out_desc});

    const auto s = out_desc.effective_strides();
    std::vector<bool> is_element(y_size, false);
    const double tol_abs = 1e-5 + 2e-6 * double(taps);
    for (int64_t n = 0; n < out_desc.n; n++)
        for (int64_t yy = 0; yy < out_desc.h; yy++)
            for (int64_t xx = 0; xx < out_desc.w; xx++)
                for (int64_t c = 0; c < out_desc.c; c++) {
                    const int64_t i = n * s[0] + yy * s[1] + xx * s[2] + c;
                    is_element[i] = true;
                    const float r = want.data[((n * out_desc.h + yy) * out_desc.w + xx) *
                                                  out_desc.c + c];
                    if (!(std::fabs(yp[i] - r) <= tol_abs + 1e-5 * std::fabs(r))) {
                        return ::testing::AssertionFailure()
                               << p.describe() << ": output[n=" << n << ",y=" << yy << ",x=" << xx
                               << ",c=" << c << "] = " << yp[i] << ", reference " << r;
                    }
                }
    for (size_t i = 0; i < y_size; i++) {
        if (!is_element[i] && yp[i] != kSentinel) {
            return ::testing::AssertionFailure()
                   << p.describe() << ": wrote a gap between output elements at offset " << i;
        }
    }
    return ::testing::AssertionSuccess();
}

bool autoscheduled(const VariantInfo &v) { return is_autoscheduled(v.schedule); }

namespace {

// `p` grown to at least `channels` input and 64 output channels at 28x28.
Problem grown(Problem p, int channels) {
    p.h = std::max(p.h, 28), p.w = std::max(p.w, 28);
    p.ci = std::max(p.ci, channels), p.co = std::max(p.co, 64);
    return p;
}

// Whether `p` was refused the way an autoscheduled variant must refuse a too small output.
bool refused_as_too_small(const Problem &p,
                          const std::function<::testing::AssertionResult(const Problem &)> &check) {
    try {
        EXPECT_TRUE(check(p));
        return false;
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ErrorCode::unsupported) << p.describe() << ": " << e.what();
        EXPECT_EQ(e.field(), "options.variant") << p.describe() << ": " << e.what();
        EXPECT_NE(std::string(e.what()).find("is accessed at"), std::string::npos)
            << p.describe() << ": " << e.what();
        return true;
    }
}

}  // namespace

int run_grid(const VariantInfo &v,
             const std::function<::testing::AssertionResult(const Problem &)> &check,
             int *refused) {
    std::set<std::string> seen;
    int run = 0, grown_count = 0;
    for (const Problem &original : grid(v.op)) {
        const Problem p = fit_to(original, v);
        if (!p.has_output() || !seen.insert(p.str()).second) continue;
        // fit_to and the runtime's dispatch rule agree.
        EXPECT_EQ(decline_reason(v, p.window, p.multiplier, p.ci), "") << p.describe();
        if (!autoscheduled(v)) {
            // An error names the problem and the grid goes on.
            try {
                EXPECT_TRUE(check(p));
            } catch (const Error &e) {
                ADD_FAILURE() << p.describe() << ": " << e.what();
            }
            run++;
            continue;
        }
        if (!refused_as_too_small(p, check)) {
            run++;
            continue;
        }
        grown_count++;
        // conv2d first with 16 input channels, as its reference costs c_in x c_out per pixel.
        for (int channels : {v.op == OpKind::conv2d ? 16 : 64, 64}) {
            const Problem big = fit_to(grown(original, channels), v);
            if (!seen.insert(big.str()).second) continue;
            if (!refused_as_too_small(big, check)) {
                run++;
                break;
            }
        }
    }
    if (refused) *refused = grown_count;
    return run;
}

}  // namespace testing_support
