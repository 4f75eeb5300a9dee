// The problem library: problem strings (problems/problem_string.h) and layer sets (problems/layer_sets.h).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "layer_sets.h"
#include "problem_string.h"

namespace {

using convgen_problems::parse_problem;
using convgen_problems::parse_problem_list;
using convgen_problems::Problem;
using convgen_problems::ProblemError;
using convgen_problems::ProblemOp;

TEST(ProblemString, Separable) {
    const Problem p = parse_problem("sep:n1c128h56w56k3s1o128");
    EXPECT_EQ(p.op, ProblemOp::sep);
    EXPECT_EQ(p.n, 1);
    EXPECT_EQ(p.c, 128);
    EXPECT_EQ(p.h, 56);
    EXPECT_EQ(p.w, 56);
    EXPECT_EQ(p.kh, 3);
    EXPECT_EQ(p.kw, 3);
    EXPECT_EQ(p.stride, 1);
    EXPECT_EQ(p.dilation, 1);
    EXPECT_EQ(p.pad, Problem::Pad::same);
    EXPECT_EQ(p.multiplier, 1);
    EXPECT_EQ(p.o, 128);
    EXPECT_EQ(p.out_h(), 56);
    EXPECT_EQ(p.to_string(), "sep:n1c128h56w56k3s1o128");
}

TEST(ProblemString, DepthwiseDefaults) {
    const Problem p = parse_problem("dw:n1c32h112w112k3s2");
    EXPECT_EQ(p.op, ProblemOp::dw);
    EXPECT_EQ(p.o, 32);  // c * m
    EXPECT_EQ(p.out_h(), 56);
    EXPECT_EQ(p.out_w(), 56);
    // w defaults to h, k to 3, n to 1; o may be given if it is c*m.
    EXPECT_EQ(parse_problem("dw:c32h112s2"), p);
    EXPECT_EQ(parse_problem("dw:c32h112s2o32"), p);
    const Problem m = parse_problem("dw:c8h10m4o32");
    EXPECT_EQ(m.multiplier, 4);
    EXPECT_EQ(m.o, 32);
}

TEST(ProblemString, Pointwise) {
    const Problem p = parse_problem("pw:n1c128h56w56o256");
    EXPECT_EQ(p.op, ProblemOp::pw);
    EXPECT_EQ(p.kh, 1);
    EXPECT_EQ(p.kw, 1);
    EXPECT_EQ(p.o, 256);
    EXPECT_EQ(p.out_h(), 56);
    EXPECT_EQ(p.to_string(), "pw:n1c128h56w56o256");
    EXPECT_EQ(parse_problem("pw:c128h56k1o256"), p);
}

TEST(ProblemString, Conv) {
    const Problem p = parse_problem("conv:n1c3h224w224k3s2o32");
    EXPECT_EQ(p.op, ProblemOp::conv);
    EXPECT_EQ(p.out_h(), 112);
    EXPECT_EQ(p.o, 32);
    // Rectangular input and kernel, dilation, explicit / VALID / SAME padding, any field order.
    const Problem q = parse_problem("conv:o8c4n2h20w30kh5kw3d2p1");
    EXPECT_EQ(q.n, 2);
    EXPECT_EQ(q.kh, 5);
    EXPECT_EQ(q.kw, 3);
    EXPECT_EQ(q.dilation, 2);
    EXPECT_EQ(q.pad, Problem::Pad::explicit_pads);
    EXPECT_EQ(q.pad_value, 1);
    EXPECT_EQ(q.out_h(), 20 + 2 - 2 * 4);  // (in + 2p - d(k-1) - 1) / s + 1
    EXPECT_EQ(q.out_w(), 30 + 2 - 2 * 2);
    const Problem v = parse_problem("conv:c4h10k3s2pvo8");
    EXPECT_EQ(v.pad, Problem::Pad::valid);
    EXPECT_EQ(v.out_h(), 4);
    EXPECT_EQ(parse_problem("conv:c4h10k3s2pso8").pad, Problem::Pad::same);
    EXPECT_EQ(parse_problem("conv:c4h10k3s2p0o8").out_h(), 4);
}

TEST(ProblemString, CanonicalRoundTrip) {
    for (const char *s : {"sep:n2c3h32w32k3s1p1o4", "dw:n1c64h56w56kh5kw3s1d2pv",
                          "dw:n1c8h9w9k3s2m3", "conv:n1c3h224w224k7s2p3o64",
                          "pw:n4c16h7w9o8"}) {
        const Problem p = parse_problem(s);
        EXPECT_EQ(p.to_string(), s);
        EXPECT_EQ(parse_problem(p.to_string()), p) << s;
    }
}

TEST(ProblemString, List) {
    const auto list = parse_problem_list("sep:c8h8o8,dw:c4h4,pw:c2h2o2");
    ASSERT_EQ(list.size(), 3u);
    EXPECT_EQ(list[1].op, ProblemOp::dw);
    EXPECT_THROW(parse_problem_list("sep:c8h8o8,,dw:c4h4"), ProblemError);
    EXPECT_THROW(parse_problem_list(""), ProblemError);
}

// The message must quote the string and name the offending part.
void expect_error(const std::string &text, const std::string &part) {
    try {
        parse_problem(text);
        ADD_FAILURE() << "no error for \"" << text << "\"";
    } catch (const ProblemError &e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("\"" + text + "\""), std::string::npos) << what;
        EXPECT_NE(what.find(part), std::string::npos) << "\"" << part << "\" not in: " << what;
    }
}

TEST(ProblemString, BadStrings) {
    expect_error("", "expected <op>:<fields>");
    expect_error("n1c3h8o4", "expected <op>:<fields>");
    expect_error("foo:c3h8o4", "unknown op 'foo'");
    expect_error("sep:", "no fields");
    expect_error("sep:c8h8y3o8", "unknown field 'y' at \"y3o8\"");
    expect_error("sep:c8h8x3o8", "'x' (expanded channels) applies to ir only, not sep");
    expect_error("ir:c8h8o8", "missing 'x' (expanded channels), required for ir");
    expect_error("sep:c8h8o", "field 'o' needs a number");
    expect_error("sep:c8hh8o8", "field 'h' needs a number");
    expect_error("sep:c8h8s0o8", "field 's' must be > 0");
    expect_error("sep:c8h8c4o8", "field 'c' given twice");
    expect_error("sep:c8h8pvp1o8", "field 'p' given twice");
    expect_error("sep:c8h99999999999o8", "too large");
    expect_error("sep:h8o8", "missing 'c'");
    expect_error("sep:c8o8", "missing 'h'");
    expect_error("sep:c8h8", "missing 'o'");
    expect_error("conv:c8h8", "missing 'o'");
    expect_error("pw:c8h8", "missing 'o'");
    expect_error("sep:c8h8k3kh3o8", "either 'k' or 'kh'/'kw'");
    expect_error("pw:c8h8k3o8", "kernel must be 1");
    expect_error("pw:c8h8s2o8", "'s' must be 1");
    expect_error("pw:c8h8d2o8", "'d' must be 1");
    expect_error("pw:c8h8p1o8", "no padding");
    expect_error("pw:c8h8m2o8", "'m' (multiplier)");
    expect_error("conv:c8h8m2o8", "'m' (multiplier)");
    expect_error("dw:c8h8m2o8", "c*m = 16");
    expect_error("dw:c8h4k5pv", "larger than the padded input");
    expect_error("dw:c8h4k7s2pv", "larger than the padded input");
    expect_error("sep:c8h8o8 ", "unknown field ' '");
}

TEST(LayerSets, Contents) {
    const auto tutorial = convgen_problems::layer_set("tutorial");
    ASSERT_EQ(tutorial.size(), 1u);
    EXPECT_EQ(tutorial[0].to_string(), "sep:n2c3h32w32k3s1p1o4");

    const auto v1 = convgen_problems::layer_set("mobilenet_v1");
    ASSERT_EQ(v1.size(), 9u);
    EXPECT_EQ(v1[2].tag(), "c128_128_56_s1");
    EXPECT_EQ(v1[2].to_string(), "sep:n1c128h56w56k3s1o128");
    EXPECT_EQ(v1[8].tag(), "c1024_1024_7_s1");

    const auto v2 = convgen_problems::layer_set("mobilenet_v2");
    std::set<std::string> strings;
    for (const Problem &p : v2) {
        EXPECT_TRUE(strings.insert(p.to_string()).second) << "twice: " << p.to_string();
    }
    EXPECT_EQ(v2.front().to_string(), "conv:n1c3h224w224k3s2o32");
    EXPECT_EQ(v2.back().to_string(), "pw:n1c320h7w7o1280");
    // t = 1 block: no expansion, depthwise on 32 channels at 112, projection to 16.
    EXPECT_TRUE(strings.count("dw:n1c32h112w112k3s1"));
    EXPECT_TRUE(strings.count("pw:n1c32h112w112o16"));
    // (6, 24, 2, 2): 16 -> 96 at 112, stride-2 depthwise to 56, project to 24.
    EXPECT_TRUE(strings.count("pw:n1c16h112w112o96"));
    EXPECT_TRUE(strings.count("dw:n1c96h112w112k3s2"));
    EXPECT_TRUE(strings.count("pw:n1c96h56w56o24"));
    // (6, 320, 1, 1): 160 -> 960 at 7, depthwise, project to 320.
    EXPECT_TRUE(strings.count("pw:n1c960h7w7o320"));
    EXPECT_EQ(v2.size(), 30u);

    const auto b0 = convgen_problems::layer_set("efficientnet_b0");
    strings.clear();
    for (const Problem &p : b0) strings.insert(p.to_string());
    EXPECT_EQ(strings.size(), b0.size()) << "each distinct shape once";
    EXPECT_EQ(b0.front().to_string(), "conv:n1c3h224w224k3s2o32");
    EXPECT_EQ(b0.back().to_string(), "pw:n1c320h7w7o1280");
    // Stage (6, 5x5, 40, 2, 2): 24 -> 144 at 56, 5x5 stride-2 depthwise to 28, project to 40.
    EXPECT_TRUE(strings.count("pw:n1c24h56w56o144"));
    EXPECT_TRUE(strings.count("dw:n1c144h56w56k5s2"));
    EXPECT_TRUE(strings.count("pw:n1c144h28w28o40"));
    // Stage (6, 5x5, 112, 3, 1) at 14: 480 -> 112, then 672 -> 112.
    EXPECT_TRUE(strings.count("dw:n1c672h14w14k5s1"));
    EXPECT_TRUE(strings.count("pw:n1c672h14w14o112"));

    const auto xception = convgen_problems::layer_set("xception");
    ASSERT_EQ(xception.size(), 12u);
    EXPECT_EQ(xception[0].to_string(), "conv:n1c3h299w299k3s2o32");
    EXPECT_EQ(xception[8].to_string(), "sep:n1c728h19w19k3s1o728");

    EXPECT_THROW(convgen_problems::layer_set("resnet50"), ProblemError);
}

TEST(ProblemString, InvertedResidual) {
    const Problem p = parse_problem("ir:c24h56k3s2x144o32");
    EXPECT_EQ(p.op, ProblemOp::ir);
    EXPECT_EQ(p.expanded, 144);
    EXPECT_EQ(p.o, 32);
    EXPECT_EQ(p.out_h(), 28);
    EXPECT_EQ(p.to_string(), "ir:n1c24h56w56k3s2x144o32");
    EXPECT_EQ(parse_problem(p.to_string()), p);
}

// The networks' bodies as whole blocks: MobileNetV2's 17 and EfficientNet-lite0's 16 between
// the stem and the head, each block's input the previous one's output.
TEST(LayerSets, InvertedResidualBodies) {
    const auto v2 = convgen_problems::mobilenet_v2_body();
    ASSERT_EQ(v2.size(), 19u);
    EXPECT_EQ(v2.front().to_string(), "conv:n1c3h224w224k3s2o32");
    EXPECT_EQ(v2[1].to_string(), "ir:n1c32h112w112k3s1x32o16");  // t = 1: no expansion
    EXPECT_EQ(v2[2].to_string(), "ir:n1c16h112w112k3s2x96o24");
    EXPECT_EQ(v2[3].to_string(), "ir:n1c24h56w56k3s1x144o24");  // the residual's shape
    EXPECT_EQ(v2.back().to_string(), "pw:n1c320h7w7o1280");
    for (size_t i = 1; i < v2.size(); i++) {
        EXPECT_EQ(v2[i].c, v2[i - 1].o) << i;
        EXPECT_EQ(v2[i].h, v2[i - 1].out_h()) << i;
    }
    EXPECT_EQ(convgen_problems::layer_set("mobilenet_v2_blocks").size(), 14u);
    const auto lite0 = convgen_problems::efficientnet_lite0_body();
    ASSERT_EQ(lite0.size(), 18u);
    EXPECT_EQ(lite0[4].to_string(), "ir:n1c24h56w56k5s2x144o40");
}

}  // namespace
