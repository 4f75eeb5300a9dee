#include "task.h"

#include <algorithm>

namespace convgen::tune {

using convgen_problems::Problem;
using convgen_problems::ProblemOp;

std::string op_of(const Problem &p) { return convgen_problems::spelling(p.op).convgen_op; }

std::string Task::variant_name() const {
    // "sep:n1c128h56..." -> "sep_c128h56...": batch 1 is implied (shape dispatch ignores n).
    std::string s = key();
    const auto colon = s.find(':');
    std::string body = s.substr(colon + 1);
    if (body.rfind("n1c", 0) == 0) body = body.substr(2);
    return "tuned_" + s.substr(0, colon) + "_" + body;  // the ISA is the entry's "isas"
}

int Task::pad_top() const { return problem.pad_top(); }
int Task::pad_left() const { return problem.pad_left(); }

int Task::mid_channels() const {
    return convgen_problems::spelling(problem.op).multiplier ? problem.c * problem.multiplier
                                                             : problem.c;
}

std::vector<Problem> single_op_problems(const Problem &layer) {
    using std::to_string;
    if (layer.op == ProblemOp::ir) {
        // Its stages as their own ops (the fused block's knobs are not searched yet): the
        // expansion 1x1 (where there is one), the depthwise and the projection 1x1.
        const std::string n = "n" + to_string(layer.n);
        std::vector<Problem> stages;
        if (layer.expanded != layer.c) {
            stages.push_back(convgen_problems::parse_problem(
                "pw:" + n + "c" + to_string(layer.c) + "h" + to_string(layer.h) + "w" +
                to_string(layer.w) + "o" + to_string(layer.expanded)));
        }
        Problem dw = layer;
        dw.op = ProblemOp::dw;
        dw.c = dw.o = layer.expanded;
        dw.expanded = 0;
        dw.name.clear();
        stages.push_back(dw);
        stages.push_back(convgen_problems::parse_problem(
            "pw:" + n + "c" + to_string(layer.expanded) + "h" + to_string(layer.out_h()) + "w" +
            to_string(layer.out_w()) + "o" + to_string(layer.o)));
        return stages;
    }
    if (layer.op != ProblemOp::sep) return {layer};
    Problem dw = layer, pw = layer;
    dw.op = ProblemOp::dw;
    dw.o = layer.c * layer.multiplier;
    dw.name.clear();
    pw = convgen_problems::parse_problem("pw:n" + std::to_string(layer.n) + "c" +
                                      std::to_string(layer.c * layer.multiplier) + "h" +
                                      std::to_string(layer.out_h()) + "w" +
                                      std::to_string(layer.out_w()) + "o" +
                                      std::to_string(layer.o));
    Problem sep = layer;
    sep.name.clear();
    return {sep, dw, pw};
}

}  // namespace convgen::tune
