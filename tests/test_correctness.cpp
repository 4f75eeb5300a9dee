// Every compiled variant, on every ISA this CPU supports, against the naive reference over the
// coverage grid of problem.cpp. Variants come from the dispatch table built from kernels.json,
// so a variant added there is tested here without further edits.
#include <gtest/gtest.h>

#include "problem.h"
#include "problem_string.h"

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

class VariantTest : public ::testing::TestWithParam<VariantIsa> {};

TEST_P(VariantTest, MatchesReferenceOnGrid) {
    const auto &[variant, isa] = GetParam();
    if (isa > detected_isa()) GTEST_SKIP() << "this CPU lacks " << to_string(isa);
    OperatorOptions options;
    options.variant = variant.name;
    options.max_isa = isa;
    int refused = 0;
    const int run = testing_support::run_grid(
        variant, [&](const Problem &p) { return testing_support::matches_reference(p, options); },
        &refused);
    RecordProperty("problems_run", run);
    RecordProperty("problems_refused_then_grown", refused);
    // Growing merges some small problems into one, hence the lower bar for autoscheduled ones.
    EXPECT_GE(run, testing_support::autoscheduled(variant) ? 12 : 20)
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

// A failing grid case names its shape as a problem string (Problem::describe): the string must
// parse and describe the same computation shape as the runtime sees it, and at least two thirds
// of the grid (all but per-axis strides/dilations and asymmetric pads) must have one.
TEST(ProblemStrings, GridCasesNameTheirShape) {
    for (OpKind op : {OpKind::conv2d, OpKind::depthwise, OpKind::pointwise, OpKind::separable}) {
        int named = 0, total = 0;
        for (const Problem &p : testing_support::grid(op)) {
            if (!p.has_output()) continue;
            total++;
            const std::string s = p.problem_string();
            if (s.empty()) continue;
            named++;
            SCOPED_TRACE(p.str() + " -> " + s);
            const convgen_problems::Problem q = convgen_problems::parse_problem(s);
            const TensorDesc in = TensorDesc::nhwc(p.n, p.h, p.w, p.ci);
            const int c_out = op == OpKind::depthwise ? p.ci * p.multiplier : p.co;
            const TensorDesc out =
                op == OpKind::pointwise ? TensorDesc::nhwc(p.n, p.h, p.w, c_out)
                                        : output_desc(p.window, c_out, in);
            EXPECT_EQ(q.n, p.n);
            EXPECT_EQ(q.c, p.ci);
            EXPECT_EQ(q.o, c_out);
            EXPECT_EQ(q.out_h(), out.h);
            EXPECT_EQ(q.out_w(), out.w);
            EXPECT_NE(p.describe().find("[" + s + "]"), std::string::npos);
        }
        EXPECT_GE(named * 3, total * 2) << named << " of " << total << " " << to_string(op)
                                        << " cases have a problem string";
    }
}

}  // namespace
