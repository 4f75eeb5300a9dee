#include "onednn_peer.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <oneapi/dnnl/dnnl.hpp>
#include <stdexcept>
#include <vector>

#if DNNL_CPU_RUNTIME == DNNL_RUNTIME_OMP
#include <omp.h>
#else
#include "cpu_affinity.h"
#endif

namespace convgen_bench {

namespace {

using dnnl::memory;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

struct Resources {
    dnnl::engine engine{dnnl::engine::kind::cpu, 0};
    dnnl::stream stream{engine};
    dnnl::convolution_forward conv;
    memory src, weights, bias, dst;
};

// TensorFlow-style padding of one axis: SAME puts the odd pixel at the end.
void pads(const Problem &p, int in, int k, int out, memory::dim &lo, memory::dim &hi) {
    switch (p.pad) {
    case Problem::Pad::valid: lo = hi = 0; return;
    case Problem::Pad::explicit_pads: lo = hi = p.pad_value; return;
    case Problem::Pad::same: {
        const int total = std::max((out - 1) * p.stride + p.dilation * (k - 1) + 1 - in, 0);
        lo = total / 2, hi = total - total / 2;
        return;
    }
    }
}

void fill(std::vector<float> &v, float scale, uint32_t seed) {
    uint32_t s = seed * 2654435761u + 1;
    for (float &x : v) {
        s ^= s << 13, s ^= s >> 17, s ^= s << 5;
        x = scale * (static_cast<float>(s >> 8) * (2.0f / 16777216.0f) - 1.0f);
    }
}

// A memory in the layout `want`, holding random values given in the plain layout `plain`.
memory make_filled(Resources &r, const memory::desc &want, const memory::desc &plain, float scale,
                   uint32_t seed) {
    std::vector<float> values(plain.get_size() / sizeof(float));
    fill(values, scale, seed);
    memory src(plain, r.engine, values.data());
    memory out(want, r.engine);
    dnnl::reorder(src, out).execute(r.stream, src, out);
    r.stream.wait();
    return out;
}

const char *layout_name(const memory::desc &md) {
    // Enough to tell plain from blocked activations.
    for (auto [t, name] : {std::pair{tag::nchw, "nchw"}, std::pair{tag::nhwc, "nhwc"},
                           std::pair{tag::nChw8c, "nChw8c"}, std::pair{tag::nChw16c, "nChw16c"}}) {
#if DNNL_VERSION_MAJOR >= 3
        if (md == memory::desc(md.get_dims(), md.get_data_type(), t)) return name;
#else
        if (md == memory::desc(md.dims(), md.data_type(), t)) return name;
#endif
    }
    return "blocked";
}

}  // namespace

PeerJob make_onednn_job(PeerOp op, const Problem &p) {
    auto r = std::make_shared<Resources>();
    const bool pw = op == PeerOp::pointwise;
    // Input of the op: a sep problem's pointwise reads the depthwise output.
    const int c_in = pw && p.op != ProblemOp::pw ? p.c * p.multiplier : p.c;
    const int h = pw && p.op != ProblemOp::pw ? p.out_h() : p.h;
    const int w = pw && p.op != ProblemOp::pw ? p.out_w() : p.w;
    const int kh = pw ? 1 : p.kh, kw = pw ? 1 : p.kw;
    const int oh = pw ? h : p.out_h(), ow = pw ? w : p.out_w();
    const int c_out = op == PeerOp::depthwise ? p.c * p.multiplier : p.o;
    const int stride = pw ? 1 : p.stride, dilation = pw ? 1 : p.dilation;

    memory::dims pad_lo(2), pad_hi(2);
    if (!pw) {
        pads(p, h, kh, oh, pad_lo[0], pad_hi[0]);
        pads(p, w, kw, ow, pad_lo[1], pad_hi[1]);
    }
    const memory::dims src_dims = {p.n, c_in, h, w}, dst_dims = {p.n, c_out, oh, ow};
    const memory::dims bias_dims = {c_out};
    memory::dims wei_dims;
    tag wei_plain;
    if (op == PeerOp::depthwise) {
        wei_dims = {p.c, p.multiplier, 1, kh, kw};  // groups, out per group, in per group
        wei_plain = tag::goihw;
    } else {
        wei_dims = {c_out, c_in, kh, kw};
        wei_plain = tag::oihw;
    }
    const memory::desc src_any(src_dims, dt::f32, tag::any), dst_any(dst_dims, dt::f32, tag::any);
    const memory::desc wei_any(wei_dims, dt::f32, tag::any), bias_md(bias_dims, dt::f32, tag::x);
    const memory::dims strides = {stride, stride}, dilates = {dilation - 1, dilation - 1};
    dnnl::post_ops post_ops;
    dnnl::primitive_attr attr;
#if DNNL_VERSION_MAJOR >= 3  // no operation descriptors; eltwise post-ops without a scale
    post_ops.append_eltwise(dnnl::algorithm::eltwise_clip, 0.0f, 6.0f);  // ReLU6
    attr.set_post_ops(post_ops);
    const dnnl::convolution_forward::primitive_desc pd(
        r->engine, dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
        src_any, wei_any, bias_md, dst_any, strides, dilates, pad_lo, pad_hi, attr);
#else
    post_ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, 0.0f, 6.0f);  // ReLU6
    attr.set_post_ops(post_ops);
    const dnnl::convolution_forward::desc desc(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_any, wei_any,
        bias_md, dst_any, strides, dilates, pad_lo, pad_hi);
    const dnnl::convolution_forward::primitive_desc pd(desc, attr, r->engine);
#endif

    r->conv = dnnl::convolution_forward(pd);
    r->src = make_filled(*r, pd.src_desc(), memory::desc(src_dims, dt::f32, tag::nchw), 1.0f, 1);
    const float wscale = 1.0f / float(std::max(1, (op == PeerOp::depthwise ? 1 : c_in) * kh * kw));
    r->weights = make_filled(*r, pd.weights_desc(), memory::desc(wei_dims, dt::f32, wei_plain),
                             std::sqrt(wscale), 2);
    r->bias = make_filled(*r, bias_md, bias_md, 0.1f, 3);
    r->dst = memory(pd.dst_desc(), r->engine);

    PeerJob job;
    job.label = std::string("onednn:") + pd.impl_info_str() + " " + layout_name(pd.src_desc());
    Resources *raw = r.get();
    job.run = [raw] {
        raw->conv.execute(raw->stream, {{DNNL_ARG_SRC, raw->src},
                                        {DNNL_ARG_WEIGHTS, raw->weights},
                                        {DNNL_ARG_BIAS, raw->bias},
                                        {DNNL_ARG_DST, raw->dst}});
        raw->stream.wait();
    };
    job.resources = r;
    return job;
}

void onednn_start(const std::vector<int> &threads) {
#if DNNL_CPU_RUNTIME != DNNL_RUNTIME_OMP
    // TBB (PyPI's SYCL build) sizes its pool once, from the CPU affinity: one thread count per
    // process, the process pinned to that many CPUs before any thread starts.
    if (threads.size() != 1) {
        throw std::invalid_argument(
            "oneDNN " + onednn_version() +
            " takes its thread count from the CPU affinity, once: give one --convgen_threads "
            "value per run of this binary");
    }
    pin_to_first_cpus(threads[0]);
#ifdef CONVGEN_ONEDNN3_OCL_ICD
    // Its SYCL CPU engine runs on the OpenCL CPU runtime that came with the wheels.
    setenv("OCL_ICD_FILENAMES", CONVGEN_ONEDNN3_OCL_ICD, 0);
#endif
#else
    (void)threads;
#endif
}

void onednn_set_num_threads(int threads) {
#if DNNL_CPU_RUNTIME == DNNL_RUNTIME_OMP
    omp_set_num_threads(threads);
#else
    (void)threads;  // fixed by onednn_start
#endif
}

std::string onednn_version() {
    const dnnl_version_t *v = dnnl_version();
    return std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
           std::to_string(v->patch);
}

}  // namespace convgen_bench
