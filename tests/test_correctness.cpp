// Every compiled variant, on every ISA this CPU supports, against the naive reference over the
// coverage grid of problem.cpp. Variants come from the dispatch table built from kernels.json,
// so a variant added there is tested here without further edits.
#include <gtest/gtest.h>

#include "problem.h"

using namespace convgen;
using testing_support::Problem;

namespace {

struct VariantIsa {
    VariantInfo variant;
    Isa isa;
};

std::vector<VariantIsa> all_variant_isas() {
    std::vector<VariantIsa> v;
    for (const auto &info : variants())
        for (Isa isa : info.isas) v.push_back({info, isa});
    return v;
}

// Lets GoogleTest print a parameter readably when a test fails.
void PrintTo(const VariantIsa &v, std::ostream *os) { *os << v.variant.name << " on " << to_string(v.isa); }

bool autoscheduled(const VariantInfo &v) {
    return v.schedule == "Mullapudi2016" || v.schedule == "Adams2019" || v.schedule == "Li2018";
}

// The coverage grid; for an autoscheduled variant, also each grid problem grown to at least
// 64 channels (32 for conv2d) at 28x28, which the autoschedulers' tiles fit (their estimate is
// 128 channels at 56x56), so that every parameter of the grid is still exercised where they run.
std::vector<Problem> grid_for(const VariantInfo &v) {
    std::vector<Problem> problems = testing_support::grid(v.op);
    if (!autoscheduled(v)) return problems;
    const size_t n = problems.size();
    for (size_t i = 0; i < n; i++) {
        Problem p = problems[i];
        p.h = std::max(p.h, 28), p.w = std::max(p.w, 28);
        const int channels = v.op == OpKind::conv2d ? 32 : 64;  // conv's reference is costly
        p.ci = std::max(p.ci, channels), p.co = std::max(p.co, channels);
        problems.push_back(p);
    }
    return problems;
}

class VariantTest : public ::testing::TestWithParam<VariantIsa> {};

TEST_P(VariantTest, MatchesReferenceOnGrid) {
    const auto &[variant, isa] = GetParam();
    if (isa > detected_isa()) GTEST_SKIP() << "this CPU lacks " << to_string(isa);
    OperatorOptions options;
    options.variant = variant.name;
    options.max_isa = isa;
    std::set<std::string> seen;
    int run = 0, refused = 0;
    for (const Problem &original : grid_for(variant)) {
        const Problem p = testing_support::fit_to(original, variant);
        if (!p.has_output() || !seen.insert(p.str()).second) continue;
        if (!autoscheduled(variant)) {
            EXPECT_TRUE(testing_support::matches_reference(p, options));
            run++;
            continue;
        }
        // Halide's autoschedulers tile the output with shift-inwards tails, so an output
        // smaller than one tile fails Halide's bounds check before anything is computed: a
        // clean kernel_failed error naming the buffer, never a wrong or out-of-bounds write.
        try {
            EXPECT_TRUE(testing_support::matches_reference(p, options));
            run++;
        } catch (const Error &e) {
            EXPECT_EQ(e.code(), ErrorCode::kernel_failed) << p.str() << ": " << e.what();
            EXPECT_NE(std::string(e.what()).find("is accessed at"), std::string::npos)
                << p.str() << ": " << e.what();
            refused++;
        }
    }
    RecordProperty("problems_run", run);
    RecordProperty("problems_refused", refused);
    EXPECT_GE(run, autoscheduled(variant) ? 15 : 20)
        << "the grid should give every variant enough distinct problems (" << refused
        << " refused as smaller than the autoscheduler's tiles)";
}

INSTANTIATE_TEST_SUITE_P(AllVariants, VariantTest, ::testing::ValuesIn(all_variant_isas()),
                         [](const auto &info) {
                             return info.param.variant.name + "_" + to_string(info.param.isa);
                         });

TEST(Dispatch, ForcedIsaIsTheOneReported) {
    for (Isa isa : native_isas()) {
        if (isa > detected_isa()) continue;
        OperatorOptions o;
        o.max_isa = isa;
        Problem p;
        p.op = OpKind::separable;
        const std::vector<float> dw(9 * 16, 0.5f), pw(16 * 17, 0.25f);
        Separable op(p.separable(), dw.data(), nullptr, pw.data(), nullptr, o);
        EXPECT_EQ(op.implementation().isa, isa);
    }
}

}  // namespace
