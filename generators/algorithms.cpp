#include "algorithms.h"

namespace convgen::algo {

using namespace Halide;

Func zero_padded(const Func &input, const Expr &width, const Expr &height) {
    // constant_exterior marks the bounds test `likely`, so Halide partitions the x/y loops and the
    // steady-state interior carries no select.
    return BoundaryConditions::constant_exterior(
        input, 0.0f, {{Expr(), Expr()}, {0, width}, {0, height}, {Expr(), Expr()}});
}

namespace {
Expr input_x(const Window &w, const Expr &x, const Expr &kx) {
    return x * w.stride_x + kx * w.dilation_x - w.pad_left;
}
Expr input_y(const Window &w, const Expr &y, const Expr &ky) {
    return y * w.stride_y + ky * w.dilation_y - w.pad_top;
}
}  // namespace

Conv2d conv2d(const Func &in, const Func &weights, const Func &bias, const Expr &c_in,
              const Window &w, const Expr &act_min, const Expr &act_max) {
    Conv2d p;
    p.input = in;
    p.weights = weights;
    auto &[c, x, y, n] = p.v;
    p.r = RDom(0, c_in, 0, w.kernel_w, 0, w.kernel_h, "r");
    p.acc(c, x, y, n) = bias(c);
    p.acc(c, x, y, n) += weights(c, p.r.x, p.r.y, p.r.z) *
                         in(p.r.x, input_x(w, x, p.r.y), input_y(w, y, p.r.z), n);
    p.result(c, x, y, n) = clamp(p.acc(c, x, y, n), act_min, act_max);
    return p;
}

Depthwise depthwise(const Func &in, const Func &weights, const Func &bias,
                    const Expr &multiplier, const Window &w, const Expr &act_min,
                    const Expr &act_max) {
    Depthwise p;
    p.input = in;
    auto &[c, x, y, n] = p.v;
    p.r = RDom(0, w.kernel_w, 0, w.kernel_h, "r");
    p.acc(c, x, y, n) = bias(c);
    p.acc(c, x, y, n) += weights(c, p.r.x, p.r.y) *
                         in(c / multiplier, input_x(w, x, p.r.x), input_y(w, y, p.r.y), n);
    p.result(c, x, y, n) = clamp(p.acc(c, x, y, n), act_min, act_max);
    return p;
}

Pointwise pointwise(const Func &in, const Func &weights, const Func &bias, const Expr &c_in,
                    const Expr &act_min, const Expr &act_max) {
    Pointwise p;
    p.weights = weights;
    auto &[c, x, y, n] = p.v;
    p.r = RDom(0, c_in, "r");
    p.acc(c, x, y, n) = bias(c);
    p.acc(c, x, y, n) += weights(c, p.r) * in(p.r, x, y, n);
    p.result(c, x, y, n) = clamp(p.acc(c, x, y, n), act_min, act_max);
    return p;
}

Separable separable(const Func &in, const Func &dw_weights, const Func &dw_bias,
                    const Func &pw_weights, const Func &pw_bias, const Expr &multiplier,
                    const Expr &dw_channels, const Window &w, const Expr &dw_min,
                    const Expr &dw_max, const Expr &pw_min, const Expr &pw_max) {
    Separable p;
    p.dw = depthwise(in, dw_weights, dw_bias, multiplier, w, dw_min, dw_max);
    p.pw = pointwise(p.dw.result, pw_weights, pw_bias, dw_channels, pw_min, pw_max);
    return p;
}

InvertedResidual inverted_residual(const Func &in, const Expr &width, const Expr &height,
                                   const Func &expand_weights, const Func &expand_bias,
                                   const Expr &in_channels, const Func &dw_weights,
                                   const Func &dw_bias, const Expr &expanded_channels,
                                   const Window &w, const Func &project_weights,
                                   const Func &project_bias, const StageBounds &expand_act,
                                   const StageBounds &dw_act, const StageBounds &project_act,
                                   const Func &residual) {
    InvertedResidual p;
    p.expand = pointwise(in, expand_weights, expand_bias, in_channels, expand_act.min,
                         expand_act.max);
    // The depthwise pads the expanded tensor with zeros (not with the expansion of a zero
    // input, which would be its activated bias).
    p.dw = depthwise(zero_padded(p.expand.result, width, height), dw_weights, dw_bias, 1, w,
                     dw_act.min, dw_act.max);
    p.project = pointwise(p.dw.result, project_weights, project_bias, expanded_channels,
                          project_act.min, project_act.max);
    auto &[c, x, y, n] = p.project.v;
    p.result(c, x, y, n) = p.project.result(c, x, y, n) + residual(c, x, y, n);
    return p;
}

}  // namespace convgen::algo
