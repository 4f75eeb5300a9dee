#include "algorithms.h"

#include "kernel_abi.h"

namespace convgen::algo {

using namespace Halide;

Expr activate(const Expr &x, const Activation &a) {
    using abi::ActivationCode;
    auto is = [&](ActivationCode c) { return a.kind == static_cast<int>(c); };
    // hard-swish x * ReLU6(x + 3) / 6 (MobileNetV3).
    const Expr hard_swish = x * clamp(x + 3.0f, 0.0f, 6.0f) * (1.0f / 6.0f);
    // SiLU x * sigmoid(x) (EfficientNet's swish) = x / (1 + e^-x). fast_exp is a polynomial,
    // to about the last 5 bits of the mantissa, and less code than Halide's exact exp, which
    // every unrolled tile of the general branches repeats; it is nonsense past float's range,
    // hence the clamp (at |x| = 80 the result is x or 0 to within 1e-33). The division stays:
    // Halide's fast_inverse is a 256-bit rcpps, and with the two Newton steps NEON's 8-bit
    // estimate needs, it ran the depthwise layers' SiLU 1.11x slower on AVX-512 (Zen 4).
    const Expr silu = x / (1.0f + fast_exp(clamp(-x, -80.0f, 80.0f)));
    // SiLU's arm first: a branch where no kind is SiLU (ActivationBranches::exp_free) knows
    // the first condition false and keeps no exp.
    const Expr f = select(is(ActivationCode::silu), silu, is(ActivationCode::hard_swish),
                          hard_swish, x);
    return clamp(f, a.min, a.max);
}

ActivationBranches activation_branches(std::initializer_list<Activation> acts) {
    // Conjunctions of one fact per kind argument, the forms Halide's simplifier learns from a
    // branch's condition: kind == 0 substitutes 0; kind < 2 bounds it, so kind == 2 is false.
    Expr identity = Internal::const_true(), exp_free = Internal::const_true();
    for (const Activation &a : acts) {
        identity = identity && a.kind == static_cast<int>(abi::ActivationCode::identity);
        exp_free = exp_free && a.kind < static_cast<int>(abi::ActivationCode::silu);
    }
    return {Internal::simplify(identity), Internal::simplify(exp_free)};
}

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
              const Window &w, const Activation &act) {
    Conv2d p;
    p.input = in;
    p.weights = weights;
    auto &[c, x, y, n] = p.v;
    p.r = RDom(0, c_in, 0, w.kernel_w, 0, w.kernel_h, "r");
    p.acc(c, x, y, n) = bias(c);
    p.acc(c, x, y, n) += weights(c, p.r.x, p.r.y, p.r.z) *
                         in(p.r.x, input_x(w, x, p.r.y), input_y(w, y, p.r.z), n);
    p.result(c, x, y, n) = activate(p.acc(c, x, y, n), act);
    return p;
}

Depthwise depthwise(const Func &in, const Func &weights, const Func &bias,
                    const Expr &multiplier, const Window &w, const Activation &act) {
    Depthwise p;
    p.input = in;
    auto &[c, x, y, n] = p.v;
    p.r = RDom(0, w.kernel_w, 0, w.kernel_h, "r");
    p.acc(c, x, y, n) = bias(c);
    p.acc(c, x, y, n) += weights(c, p.r.x, p.r.y) *
                         in(c / multiplier, input_x(w, x, p.r.x), input_y(w, y, p.r.y), n);
    p.result(c, x, y, n) = activate(p.acc(c, x, y, n), act);
    return p;
}

Pointwise pointwise(const Func &in, const Func &weights, const Func &bias, const Expr &c_in,
                    const Activation &act) {
    Pointwise p;
    p.weights = weights;
    auto &[c, x, y, n] = p.v;
    p.r = RDom(0, c_in, "r");
    p.acc(c, x, y, n) = bias(c);
    p.acc(c, x, y, n) += weights(c, p.r) * in(p.r, x, y, n);
    p.result(c, x, y, n) = activate(p.acc(c, x, y, n), act);
    return p;
}

Separable separable(const Func &in, const Func &dw_weights, const Func &dw_bias,
                    const Func &pw_weights, const Func &pw_bias, const Expr &multiplier,
                    const Expr &dw_channels, const Window &w, const Activation &dw_act,
                    const Activation &pw_act) {
    Separable p;
    p.dw = depthwise(in, dw_weights, dw_bias, multiplier, w, dw_act);
    p.pw = pointwise(p.dw.result, pw_weights, pw_bias, dw_channels, pw_act);
    return p;
}

InvertedResidual inverted_residual(const Func &in, const Expr &width, const Expr &height,
                                   const Func &expand_weights, const Func &expand_bias,
                                   const Expr &in_channels, const Func &dw_weights,
                                   const Func &dw_bias, const Expr &expanded_channels,
                                   const Window &w, const Func &project_weights,
                                   const Func &project_bias, const Activation &expand_act,
                                   const Activation &dw_act, const Activation &project_act,
                                   const Func &residual) {
    InvertedResidual p;
    p.expand = pointwise(in, expand_weights, expand_bias, in_channels, expand_act);
    // The depthwise pads the expanded tensor with zeros (not with the expansion of a zero
    // input, which would be its activated bias).
    p.dw = depthwise(zero_padded(p.expand.result, width, height), dw_weights, dw_bias, 1, w,
                     dw_act);
    p.project = pointwise(p.dw.result, project_weights, project_bias, expanded_channels,
                          project_act);
    auto &[c, x, y, n] = p.project.v;
    p.result(c, x, y, n) = p.project.result(c, x, y, n) + residual(c, x, y, n);
    return p;
}

}  // namespace convgen::algo
