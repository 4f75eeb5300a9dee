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

// A grid problem grown to at least 64 output channels at 28x28, which the autoschedulers' tiles
// fit (their estimate is 128 channels at 56x56); conv2d keeps 16 input channels, as its
// reference costs c_in x c_out per pixel.
Problem grown(Problem p, OpKind op) {
    p.h = std::max(p.h, 28), p.w = std::max(p.w, 28);
    p.ci = std::max(p.ci, op == OpKind::conv2d ? 16 : 64), p.co = std::max(p.co, 64);
    return p;
}

// Whether an autoscheduled variant refused `p` the way it must: Halide's autoschedulers tile the
// output with shift-inwards tails, so an output smaller than one tile fails Halide's bounds
// check before anything is computed (a clean kernel_failed error naming the buffer), never a
// wrong or out-of-bounds write.
bool refused_as_too_small(const Problem &p, const OperatorOptions &options) {
    try {
        EXPECT_TRUE(testing_support::matches_reference(p, options));
        return false;
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ErrorCode::kernel_failed) << p.str() << ": " << e.what();
        EXPECT_NE(std::string(e.what()).find("is accessed at"), std::string::npos)
            << p.str() << ": " << e.what();
        return true;
    }
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
    for (const Problem &original : testing_support::grid(variant.op)) {
        const Problem p = testing_support::fit_to(original, variant);
        if (!p.has_output() || !seen.insert(p.str()).second) continue;
        if (!autoscheduled(variant)) {
            EXPECT_TRUE(testing_support::matches_reference(p, options));
            run++;
            continue;
        }
        // An autoscheduled variant runs each grid problem, grown when its output is smaller
        // than one tile, so every parameter of the grid is still exercised.
        if (!refused_as_too_small(p, options)) {
            run++;
            continue;
        }
        refused++;
        const Problem big = testing_support::fit_to(grown(original, variant.op), variant);
        if (seen.insert(big.str()).second && !refused_as_too_small(big, options)) run++;
    }
    RecordProperty("problems_run", run);
    RecordProperty("problems_refused_then_grown", refused);
    // Growing merges some small problems into one, hence the lower bar for autoscheduled ones.
    EXPECT_GE(run, autoscheduled(variant) ? 12 : 20)
        << "too few distinct grid problems ran (" << refused
        << " were grown past an autoscheduler's tiles)";
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
