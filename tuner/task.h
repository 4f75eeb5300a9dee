// What the tuner tunes: one op of one layer shape on one ISA. A layer given as a problem string
// (problems/problem_string.h) becomes one task per op it runs: a `sep` layer is tuned as the fused
// separable op and as its depthwise and pointwise halves, since the runtime can run either.
#pragma once

#include <string>
#include <vector>

#include "problem_string.h"

namespace convgen::tune {

struct Task {
    std::string op;       // generator suffix: "conv2d", "depthwise", "pointwise", "separable"
    convgen_problems::Problem problem;  // a single-op problem (conv, dw, pw or sep)
    std::string isa;      // "avx512_spr", "avx512", "avx2", "sse41", "neon"
    std::string halide_target;  // kernels.json's Halide target string for `isa`
    // The knobs of the hand variant the runtime would run this problem with (kernels.json,
    // e.g. ci_block:64 for a wide conv2d; "" = the schedule's defaults): hand's values.
    std::string hand_knobs;

    // Which fields the op carries (window, multiplier, own output channels).
    const convgen_problems::OpSpelling &spelling() const {
        return convgen_problems::spelling(problem.op);
    }
    // The problem string, e.g. "sep:n1c128h56w56k3s1o128": the database key.
    std::string key() const { return problem.to_string(); }
    // The variant name the build will use, e.g. "tuned_sep_c128h56w56k3s1o128_avx512".
    std::string variant_name() const;
    // The fixed generator parameters of the variant: the problem's square kernel, stride,
    // dilation and multiplier (0 = read at run time, e.g. for a non-square kernel).
    int kernel() const { return problem.kh == problem.kw ? problem.kh : 0; }
    int stride() const { return problem.stride; }
    int dilation() const { return problem.dilation; }
    int multiplier() const { return problem.multiplier; }
    // Padding in front of the first row / column, as convgen resolves it (TensorFlow SAME).
    int pad_top() const;
    int pad_left() const;
    // Channels the depthwise stage produces (dw, sep) or the pointwise reduces over (pw, conv).
    int mid_channels() const;
};

// The single-op problems of one layer: a sep layer gives itself (the fused op), its depthwise
// and its pointwise, in that order; an ir layer its expansion 1x1 (where it has one), its
// depthwise and its projection 1x1 (the fused block is not tuned yet); any other layer gives
// itself.
std::vector<convgen_problems::Problem> single_op_problems(const convgen_problems::Problem &layer);
// The generator an op-problem is tuned with: conv2d, depthwise, pointwise or separable.
std::string op_of(const convgen_problems::Problem &p);

}  // namespace convgen::tune
