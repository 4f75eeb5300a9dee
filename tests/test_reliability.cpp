// The runtime's reliability campaigns, in the default run with bounded counts:
//   RandomCampaign   random valid problems (problem.h random_problem) of every op, at every
//                    ISA this CPU runs and at 1 and 2 threads, against the naive reference,
//                    every buffer guarded by PROT_NONE pages (one case in four also runs in
//                    a guarded workspace of exactly workspace_size() bytes); a problem that
//                    leaves no output must be refused with an Error.
//   BadInputFuzz     random valid calls, each mutated to be invalid (sizes zero, negative or
//                    overflowing; strides that overlap; null pointers; mismatched shapes;
//                    aliasing; bad RunOptions: thread counts, workspaces null, short or over
//                    the output): each must throw convgen::Error naming a field, write
//                    nothing, and never throw anything else, abort or hang.
//   Concurrency      threads running shared and fresh operators while another changes the
//                    thread count and the ISA cap: every result bit-identical to a
//                    single-threaded run on the same ISA.
// CONVGEN_RANDOM_CASES (cases per op, ISA and thread count) and CONVGEN_RANDOM_SEED run a longer
// or another campaign; a failure prints the problem (and its problem string).
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "problem.h"

using namespace convgen;
using testing_support::GuardedFloats;
using testing_support::Problem;

namespace {

#ifndef CONVGEN_RANDOM_DEFAULT_CASES
#define CONVGEN_RANDOM_DEFAULT_CASES 1000
#endif

int env_int(const char *name, int fallback) {
    const char *v = std::getenv(name);
    return v && *v ? std::atoi(v) : fallback;
}
int campaign_cases() { return env_int("CONVGEN_RANDOM_CASES", CONVGEN_RANDOM_DEFAULT_CASES); }
unsigned campaign_seed() { return unsigned(env_int("CONVGEN_RANDOM_SEED", 2026)); }

const OpKind kOps[] = {OpKind::conv2d, OpKind::depthwise, OpKind::pointwise, OpKind::separable,
                       OpKind::inverted_residual};

// Restores the process-wide settings a test changes.
struct RestoreSettings {
    int threads = num_threads();
    Isa isa = max_isa();
    ~RestoreSettings() {
        set_num_threads(threads);
        set_max_isa(isa);
    }
};

// ---- guard pages ---------------------------------------------------------------------------------

#if !CONVGEN_UNDER_EMULATION
// The campaign's buffers fault one float past either end (a death test: forks).
TEST(GuardedFloatsDeathTest, TouchingPastEitherEndFaults) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    GuardedFloats g(37, 1.0f);
    EXPECT_EQ(g[0] + g[36], 2.0f);
    EXPECT_DEATH({ g.data()[g.size()] = 0.0f; }, "");
    EXPECT_DEATH({ std::printf("%f\n", double(*(g.data() - 1024))); }, "");
}
#endif

// ---- random differential campaign --------------------------------------------------------------

struct CampaignParam {
    OpKind op;
    Isa isa;
    int threads;
};
void PrintTo(const CampaignParam &c, std::ostream *os) {
    *os << to_string(c.op) << " on " << to_string(c.isa) << " at " << c.threads << " threads";
}

std::vector<CampaignParam> campaign_params() {
    std::vector<CampaignParam> out;
    for (OpKind op : kOps)
        for (Isa isa : native_isas())
            for (int threads : {1, 2}) out.push_back({op, isa, threads});
    return out;
}

class RandomCampaign : public ::testing::TestWithParam<CampaignParam> {};

TEST_P(RandomCampaign, MatchesReferenceWithGuardPages) {
    const CampaignParam c = GetParam();
    if (c.isa > detected_isa()) GTEST_SKIP() << "this CPU lacks " << to_string(c.isa);
    RestoreSettings restore;
    set_num_threads(c.threads);
    OperatorOptions options;
    options.max_isa = c.isa;
    std::mt19937 rng(campaign_seed() * 131 + static_cast<unsigned>(c.op) * 7 + unsigned(c.isa));
    int run = 0, refused = 0, failures = 0;
    for (int i = 0; i < campaign_cases() && failures < 5; i++) {
        Problem p = testing_support::random_problem(c.op, rng);
        p.guarded = true;
        if (!p.has_output()) {
            // No output pixel: creating the operator or asking its output shape is an Error.
            try {
                const std::vector<float> w(size_t(p.window.kernel_h) * p.window.kernel_w *
                                               p.ci * p.multiplier * std::max(p.co, 1),
                                           0.1f);
                const TensorDesc in = TensorDesc::nhwc(p.n, p.h, p.w, p.ci);
                TensorDesc out;
                switch (p.op) {
                case OpKind::conv2d: out = Conv2d(p.conv2d(), w.data(), nullptr).output_desc(in); break;
                case OpKind::depthwise: out = Depthwise(p.depthwise(), w.data(), nullptr).output_desc(in); break;
                case OpKind::pointwise: out = Pointwise(p.pointwise(), w.data(), nullptr).output_desc(in); break;
                case OpKind::separable:
                    out = Separable(p.separable(), w.data(), nullptr, w.data(), nullptr).output_desc(in);
                    break;
                case OpKind::inverted_residual: {
                    const InvertedResidualDesc d = p.inverted_residual();
                    const std::vector<float> big(
                        size_t(d.expanded_channels) *
                            (p.ci + p.window.kernel_h * p.window.kernel_w + std::max(p.co, 1)),
                        0.1f);
                    const float *ew = d.has_expansion() ? big.data() : nullptr;
                    out = InvertedResidual(d, ew, nullptr, big.data(), nullptr, big.data(), nullptr)
                              .output_desc(in);
                    break;
                }
                }
                ADD_FAILURE() << p.describe() << ": leaves no output, yet output_desc gave "
                              << out.to_string();
                failures++;
            } catch (const Error &e) {
                EXPECT_EQ(e.code(), ErrorCode::invalid_argument) << p.describe() << ": " << e.what();
                EXPECT_FALSE(e.field().empty()) << p.describe();
                refused++;
            }
            continue;
        }
        ::testing::AssertionResult r = ::testing::AssertionSuccess();
        try {
            // One case in four takes its scratch from a guard-paged workspace (RunOptions).
            r = testing_support::matches_reference(p, options, i % 4 == 3);
        } catch (const std::exception &e) {
            r = ::testing::AssertionFailure() << p.describe() << ": threw " << e.what();
        }
        EXPECT_TRUE(r) << "case " << i << " (seed " << campaign_seed() << ")";
        failures += r ? 0 : 1;
        run++;
    }
    RecordProperty("cases_run", run);
    RecordProperty("cases_refused", refused);
    EXPECT_GT(run, campaign_cases() / 2) << "too few problems with an output";
}

INSTANTIATE_TEST_SUITE_P(AllOps, RandomCampaign, ::testing::ValuesIn(campaign_params()),
                         [](const ::testing::TestParamInfo<CampaignParam> &info) {
                             return std::string(to_string(info.param.op)) + "_" +
                                    to_string(info.param.isa) + "_t" +
                                    std::to_string(info.param.threads);
                         });

// ---- bad-input fuzzing --------------------------------------------------------------------------

constexpr float kSentinel = 12345.0f;

// One valid call of an op: its descriptors, weights and tensors, which a mutation then breaks.
struct Call {
    Problem p;
    TensorDesc in, out;
    std::vector<float> w1, b1, w2, b2, w3, b3;  // the inverted residual: all three pairs
    const float *w1p = nullptr, *b1p = nullptr, *w2p = nullptr, *b2p = nullptr;
    const float *w3p = nullptr, *b3p = nullptr;
    const float *x = nullptr;
    float *y = nullptr;
    RunOptions run;
    // A workspace for the run, of workspace_size() bytes less `short_by`, at `workspace` (or a
    // buffer of its own where null).
    bool in_workspace = false;
    size_t short_by = 0;
    void *workspace = nullptr;
};

// Creates the operator and runs it once.
void invoke(const Call &c) {
    const ConstTensor in{c.x, c.in};
    const Tensor out{c.y, c.out};
    auto run = [&](const auto &op) {
        RunOptions r = c.run;
        std::vector<unsigned char> own;
        if (c.in_workspace) {
            const size_t bytes = op.workspace_size(c.in, r);
            own.resize(c.workspace ? 0 : bytes);
            r.workspace = c.workspace ? c.workspace : own.data();
            r.workspace_bytes = bytes - c.short_by;
        }
        op.run(in, out, r);
    };
    switch (c.p.op) {
    case OpKind::conv2d: run(Conv2d(c.p.conv2d(), c.w1p, c.b1p)); break;
    case OpKind::depthwise: run(Depthwise(c.p.depthwise(), c.w1p, c.b1p)); break;
    case OpKind::pointwise: run(Pointwise(c.p.pointwise(), c.w1p, c.b1p)); break;
    case OpKind::separable: run(Separable(c.p.separable(), c.w1p, c.b1p, c.w2p, c.b2p)); break;
    case OpKind::inverted_residual:
        run(InvertedResidual(c.p.inverted_residual(), c.w1p, c.b1p, c.w2p, c.b2p, c.w3p, c.b3p));
        break;
    }
}

// The mutations: each leaves the call invalid, whatever the valid call was.
using Mutation = std::function<void(Call &, std::mt19937 &)>;
std::vector<std::pair<const char *, Mutation>> mutations() {
    auto big = [](std::mt19937 &rng) {
        const int values[] = {0, -1, -7, std::numeric_limits<int>::min(), 1 << 30,
                              std::numeric_limits<int>::max()};
        return values[std::uniform_int_distribution<int>(0, 5)(rng)];
    };
    auto not_positive = [](std::mt19937 &rng) {
        const int values[] = {0, -1, -3, std::numeric_limits<int>::min()};
        return values[std::uniform_int_distribution<int>(0, 3)(rng)];
    };
    return {
        {"in_channels", [=](Call &c, std::mt19937 &r) { c.p.ci = not_positive(r); }},
        {"out_channels",
         [=](Call &c, std::mt19937 &r) {
             if (c.p.op == OpKind::depthwise) c.p.multiplier = not_positive(r);
             else c.p.co = not_positive(r);
         }},
        {"kernel",
         [=](Call &c, std::mt19937 &r) {
             if (c.p.op == OpKind::pointwise) c.p.ci = not_positive(r);
             else c.p.window.kernel_w = not_positive(r);
         }},
        {"stride",
         [=](Call &c, std::mt19937 &r) {
             if (c.p.op == OpKind::pointwise) c.p.co = not_positive(r);
             else c.p.window.stride_h = not_positive(r);
         }},
        {"dilation",
         [=](Call &c, std::mt19937 &r) {
             if (c.p.op == OpKind::pointwise) c.p.ci = not_positive(r);
             else c.p.window.dilation_w = not_positive(r);
         }},
        {"padding",
         [=](Call &c, std::mt19937 &r) {
             if (c.p.op == OpKind::pointwise) {
                 c.p.co = not_positive(r);
             } else {
                 const int v = not_positive(r);  // negative: 0 is a valid pad
                 c.p.window.padding = Padding::explicit_pads(0, v == 0 ? -1 : v, 0, 0);
             }
         }},
        {"input size", [=](Call &c, std::mt19937 &r) { c.in.h = big(r) <= 0 ? 0 : -c.in.h; }},
        {"input batch", [=](Call &c, std::mt19937 &r) { c.in.n = not_positive(r); }},
        {"input overflow",
         [=](Call &c, std::mt19937 &) { c.in.n = 1 << 20, c.in.h = 1 << 12, c.in.w = 1 << 12; }},
        {"input channels", [=](Call &c, std::mt19937 &) { c.in.c += 1; }},
        {"input strides overlap",
         [=](Call &c, std::mt19937 &) {
             // The outermost-but-one axis with more than one element steps back into the
             // previous one (one element short, or not at all); a single pixel has no axis to
             // overlap, so its channel count goes instead.
             auto s = c.in.effective_strides();
             if (c.in.w > 1) {
                 s[2] = c.in.c - 1;
             } else if (c.in.h > 1) {
                 s[1] = int64_t(c.in.w) * c.in.c - 1;
             } else if (c.in.n > 1) {
                 s[0] = int64_t(c.in.h) * c.in.w * c.in.c - 1;
             } else {
                 c.in.c = 0;
             }
             c.in.strides = s;
         }},
        {"input null", [=](Call &c, std::mt19937 &) { c.x = nullptr; }},
        {"output null", [=](Call &c, std::mt19937 &) { c.y = nullptr; }},
        {"output shape", [=](Call &c, std::mt19937 &) { c.out.w += 1; }},
        {"output channels", [=](Call &c, std::mt19937 &) { c.out.c += 1; }},
        {"output aliases input",
         [=](Call &c, std::mt19937 &) { c.y = const_cast<float *>(c.x); }},
        {"run threads",
         [=](Call &c, std::mt19937 &r) {
             const int values[] = {-1, -3, std::numeric_limits<int>::min(), kMaxThreads + 1,
                                   std::numeric_limits<int>::max()};
             c.run.threads = values[std::uniform_int_distribution<int>(0, 4)(r)];
         }},
        {"workspace null",
         [=](Call &c, std::mt19937 &r) { c.run.workspace_bytes = size_t(1) << (r() % 40); }},
        {"workspace short",
         [=](Call &c, std::mt19937 &r) { c.in_workspace = true, c.short_by = 1 + r() % 64; }},
        {"workspace aliases output",
         [=](Call &c, std::mt19937 &) { c.in_workspace = true, c.workspace = c.y; }},
        {"weights null",
         [=](Call &c, std::mt19937 &) {
             // An inverted residual without expansion has no expansion weights: its depthwise's.
             if (c.p.op == OpKind::inverted_residual && !c.w1p) c.w2p = nullptr;
             else c.w1p = nullptr;
         }},
        {"pointwise weights null",
         [=](Call &c, std::mt19937 &) {
             if (c.p.op == OpKind::separable) c.w2p = nullptr;
             else if (c.p.op == OpKind::inverted_residual) c.w3p = nullptr;
             else c.w1p = nullptr;
         }},
    };
}

TEST(BadInputFuzz, EveryMutatedCallIsAnErrorNamingAField) {
    const auto muts = mutations();
    std::mt19937 rng(campaign_seed());
    const int cases = campaign_cases() * 2;
    std::map<std::string, int> per_mutation;
    size_t applied = 0;
    for (int i = 0; i < cases; i++) {
        const OpKind op = kOps[i % std::size(kOps)];
        Problem p = testing_support::random_problem(op, rng);
        if (!p.has_output()) continue;
        p.strided = false;
        Call c;
        c.p = p;
        c.in = TensorDesc::nhwc(p.n, p.h, p.w, p.ci);
        std::vector<float> x(size_t(c.in.elements()), 0.5f);
        const int mid = p.ci * p.multiplier;
        const int taps = p.window.kernel_h * p.window.kernel_w;
        switch (op) {
        case OpKind::conv2d: c.w1.assign(size_t(taps) * p.ci * p.co, 0.1f); c.b1.assign(p.co, 0.f); break;
        case OpKind::depthwise: c.w1.assign(size_t(taps) * mid, 0.1f); c.b1.assign(mid, 0.f); break;
        case OpKind::pointwise: c.w1.assign(size_t(p.ci) * p.co, 0.1f); c.b1.assign(p.co, 0.f); break;
        case OpKind::separable:
            c.w1.assign(size_t(taps) * mid, 0.1f), c.b1.assign(mid, 0.f);
            c.w2.assign(size_t(mid) * p.co, 0.1f), c.b2.assign(p.co, 0.f);
            break;
        case OpKind::inverted_residual: {
            const InvertedResidualDesc d = p.inverted_residual();
            const int xc = d.expanded_channels;
            if (d.has_expansion()) c.w1.assign(size_t(p.ci) * xc, 0.1f), c.b1.assign(xc, 0.f);
            c.w2.assign(size_t(taps) * xc, 0.1f), c.b2.assign(xc, 0.f);
            c.w3.assign(size_t(xc) * p.co, 0.1f), c.b3.assign(p.co, 0.f);
            break;
        }
        }
        auto data_or_null = [](const std::vector<float> &v) { return v.empty() ? nullptr : v.data(); };
        c.w1p = data_or_null(c.w1), c.b1p = data_or_null(c.b1);
        c.w2p = data_or_null(c.w2), c.b2p = data_or_null(c.b2);
        c.w3p = data_or_null(c.w3), c.b3p = data_or_null(c.b3);
        c.x = x.data();
        const int c_out = op == OpKind::depthwise ? mid : p.co;
        c.out = op == OpKind::pointwise ? TensorDesc::nhwc(p.n, p.h, p.w, c_out)
                                        : output_desc(p.window, c_out, c.in);
        // Room for a one-larger output, so a mutated shape cannot make the test itself overrun.
        GuardedFloats y(size_t(c.out.n) * (c.out.h + 1) * (c.out.w + 1) * (c.out.c + 1),
                        kSentinel);
        c.y = y.data();
        // Each mutation in turn (random ones left some untried in the emulated run's 80 cases).
        const auto &[name, mutate] = muts[applied++ % muts.size()];
        mutate(c, rng);
        per_mutation[name]++;
        const std::string what = std::string(to_string(op)) + " " + p.describe() + ", mutation '" +
                                 name + "'";
        try {
            invoke(c);
            ADD_FAILURE() << what << ": accepted";
        } catch (const Error &e) {
            EXPECT_FALSE(e.field().empty()) << what << ": " << e.what();
        } catch (const std::exception &e) {
            ADD_FAILURE() << what << ": threw " << typeid(e).name() << ", not convgen::Error: "
                          << e.what();
        }
        if (c.y == y.data()) {
            for (size_t k = 0; k < y.size(); k++) {
                if (y[k] != kSentinel) {
                    ADD_FAILURE() << what << ": wrote output element " << k;
                    break;
                }
            }
        }
        if (::testing::Test::HasFailure()) break;
    }
    for (const auto &[name, n] : per_mutation) RecordProperty(name, n);
    EXPECT_EQ(per_mutation.size(), muts.size()) << "every mutation tried at least once";
}

// ---- concurrency --------------------------------------------------------------------------------

// Several threads run one shared operator (every other run in a workspace of their own) and
// operators they create, while another thread changes the thread count and the ISA cap; each
// result must be bit-identical to the single-threaded run on the ISA that operator chose (the
// kernels' parallel loops split rows, never a reduction, so the thread count cannot change a
// bit).
TEST(Concurrency, SettingsChangeWhileOperatorsRun) {
    RestoreSettings restore;
    const SeparableDesc desc{24, 1, 40, Window{3, 3, 1, 1, 1, 1, Padding::same()},
                             Activation::relu6(), Activation::relu()};
    std::mt19937 rng(campaign_seed());
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    auto floats = [&](size_t n) {
        std::vector<float> v(n);
        for (float &f : v) f = u(rng);
        return v;
    };
    const auto dw = floats(9 * 24), db = floats(24), pw = floats(24 * 40), pb = floats(40);
    const TensorDesc in = TensorDesc::nhwc(2, 19, 23, 24);
    const auto x = floats(size_t(in.elements()));
    // The expected output per ISA: one thread, that ISA.
    std::map<Isa, std::vector<float>> expected;
    set_num_threads(1);
    for (Isa isa : native_isas()) {
        if (isa > detected_isa()) continue;
        OperatorOptions o;
        o.max_isa = isa;
        const Separable op(desc, dw.data(), db.data(), pw.data(), pb.data(), o);
        std::vector<float> y(size_t(op.output_desc(in).elements()));
        op.run({x.data(), in}, {y.data(), op.output_desc(in)});
        expected[op.implementation().isa] = y;
    }
    const Separable shared(desc, dw.data(), db.data(), pw.data(), pb.data());
    const TensorDesc out = shared.output_desc(in);

    std::atomic<bool> stop{false};
    std::atomic<int> runs{0}, mismatches{0}, errors{0};
    std::thread mutator([&] {
        std::mt19937 r(7);
        std::vector<Isa> isas;
        for (Isa isa : native_isas())
            if (isa <= detected_isa()) isas.push_back(isa);
        while (!stop) {
            set_num_threads(std::uniform_int_distribution<int>(1, 3)(r));
            set_max_isa(isas[std::uniform_int_distribution<size_t>(0, isas.size() - 1)(r)]);
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    });
    std::vector<std::thread> workers;
    for (int t = 0; t < 3; t++) {
        workers.emplace_back([&, t] {
            std::vector<float> y(size_t(out.elements()));
            // The shared operator's every other run in a workspace of this thread's, sized for
            // the mutator's most threads (the pool's size changes under it).
            RunOptions in_workspace;
            in_workspace.threads = 3;
            std::vector<unsigned char> workspace(shared.workspace_size(in, in_workspace));
            in_workspace.workspace = workspace.data();
            in_workspace.workspace_bytes = workspace.size();
            for (int i = 0; i < 60; i++) {
                try {
                    const bool fresh = (i + t) % 3 == 0;
                    std::unique_ptr<Separable> own;
                    if (fresh) own = std::make_unique<Separable>(desc, dw.data(), db.data(), pw.data(), pb.data());
                    const Separable &op = fresh ? *own : shared;
                    op.run({x.data(), in}, {y.data(), out},
                           !fresh && i % 2 ? in_workspace : RunOptions{});
                    const auto &want = expected.at(op.implementation().isa);
                    if (std::memcmp(want.data(), y.data(), y.size() * sizeof(float)) != 0) mismatches++;
                    runs++;
                } catch (const std::exception &) {
                    errors++;
                }
            }
        });
    }
    for (auto &w : workers) w.join();
    stop = true;
    mutator.join();
    RecordProperty("runs", runs.load());
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(mismatches.load(), 0) << "of " << runs.load() << " runs";
    EXPECT_EQ(runs.load(), 180);
}

}  // namespace
