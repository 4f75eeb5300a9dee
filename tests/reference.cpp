#include "reference.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ref {

using namespace convgen;

namespace {

double activate(double v, const Activation &a) {
    switch (a.kind) {
    case Activation::Kind::none: return v;
    case Activation::Kind::relu: return std::max(v, 0.0);
    case Activation::Kind::relu6: return std::min(std::max(v, 0.0), 6.0);
    case Activation::Kind::clamp: return std::min(std::max(v, double(a.min)), double(a.max));
    case Activation::Kind::hard_swish: return v * std::min(std::max(v + 3.0, 0.0), 6.0) / 6.0;
    case Activation::Kind::silu: return v / (1.0 + std::exp(-v));
    }
    return v;
}

struct Axis {
    int64_t out, pad_lo;
};

// One spatial axis: output extent and leading padding, TensorFlow's rules for SAME.
Axis axis(int64_t in, int k, int s, int d, Padding::Mode mode, int lo, int hi) {
    const int64_t dk = int64_t(d) * (k - 1) + 1;
    if (mode == Padding::Mode::valid) lo = hi = 0;
    if (mode == Padding::Mode::same) {
        const int64_t out = (in + s - 1) / s;
        const int64_t total = std::max<int64_t>(0, (out - 1) * s + dk - in);
        return {out, total / 2};
    }
    return {(in + lo + hi - dk) / s + 1, lo};
}

// Reads x[n][y][x][c] of a (possibly strided) NHWC tensor, 0 outside.
double at(const TensorDesc &t, const float *x, int64_t n, int64_t y, int64_t xx, int64_t c) {
    if (y < 0 || y >= t.h || xx < 0 || xx >= t.w) return 0.0;
    const auto s = t.effective_strides();
    return x[n * s[0] + y * s[1] + xx * s[2] + c * s[3]];
}

// Generic grouped convolution: output channel o reads input channels of its group.
Out grouped(const Window &w, int64_t groups, int64_t ci_per_group, int64_t co,
            const TensorDesc &in, const float *x, const Activation &act,
            const float *bias, double (*weight)(const void *, int, int, int64_t, int64_t),
            const void *wctx) {
    const Axis ay = axis(in.h, w.kernel_h, w.stride_h, w.dilation_h, w.padding.mode,
                         w.padding.top, w.padding.bottom);
    const Axis ax = axis(in.w, w.kernel_w, w.stride_w, w.dilation_w, w.padding.mode,
                         w.padding.left, w.padding.right);
    Out o{TensorDesc::nhwc(in.n, ay.out, ax.out, co), {}};
    o.data.resize(o.desc.elements());
    const int64_t co_per_group = co / groups;
    for (int64_t n = 0; n < in.n; n++)
        for (int64_t oy = 0; oy < ay.out; oy++)
            for (int64_t ox = 0; ox < ax.out; ox++)
                for (int64_t oc = 0; oc < co; oc++) {
                    const int64_t g = oc / co_per_group;
                    double acc = bias ? bias[oc] : 0.0;
                    for (int ky = 0; ky < w.kernel_h; ky++)
                        for (int kx = 0; kx < w.kernel_w; kx++)
                            for (int64_t i = 0; i < ci_per_group; i++) {
                                const double v =
                                    at(in, x, n, oy * w.stride_h + ky * w.dilation_h - ay.pad_lo,
                                       ox * w.stride_w + kx * w.dilation_w - ax.pad_lo,
                                       g * ci_per_group + i);
                                acc += v * weight(wctx, ky, kx, i, oc);
                            }
                    o.data[((n * ay.out + oy) * ax.out + ox) * co + oc] =
                        static_cast<float>(activate(acc, act));
                }
    return o;
}

struct HwioCtx {
    const float *w;
    int kw;
    int64_t ci, co;
};
double hwio_weight(const void *p, int ky, int kx, int64_t i, int64_t o) {
    const auto *c = static_cast<const HwioCtx *>(p);
    return c->w[((int64_t(ky) * c->kw + kx) * c->ci + i) * c->co + o];
}

}  // namespace

Out conv2d(const Conv2dDesc &d, const float *w, const float *bias, const TensorDesc &in,
           const float *x) {
    HwioCtx ctx{w, d.window.kernel_w, d.in_channels, d.out_channels};
    return grouped(d.window, 1, d.in_channels, d.out_channels, in, x, d.activation, bias,
                   hwio_weight, &ctx);
}

Out depthwise(const DepthwiseDesc &d, const float *w, const float *bias, const TensorDesc &in,
              const float *x) {
    // A depthwise weight [kh][kw][c*m] is HWIO with one input channel per group.
    HwioCtx ctx{w, d.window.kernel_w, 1, d.out_channels()};
    return grouped(d.window, d.channels, 1, d.out_channels(), in, x, d.activation, bias,
                   hwio_weight, &ctx);
}

Out pointwise(const PointwiseDesc &d, const float *w, const float *bias, const TensorDesc &in,
              const float *x) {
    Window one{1, 1, 1, 1, 1, 1, Padding::valid()};
    HwioCtx ctx{w, 1, d.in_channels, d.out_channels};
    return grouped(one, 1, d.in_channels, d.out_channels, in, x, d.activation, bias,
                   hwio_weight, &ctx);
}

Out separable(const SeparableDesc &d, const float *dw_w, const float *dw_b, const float *pw_w,
              const float *pw_b, const TensorDesc &in, const float *x) {
    const Out mid = depthwise(d.depthwise(), dw_w, dw_b, in, x);
    return pointwise(d.pointwise(), pw_w, pw_b, mid.desc, mid.data.data());
}

Out inverted_residual(const InvertedResidualDesc &d, const float *expand_w, const float *expand_b,
                      const float *dw_w, const float *dw_b, const float *project_w,
                      const float *project_b, const TensorDesc &in, const float *x) {
    Out expanded;
    TensorDesc dw_in = in;
    const float *dw_x = x;
    if (d.has_expansion()) {
        expanded = pointwise(d.expansion(), expand_w, expand_b, in, x);
        dw_in = expanded.desc;
        dw_x = expanded.data.data();
    }
    const Out mid = depthwise(d.depthwise(), dw_w, dw_b, dw_in, dw_x);
    Out out = pointwise(d.projection(), project_w, project_b, mid.desc, mid.data.data());
    if (d.has_residual()) {
        const auto s = in.effective_strides();
        const TensorDesc &o = out.desc;
        for (int64_t n = 0; n < o.n; n++)
            for (int64_t y = 0; y < o.h; y++)
                for (int64_t xx = 0; xx < o.w; xx++)
                    for (int64_t c = 0; c < o.c; c++)
                        out.data[((n * o.h + y) * o.w + xx) * o.c + c] +=
                            x[n * s[0] + y * s[1] + xx * s[2] + c];
    }
    return out;
}

}  // namespace ref
