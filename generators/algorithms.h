// The convolution algorithms, as Halide Funcs and nothing else: no schedule code lives here.
//
// Layouts (DESIGN §2): activations NHWC, which in Halide order is (c, x, y, n) with channels
// innermost. The algorithms read weights as these Funcs:
//   conv2d     (c_out, c_in, kx, ky)   == HWIO [kh][kw][c_in][c_out]  } which the generators
//   pointwise  (c_out, c_in)           == [c_in][c_out]               } read from the blocked
//                                                                        buffers of
//                                                                        abi/weight_layout.h
//   depthwise  (c_in*mult, kx, ky)     == [kh][kw][c_in*mult], as the runtime packs it
// Every stage ends in an Activation: clamp(f(acc), min, max), where f is the identity (none,
// ReLU, ReLU6 and clamp are all that one form), hard-swish or SiLU.
#pragma once

#include "Halide.h"

namespace convgen::algo {

// One stage's activation, as the kernels take it (abi/kernel_abi.h
// CONVGEN_ABI_ACTIVATION_ARGS): `kind` an abi::ActivationCode.
struct Activation {
    Halide::Expr min, max, kind;
};
// clamp(f(x), a.min, a.max). f is a select on a.kind, evaluated for every kind: kernels
// branch on what the kinds are (ActivationBranches), and in each branch Halide's simplifier
// drops the arms that cannot run.
Halide::Expr activate(const Halide::Expr &x, const Activation &a);
// The conditions a schedule branches a kernel's activated stages on (sched::Problem).
struct ActivationBranches {
    Halide::Expr identity;  // every kind identity: the clamp alone, the code of a ReLU6 kernel
    Halide::Expr exp_free;  // no kind SiLU (identity or hard-swish): no exp
};
ActivationBranches activation_branches(std::initializer_list<Activation> acts);

struct Vars {
    Halide::Var c{"c"}, x{"x"}, y{"y"}, n{"n"};
};

// Spatial geometry of a windowed convolution. Each Expr is either a compile-time constant (a
// specialised variant) or a scalar pipeline parameter (the generic variant).
struct Window {
    Halide::Expr kernel_w, kernel_h;
    Halide::Expr stride_x, stride_y;
    Halide::Expr dilation_x, dilation_y;
    Halide::Expr pad_left, pad_top;
};

// The input extended with zeros outside [0, width) x [0, height); channels and batch unbounded.
Halide::Func zero_padded(const Halide::Func &input, const Halide::Expr &width,
                         const Halide::Expr &height);

// Standard convolution. `acc` holds bias + sum, `result` the activated value.
struct Conv2d {
    Vars v;
    Halide::Func input;    // the (zero-padded) input as the algorithm reads it
    Halide::Func weights;  // as the algorithm reads it (a schedule may stage it: weights.in())
    Halide::Func acc{"conv_acc"}, result{"conv"};
    Halide::RDom r;  // (c_in, kx, ky)
};
Conv2d conv2d(const Halide::Func &padded_input, const Halide::Func &weights,
              const Halide::Func &bias, const Halide::Expr &c_in, const Window &w,
              const Activation &act);

// Depthwise convolution: output channel o reads input channel o / multiplier.
struct Depthwise {
    Vars v;
    Halide::Func input;  // the (zero-padded) input as the algorithm reads it
    Halide::Func acc{"dw_acc"}, result{"dw"};
    Halide::RDom r;  // (kx, ky)
};
Depthwise depthwise(const Halide::Func &padded_input, const Halide::Func &weights,
                    const Halide::Func &bias, const Halide::Expr &multiplier, const Window &w,
                    const Activation &act);

// Pointwise (1x1, stride 1) convolution: a GEMM over (pixels) x (c_in) x (c_out).
struct Pointwise {
    Vars v;
    Halide::Func weights;  // as the algorithm reads it (a schedule may stage it: weights.in())
    Halide::Func acc{"pw_acc"}, result{"pw"};
    Halide::RDom r;  // (c_in)
};
Pointwise pointwise(const Halide::Func &input, const Halide::Func &weights,
                    const Halide::Func &bias, const Halide::Expr &c_in, const Activation &act);

// Fused separable convolution: depthwise (+bias, activation) feeding pointwise (+bias,
// activation) in one pipeline. The intermediate `dw.result` is a Func, so a schedule decides
// how much of it exists at once; it is never an input or output buffer.
struct Separable {
    Depthwise dw;
    Pointwise pw;
};
Separable separable(const Halide::Func &padded_input, const Halide::Func &dw_weights,
                    const Halide::Func &dw_bias, const Halide::Func &pw_weights,
                    const Halide::Func &pw_bias, const Halide::Expr &multiplier,
                    const Halide::Expr &dw_channels, const Window &w, const Activation &dw_act,
                    const Activation &pw_act);

// Inverted-residual block (MobileNetV2/V3, EfficientNet's MBConv): a pointwise expansion
// (+bias, activation), a depthwise window on the expanded channels (+bias, activation), a
// pointwise projection (+bias, activation) and, where `residual` holds, the block's input added
// to the projection (`residual`: the block's input, or zeros where it has no residual). The expanded tensor exists only as the Func `expand.result` (zero outside
// the image for the depthwise, through zero_padded): a schedule decides how much of it is ever
// held at once. Expansion factor 1 (no expansion conv) is the separable op's pipeline.
struct InvertedResidual {
    Pointwise expand;
    Depthwise dw;
    Pointwise project;
    Halide::Func result{"ir"};  // project.result (+ input)
};
InvertedResidual inverted_residual(const Halide::Func &input, const Halide::Expr &width,
                                   const Halide::Expr &height, const Halide::Func &expand_weights,
                                   const Halide::Func &expand_bias, const Halide::Expr &in_channels,
                                   const Halide::Func &dw_weights, const Halide::Func &dw_bias,
                                   const Halide::Expr &expanded_channels, const Window &w,
                                   const Halide::Func &project_weights,
                                   const Halide::Func &project_bias, const Activation &expand_act,
                                   const Activation &dw_act, const Activation &project_act,
                                   const Halide::Func &residual);

}  // namespace convgen::algo
