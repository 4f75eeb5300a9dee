// The convolution algorithms, as Halide Funcs and nothing else: no schedule code lives here.
//
// Layouts (DESIGN §2): activations NHWC, which in Halide order is (c, x, y, n) with channels
// innermost. The algorithms read weights as these Funcs:
//   conv2d     (c_out, c_in, kx, ky)   == HWIO [kh][kw][c_in][c_out]  } which the generators
//   pointwise  (c_out, c_in)           == [c_in][c_out]               } read from the blocked
//                                                                        buffers of
//                                                                        abi/weight_layout.h
//   depthwise  (c_in*mult, kx, ky)     == [kh][kw][c_in*mult], as the runtime packs it
// Every stage ends in clamp(acc, act_min, act_max): none/ReLU/ReLU6/clamp are all this one form.
#pragma once

#include "Halide.h"

namespace convgen::algo {

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
              const Halide::Expr &act_min, const Halide::Expr &act_max);

// Depthwise convolution: output channel o reads input channel o / multiplier.
struct Depthwise {
    Vars v;
    Halide::Func input;  // the (zero-padded) input as the algorithm reads it
    Halide::Func acc{"dw_acc"}, result{"dw"};
    Halide::RDom r;  // (kx, ky)
};
Depthwise depthwise(const Halide::Func &padded_input, const Halide::Func &weights,
                    const Halide::Func &bias, const Halide::Expr &multiplier, const Window &w,
                    const Halide::Expr &act_min, const Halide::Expr &act_max);

// Pointwise (1x1, stride 1) convolution: a GEMM over (pixels) x (c_in) x (c_out).
struct Pointwise {
    Vars v;
    Halide::Func weights;  // as the algorithm reads it (a schedule may stage it: weights.in())
    Halide::Func acc{"pw_acc"}, result{"pw"};
    Halide::RDom r;  // (c_in)
};
Pointwise pointwise(const Halide::Func &input, const Halide::Func &weights,
                    const Halide::Func &bias, const Halide::Expr &c_in,
                    const Halide::Expr &act_min, const Halide::Expr &act_max);

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
                    const Halide::Expr &dw_channels, const Window &w,
                    const Halide::Expr &dw_min, const Halide::Expr &dw_max,
                    const Halide::Expr &pw_min, const Halide::Expr &pw_max);

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
struct StageBounds {
    Halide::Expr min, max;  // the stage's clamp(acc, min, max)
};
InvertedResidual inverted_residual(const Halide::Func &input, const Halide::Expr &width,
                                   const Halide::Expr &height, const Halide::Func &expand_weights,
                                   const Halide::Func &expand_bias, const Halide::Expr &in_channels,
                                   const Halide::Func &dw_weights, const Halide::Func &dw_bias,
                                   const Halide::Expr &expanded_channels, const Window &w,
                                   const Halide::Func &project_weights,
                                   const Halide::Func &project_bias, const StageBounds &expand_act,
                                   const StageBounds &dw_act, const StageBounds &project_act,
                                   const Halide::Func &residual);

}  // namespace convgen::algo
