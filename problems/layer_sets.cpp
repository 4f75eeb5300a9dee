#include "layer_sets.h"

#include <string>

namespace convgen_problems {

namespace {

using std::to_string;

std::vector<Problem> tutorial() {
    // The separable problem also times the standard conv it replaces (same shape, 3 -> 4).
    return {parse_problem("sep:n2c3h32w32k3p1o4")};
}

std::vector<Problem> mobilenet_v1() {
    struct Block {
        int c_in, c_out, size, stride;
    };
    static const Block blocks[] = {
        {32, 64, 112, 1},  {64, 128, 112, 2}, {128, 128, 56, 1},  {128, 256, 56, 2},
        {256, 256, 28, 1}, {256, 512, 28, 2}, {512, 512, 14, 1},  {512, 1024, 14, 2},
        {1024, 1024, 7, 1},
    };
    std::vector<Problem> out;
    for (const Block &b : blocks) {
        Problem p = parse_problem("sep:n1c" + to_string(b.c_in) + "h" + to_string(b.size) +
                                  "k3s" + to_string(b.stride) + "o" + to_string(b.c_out));
        p.name = "c" + to_string(b.c_in) + "_" + to_string(b.c_out) + "_" + to_string(b.size) +
                 "_s" + to_string(b.stride);
        out.push_back(p);
    }
    return out;
}

std::vector<Problem> mobilenet_v2() {
    std::vector<Problem> out;
    auto add = [&out](const std::string &s) {
        Problem p = parse_problem(s);
        for (const Problem &q : out) {
            if (q == p) return;
        }
        out.push_back(p);
    };
    int size = 224, c = 3;
    add("conv:n1c3h224k3s2o32");
    size = 112, c = 32;
    // Sandler et al. 2018, table 2: expansion t, output channels c, repeats n, first stride s.
    struct Row {
        int t, c, n, s;
    };
    static const Row rows[] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                               {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
    for (const Row &r : rows) {
        for (int i = 0; i < r.n; ++i) {
            const int stride = i == 0 ? r.s : 1, hidden = r.t * c;
            const int out_size = (size + stride - 1) / stride;
            // t = 1 has no expansion layer in the network (the depthwise reads the input).
            if (r.t != 1) {
                add("pw:n1c" + to_string(c) + "h" + to_string(size) + "o" + to_string(hidden));
            }
            add("dw:n1c" + to_string(hidden) + "h" + to_string(size) + "k3s" + to_string(stride));
            add("pw:n1c" + to_string(hidden) + "h" + to_string(out_size) + "o" + to_string(r.c));
            size = out_size, c = r.c;
        }
    }
    add("pw:n1c320h7o1280");
    return out;
}

}  // namespace

const std::vector<std::string> &layer_set_names() {
    static const std::vector<std::string> names = {"tutorial", "mobilenet_v1", "mobilenet_v2"};
    return names;
}

std::vector<Problem> mobilenet_v1_body() {
    std::vector<Problem> body{parse_problem("conv:n1c3h224k3s2o32")};
    for (const Problem &block : mobilenet_v1()) {
        const int repeats = block.name == "c512_512_14_s1" ? 5 : 1;
        for (int i = 0; i < repeats; i++) body.push_back(block);
    }
    return body;
}

std::vector<Problem> layer_set(const std::string &name) {
    if (name == "tutorial") return tutorial();
    if (name == "mobilenet_v1") return mobilenet_v1();
    if (name == "mobilenet_v2") return mobilenet_v2();
    std::string known;
    for (const std::string &n : layer_set_names()) known += (known.empty() ? "" : ", ") + n;
    throw ProblemError("unknown layer set '" + name + "' (known: " + known + ")");
}

}  // namespace convgen_problems
