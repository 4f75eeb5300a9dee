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

// Distinct problems in the order first met.
struct DistinctProblems {
    std::vector<Problem> out;
    void add(const std::string &s) {
        Problem p = parse_problem(s);
        for (const Problem &q : out) {
            if (q == p) return;
        }
        out.push_back(p);
    }
};

// One stage of inverted-residual blocks (MobileNetV2's table, EfficientNet's MBConv stages):
// expansion t, depthwise kernel k, output channels c, repeats n, first stride s.
struct InvertedResidualStage {
    int t, k, c, n, s;
};

// Each block's expansion 1x1 (absent when t = 1: the depthwise reads the block's input), its
// kxk depthwise and its projection 1x1, from `c` channels at `size`, after a stem conv 3x3 s2
// 3 -> stem_channels at 224, and before a head 1x1 conv -> head_channels. Squeeze-and-excitation
// (EfficientNet) is not a convolution of these shapes and is left out.
std::vector<Problem> inverted_residual_net(const std::vector<InvertedResidualStage> &stages,
                                           int stem_channels, int head_channels) {
    DistinctProblems set;
    set.add("conv:n1c3h224k3s2o" + to_string(stem_channels));
    int size = 112, c = stem_channels;
    for (const InvertedResidualStage &r : stages) {
        for (int i = 0; i < r.n; ++i) {
            const int stride = i == 0 ? r.s : 1, hidden = r.t * c;
            const int out_size = (size + stride - 1) / stride;
            if (r.t != 1) {
                set.add("pw:n1c" + to_string(c) + "h" + to_string(size) + "o" + to_string(hidden));
            }
            set.add("dw:n1c" + to_string(hidden) + "h" + to_string(size) + "k" + to_string(r.k) +
                    "s" + to_string(stride));
            set.add("pw:n1c" + to_string(hidden) + "h" + to_string(out_size) + "o" +
                    to_string(r.c));
            size = out_size, c = r.c;
        }
    }
    set.add("pw:n1c" + to_string(c) + "h" + to_string(size) + "o" + to_string(head_channels));
    return set.out;
}

// Sandler et al. 2018, table 2 (t, c, n, s), every depthwise 3x3.
const std::vector<InvertedResidualStage> kMobileNetV2 = {
    {1, 3, 16, 1, 1}, {6, 3, 24, 2, 2},  {6, 3, 32, 3, 2},  {6, 3, 64, 4, 2},
    {6, 3, 96, 3, 1}, {6, 3, 160, 3, 2}, {6, 3, 320, 1, 1}};
// Tan and Le 2019, table 1: MBConv stages (expansion, kernel, channels, layers, stride).
// EfficientNet-lite0 has the same stages, without squeeze-and-excitation and with ReLU6.
const std::vector<InvertedResidualStage> kEfficientNetB0 = {
    {1, 3, 16, 1, 1}, {6, 3, 24, 2, 2},  {6, 5, 40, 2, 2},  {6, 3, 80, 3, 2},
    {6, 5, 112, 3, 1}, {6, 5, 192, 4, 2}, {6, 3, 320, 1, 1}};

std::vector<Problem> mobilenet_v2() { return inverted_residual_net(kMobileNetV2, 32, 1280); }
std::vector<Problem> efficientnet_b0() { return inverted_residual_net(kEfficientNetB0, 32, 1280); }

// The body as whole blocks in network order: the stem conv, one ir problem per block, the
// head 1x1 (SAME padding; each block's stride on its first block of a stage).
std::vector<Problem> block_body(const std::vector<InvertedResidualStage> &stages,
                                int stem_channels, int head_channels) {
    std::vector<Problem> body{parse_problem("conv:n1c3h224k3s2o" + to_string(stem_channels))};
    int size = 112, c = stem_channels;
    for (const InvertedResidualStage &r : stages) {
        for (int i = 0; i < r.n; ++i) {
            const int stride = i == 0 ? r.s : 1;
            body.push_back(parse_problem("ir:n1c" + to_string(c) + "h" + to_string(size) + "k" +
                                         to_string(r.k) + "s" + to_string(stride) + "x" +
                                         to_string(r.t * c) + "o" + to_string(r.c)));
            size = (size + stride - 1) / stride, c = r.c;
        }
    }
    body.push_back(parse_problem("pw:n1c" + to_string(c) + "h" + to_string(size) + "o" +
                                 to_string(head_channels)));
    return body;
}

// The body's distinct layers.
std::vector<Problem> distinct(const std::vector<Problem> &body) {
    DistinctProblems set;
    for (const Problem &p : body) set.add(p.to_string());
    return set.out;
}

std::vector<Problem> xception() {
    // Chollet 2017, figure 5, at 299x299: the two entry convs, then every separable conv
    // (depthwise 3x3 then pointwise; the max pools between them are not convolutions). SAME
    // padding throughout, as the suite's other sets, so the spatial sizes are those of the
    // paper's feature maps (147, 74, 37, 19, 10) rather than re-derived from VALID convs.
    DistinctProblems set;
    set.add("conv:n1c3h299k3s2o32");
    set.add("conv:n1c32h149k3s1o64");
    struct Sep {
        int c_in, size, c_out;
    };
    static const Sep seps[] = {{64, 147, 128},  {128, 147, 128}, {128, 74, 256}, {256, 74, 256},
                               {256, 37, 728},  {728, 37, 728},  {728, 19, 728}, {728, 19, 1024},
                               {1024, 10, 1536}, {1536, 10, 2048}};
    for (const Sep &x : seps) {
        set.add("sep:n1c" + to_string(x.c_in) + "h" + to_string(x.size) + "k3s1o" +
                to_string(x.c_out));
    }
    return set.out;
}

}  // namespace

const std::vector<std::string> &layer_set_names() {
    static const std::vector<std::string> names = {
        "tutorial",        "mobilenet_v1", "mobilenet_v2",        "mobilenet_v2_blocks",
        "efficientnet_b0", "xception",     "efficientnet_lite0_blocks"};
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

std::vector<Problem> mobilenet_v2_body() { return block_body(kMobileNetV2, 32, 1280); }
std::vector<Problem> efficientnet_lite0_body() { return block_body(kEfficientNetB0, 32, 1280); }

std::vector<Problem> layer_set(const std::string &name) {
    if (name == "tutorial") return tutorial();
    if (name == "mobilenet_v1") return mobilenet_v1();
    if (name == "mobilenet_v2") return mobilenet_v2();
    if (name == "efficientnet_b0") return efficientnet_b0();
    if (name == "mobilenet_v2_blocks") return distinct(mobilenet_v2_body());
    if (name == "efficientnet_lite0_blocks") return distinct(efficientnet_lite0_body());
    if (name == "xception") return xception();
    std::string known;
    for (const std::string &n : layer_set_names()) known += (known.empty() ? "" : ", ") + n;
    throw ProblemError("unknown layer set '" + name + "' (known: " + known + ")");
}

}  // namespace convgen_problems
