// One-line problem strings, in the spirit of oneDNN's benchdnn: how convgen_bench
// (--convgen_problem), convgen-tune (--problem) and the tests' failure messages name a layer.
// Part of the problems/ library (no Halide, no convgen runtime).
//
//   <op>:<field><value><field><value>...        e.g.  sep:n1c128h56w56k3s1o128
//
// <op>   conv  standard convolution              c -> o
//        dw    depthwise convolution             c -> c*m
//        pw    pointwise (1x1, stride 1)         c -> o
//        sep   depthwise then pointwise          c -> c*m -> o (fused and unfused; the bench
//              also times its two halves and the standard conv the block replaces)
//        ir    inverted-residual block           c -> x -> x -> o: pointwise expansion (none
//              where x = c), depthwise, pointwise projection, and the input added where
//              o = c and s = 1 (fused and unfused)
// fields (any order, each at most once; a field name is its letters, its value the digits after):
//        n   batch                          default 1
//        c   input channels                 required
//        h   input height                   required
//        w   input width                    default h
//        k   square kernel (kh = kw = k)    default 3 (pw: 1, the only value it accepts)
//        kh, kw  kernel height / width      default k
//        s   stride (both axes)             default 1 (pw: 1 only)
//        d   dilation (both axes)           default 1 (pw: 1 only)
//        p   padding: p<N> explicit N on every side; pv VALID; ps SAME   default SAME
//        m   depthwise multiplier           default 1 (dw and sep only)
//        x   expanded channels              required for ir (ir only)
//        o   output channels                required for conv, pw, sep; for dw, if given,
//                                           it must equal c*m
// Every value is a positive integer (p may be 0). Bias and ReLU6 are always fused.
// Examples:
//   conv:n1c3h224w224k3s2o32   dw:n1c32h112w112k3s2   pw:n1c128h56w56o256
//   sep:n2c3h32w32k3p1o4       dw:n1c64h56kh5kw5d2pv     ir:n1c24h56k3s1x144o24
// A bad string throws ProblemError, whose message quotes the string and names the bad part.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace convgen_problems {

enum class ProblemOp { conv, dw, pw, sep, ir };

// The grammar's ops, one row each (problem_string.cpp's table): how a string spells it, the
// convgen op it names, and which fields it carries. The benchmark, the tuner and the tests map
// between problems and convgen ops through this table.
struct OpSpelling {
    ProblemOp op;
    const char *letters;     // "dw"
    const char *convgen_op;  // convgen::to_string(OpKind) and the generator's suffix: "depthwise"
    bool windowed;           // has k, s, d, p (else 1x1, stride 1, unpadded: pw)
    bool multiplier;         // has m
    bool own_outputs;        // has its own o (else o = c * m: dw)
    bool expanded = false;   // has x, required (ir)
};
const std::vector<OpSpelling> &op_spellings();
const OpSpelling &spelling(ProblemOp op);
// The row that names this convgen op ("depthwise"), or nullptr where the grammar has none.
const OpSpelling *spelling_of_convgen_op(const std::string &convgen_op);

struct Problem {
    enum class Pad { same, valid, explicit_pads };

    ProblemOp op = ProblemOp::conv;
    int n = 1, c = 0, h = 0, w = 0;
    int kh = 3, kw = 3;
    int stride = 1, dilation = 1;
    Pad pad = Pad::same;
    int pad_value = 0;  // Pad::explicit_pads: on every side
    int multiplier = 1;
    int o = 0;          // output channels (dw: c * multiplier)
    int expanded = 0;   // ir: expanded channels (c: no expansion conv); 0 elsewhere
    std::string name;   // benchmark tag; empty = to_string()

    // Output size of the windowed op (pw: the input's), as convgen computes it.
    int out_h() const;
    int out_w() const;
    // Padding on each side as convgen resolves it (TensorFlow SAME: the odd pixel after; pw: 0).
    int pad_top() const;
    int pad_left() const;
    int pad_bottom() const;
    int pad_right() const;
    // The canonical string: n c h w, then k (or kh kw) and s unless pw, then d p m where not
    // the default, then x for ir, then o unless dw. parse_problem(p.to_string()) == p (name aside).
    std::string to_string() const;
    // The benchmark tag: name if set, else to_string().
    std::string tag() const { return name.empty() ? to_string() : name; }
    bool operator==(const Problem &other) const;
};

class ProblemError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

const char *to_string(ProblemOp op);

// Parses one problem string; throws ProblemError.
Problem parse_problem(const std::string &text);
// Parses a comma-separated list of problem strings; throws ProblemError.
std::vector<Problem> parse_problem_list(const std::string &text);

}  // namespace convgen_problems
