// What a peer library (oneDNN, XNNPACK) hands convgen_bench for one benchmark.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "problem_string.h"
#include "window_math.h"

namespace convgen_bench {

using convgen_problems::Problem;
using convgen_problems::ProblemOp;

// The op on a problem as convgen_bench defines it: depthwise is a grouped conv with c groups of
// m outputs; a sep problem's pointwise runs at the depthwise's output size, c*m -> o.
enum class PeerOp { conv, depthwise, pointwise };

struct PeerJob {
    std::function<void()> run;        // one inference, synchronous
    std::string label;                // "<peer>:<what it ran>"
    std::shared_ptr<void> resources;  // operators, buffers, thread pools run() uses
};

// The input and output geometry of op on p, shared by the peers.
struct PeerShape {
    int n, c_in, h, w, kh, kw, stride, dilation, c_out, oh, ow;
    int groups, group_in, group_out;
};
inline PeerShape peer_shape(PeerOp op, const Problem &p) {
    const bool pw = op == PeerOp::pointwise;
    const bool after_dw = pw && p.op != ProblemOp::pw;  // a sep problem's pointwise
    PeerShape s{};
    s.n = p.n;
    s.c_in = after_dw ? p.c * p.multiplier : p.c;
    s.h = after_dw ? p.out_h() : p.h;
    s.w = after_dw ? p.out_w() : p.w;
    s.kh = pw ? 1 : p.kh;
    s.kw = pw ? 1 : p.kw;
    s.stride = pw ? 1 : p.stride;
    s.dilation = pw ? 1 : p.dilation;
    s.oh = pw ? s.h : p.out_h();
    s.ow = pw ? s.w : p.out_w();
    s.c_out = op == PeerOp::depthwise ? p.c * p.multiplier : p.o;
    s.groups = op == PeerOp::depthwise ? p.c : 1;
    s.group_in = op == PeerOp::depthwise ? 1 : s.c_in;
    s.group_out = op == PeerOp::depthwise ? p.multiplier : s.c_out;
    return s;
}

// TensorFlow-style padding of one axis (SAME puts the odd pixel at the end), as convgen
// resolves it (problems/window_math.h).
inline void peer_pads(const Problem &p, int in, int k, int stride, int dilation, int &lo,
                      int &hi) {
    if (p.pad == Problem::Pad::valid) {
        lo = hi = 0;
    } else if (p.pad == Problem::Pad::explicit_pads) {
        lo = hi = p.pad_value;
    } else {
        lo = int(convgen::window_math::same_pad_before(in, k, stride, dilation));
        hi = int(convgen::window_math::same_pad_after(in, k, stride, dilation));
    }
}

}  // namespace convgen_bench
