#include "problem_string.h"

#include "window_math.h"

#include <cctype>
#include <climits>
#include <cstring>

namespace convgen_problems {

namespace {

// 0 when the dilated kernel does not fit.
int windowed_out(int in, int k, int stride, int dilation, Problem::Pad pad, int pad_value) {
    if (pad == Problem::Pad::same) return int(convgen::window_math::same_extent(in, stride));
    const int pads = pad == Problem::Pad::explicit_pads ? 2 * pad_value : 0;
    return int(convgen::window_math::extent(in, pads, k, stride, dilation));
}

int pad_before(const Problem &p, int in, int k) {
    if (!spelling(p.op).windowed || p.pad == Problem::Pad::valid) return 0;
    if (p.pad == Problem::Pad::explicit_pads) return p.pad_value;
    return int(convgen::window_math::same_pad_before(in, k, p.stride, p.dilation));
}

[[noreturn]] void fail(const std::string &text, const std::string &why) {
    throw ProblemError("bad problem string \"" + text + "\": " + why);
}

}  // namespace

const std::vector<OpSpelling> &op_spellings() {
    static const std::vector<OpSpelling> rows = {
        // op              letters convgen op   windowed multiplier own o
        {ProblemOp::conv, "conv", "conv2d", true, false, true},
        {ProblemOp::dw, "dw", "depthwise", true, true, false},
        {ProblemOp::pw, "pw", "pointwise", false, false, true},
        {ProblemOp::sep, "sep", "separable", true, true, true},
        {ProblemOp::ir, "ir", "inverted_residual", true, false, true, true},
    };
    return rows;
}

const OpSpelling &spelling(ProblemOp op) {
    for (const OpSpelling &s : op_spellings()) {
        if (s.op == op) return s;
    }
    throw ProblemError("no spelling for problem op " + std::to_string(int(op)));
}

const OpSpelling *spelling_of_convgen_op(const std::string &convgen_op) {
    for (const OpSpelling &s : op_spellings()) {
        if (convgen_op == s.convgen_op) return &s;
    }
    return nullptr;
}

const char *to_string(ProblemOp op) { return spelling(op).letters; }

int Problem::out_h() const {
    return spelling(op).windowed ? windowed_out(h, kh, stride, dilation, pad, pad_value) : h;
}
int Problem::out_w() const {
    return spelling(op).windowed ? windowed_out(w, kw, stride, dilation, pad, pad_value) : w;
}

int Problem::pad_top() const { return pad_before(*this, h, kh); }
int Problem::pad_left() const { return pad_before(*this, w, kw); }
int Problem::pad_bottom() const {
    if (!spelling(op).windowed || pad == Pad::valid) return 0;
    if (pad == Pad::explicit_pads) return pad_value;
    return int(convgen::window_math::same_pad_after(h, kh, stride, dilation));
}
int Problem::pad_right() const {
    if (!spelling(op).windowed || pad == Pad::valid) return 0;
    if (pad == Pad::explicit_pads) return pad_value;
    return int(convgen::window_math::same_pad_after(w, kw, stride, dilation));
}

std::string Problem::to_string() const {
    using std::to_string;
    std::string s = convgen_problems::to_string(op);
    s += ":n" + to_string(n) + "c" + to_string(c) + "h" + to_string(h) + "w" + to_string(w);
    const OpSpelling &spelled = spelling(op);
    if (spelled.windowed) {
        s += kh == kw ? "k" + to_string(kh) : "kh" + to_string(kh) + "kw" + to_string(kw);
        s += "s" + to_string(stride);
        if (dilation != 1) s += "d" + to_string(dilation);
        if (pad == Pad::valid) s += "pv";
        if (pad == Pad::explicit_pads) s += "p" + to_string(pad_value);
        if (multiplier != 1) s += "m" + to_string(multiplier);
    }
    if (spelled.expanded) s += "x" + to_string(expanded);
    if (spelled.own_outputs) s += "o" + to_string(o);
    return s;
}

bool Problem::operator==(const Problem &b) const {
    return op == b.op && n == b.n && c == b.c && h == b.h && w == b.w && kh == b.kh &&
           kw == b.kw && stride == b.stride && dilation == b.dilation && pad == b.pad &&
           (pad != Pad::explicit_pads || pad_value == b.pad_value) &&
           multiplier == b.multiplier && o == b.o && expanded == b.expanded;
}

Problem parse_problem(const std::string &text) {
    const size_t colon = text.find(':');
    if (colon == std::string::npos) fail(text, "expected <op>:<fields>, e.g. sep:n1c32h56o64");
    const std::string op = text.substr(0, colon);
    Problem p;
    const OpSpelling *spelled = nullptr;
    std::string expected, with_m;  // "conv, dw, pw or sep", "dw and sep"
    for (const OpSpelling &s : op_spellings()) {
        if (op == s.letters) spelled = &s;
        const bool last = &s == &op_spellings().back();
        expected += (expected.empty() ? "" : last ? " or " : ", ") + std::string(s.letters);
        if (s.multiplier) with_m += (with_m.empty() ? "" : " and ") + std::string(s.letters);
    }
    if (!spelled) fail(text, "unknown op '" + op + "' (expected " + expected + ")");
    p.op = spelled->op;

    // Field names, longest first so that "kh" wins over "k" and "pv" over "p".
    static const char *const kNames[] = {"kh", "kw", "pv", "ps", "n", "c", "h", "w",
                                         "k",  "s",  "d",  "p",  "m", "o",  "x"};
    std::vector<std::string> seen;
    int k = -1, kh = -1, kw = -1, w = -1;
    bool has_o = false, has_pad = false;
    size_t i = colon + 1;
    if (i == text.size()) fail(text, "no fields after '" + op + ":'");
    while (i < text.size()) {
        const char *name = nullptr;
        for (const char *candidate : kNames) {
            if (text.compare(i, std::strlen(candidate), candidate) == 0) {
                name = candidate;
                break;
            }
        }
        const std::string at = "at \"" + text.substr(i) + "\"";
        if (!name) fail(text, "unknown field '" + text.substr(i, 1) + "' " + at);
        const std::string field = name;
        const bool is_pad = field == "p" || field == "pv" || field == "ps";
        for (const std::string &s : seen) {
            if (s == field || (is_pad && (s == "p" || s == "pv" || s == "ps"))) {
                fail(text, "field '" + field + "' given twice " + at);
            }
        }
        seen.push_back(field);
        i += field.size();
        if (field == "pv" || field == "ps") {
            p.pad = field == "pv" ? Problem::Pad::valid : Problem::Pad::same;
            has_pad = true;
            continue;
        }
        const size_t digits = i;
        long long v = 0;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
            v = v * 10 + (text[i] - '0');
            if (v > INT_MAX / 16) fail(text, "value of '" + field + "' too large " + at);
            ++i;
        }
        if (i == digits) fail(text, "field '" + field + "' needs a number " + at);
        if (v == 0 && field != "p") fail(text, "field '" + field + "' must be > 0 " + at);
        const int value = static_cast<int>(v);
        if (field == "n") p.n = value;
        else if (field == "c") p.c = value;
        else if (field == "h") p.h = value;
        else if (field == "w") w = value;
        else if (field == "k") k = value;
        else if (field == "kh") kh = value;
        else if (field == "kw") kw = value;
        else if (field == "s") p.stride = value;
        else if (field == "d") p.dilation = value;
        else if (field == "m") p.multiplier = value;
        else if (field == "o") p.o = value, has_o = true;
        else if (field == "x") p.expanded = value;
        else if (field == "p") p.pad = Problem::Pad::explicit_pads, p.pad_value = value,
                                has_pad = true;
    }

    if (p.c == 0) fail(text, "missing 'c' (input channels)");
    if (p.h == 0) fail(text, "missing 'h' (input height)");
    p.w = w > 0 ? w : p.h;
    if (k > 0 && (kh > 0 || kw > 0)) fail(text, "give either 'k' or 'kh'/'kw', not both");
    const int default_k = spelled->windowed ? 3 : 1;
    p.kh = kh > 0 ? kh : k > 0 ? k : default_k;
    p.kw = kw > 0 ? kw : k > 0 ? k : default_k;

    if (!spelled->windowed) {
        if (p.kh != 1 || p.kw != 1) fail(text, op + " is 1x1: kernel must be 1");
        if (p.stride != 1) fail(text, op + " has stride 1 only: 's' must be 1");
        if (p.dilation != 1) fail(text, op + " has no dilation: 'd' must be 1");
        if (has_pad) fail(text, op + " has no padding: drop 'p'");
    }
    if (p.multiplier != 1 && !spelled->multiplier) {
        fail(text, "'m' (multiplier) applies to " + with_m + " only, not " + op);
    }
    if (spelled->expanded && p.expanded == 0) {
        fail(text, "missing 'x' (expanded channels), required for " + op);
    }
    if (!spelled->expanded && p.expanded != 0) {
        fail(text, "'x' (expanded channels) applies to ir only, not " + op);
    }
    if (!spelled->own_outputs) {
        if (has_o && p.o != p.c * p.multiplier) {
            fail(text, op + " output channels are c*m = " + std::to_string(p.c * p.multiplier) +
                           ", but 'o' is " + std::to_string(p.o));
        }
        p.o = p.c * p.multiplier;
    } else if (!has_o) {
        fail(text, "missing 'o' (output channels), required for " + op);
    }
    if (p.out_h() < 1 || p.out_w() < 1) {
        fail(text, "the kernel (with its dilation) is larger than the padded input");
    }
    return p;
}

std::vector<Problem> parse_problem_list(const std::string &text) {
    std::vector<Problem> out;
    size_t start = 0;
    while (true) {
        const size_t comma = text.find(',', start);
        const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos
                                                                                : comma - start);
        if (item.empty()) throw ProblemError("empty problem string in list \"" + text + "\"");
        out.push_back(parse_problem(item));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return out;
}

}  // namespace convgen_problems
