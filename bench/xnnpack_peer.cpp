#include "xnnpack_peer.h"

#include <pthreadpool.h>
#include <xnnpack.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace convgen_bench {

namespace {

void fill(std::vector<float> &v, float scale, uint32_t seed) {
    uint32_t s = seed * 2654435761u + 1;
    for (float &x : v) {
        s ^= s << 13, s ^= s >> 17, s ^= s << 5;
        x = scale * (static_cast<float>(s >> 8) * (2.0f / 16777216.0f) - 1.0f);
    }
}

struct Resources {
    std::vector<float> input, output;
    xnn_operator_t op = nullptr;
    pthreadpool_t pool = nullptr;
    ~Resources() {
        if (op) xnn_delete_operator(op);
        if (pool) pthreadpool_destroy(pool);
    }
};

void check(xnn_status status, const char *what) {
    if (status != xnn_status_success) {
        throw std::runtime_error(std::string("XNNPACK: ") + what + " failed (status " +
                                 std::to_string(int(status)) + ")");
    }
}

}  // namespace

PeerJob make_xnnpack_job(PeerOp op, const Problem &p, int threads) {
    static const xnn_status init = xnn_initialize(nullptr);
    check(init, "xnn_initialize");
    const PeerShape s = peer_shape(op, p);
    int top = 0, bottom = 0, left = 0, right = 0;
    if (op != PeerOp::pointwise) {
        peer_pads(p, s.h, s.kh, s.stride, s.dilation, top, bottom);
        peer_pads(p, s.w, s.kw, s.stride, s.dilation, left, right);
    }
    auto r = std::make_shared<Resources>();
    r->input.resize(size_t(s.n) * s.h * s.w * s.c_in);
    r->output.resize(size_t(s.n) * s.oh * s.ow * s.c_out);
    fill(r->input, 1.0f, 1);
    // Weights [groups][group_out][kh][kw][group_in]; packed by XNNPACK at creation.
    std::vector<float> weights(size_t(s.groups) * s.group_out * s.kh * s.kw * s.group_in);
    std::vector<float> bias(size_t(s.c_out));
    fill(weights, 1.0f / std::sqrt(float(s.kh * s.kw * s.group_in)), 2);
    fill(bias, 0.1f, 3);
    check(xnn_create_convolution2d_nhwc_f32(
              top, right, bottom, left, s.kh, s.kw, s.stride, s.stride, s.dilation, s.dilation,
              s.groups, s.group_in, s.group_out, s.c_in, s.c_out, weights.data(), bias.data(),
              0.0f, 6.0f, 0, &r->op),
          "xnn_create_convolution2d_nhwc_f32");
    r->pool = pthreadpool_create(threads);
    check(xnn_setup_convolution2d_nhwc_f32(r->op, s.n, s.h, s.w, r->input.data(),
                                           r->output.data(), r->pool),
          "xnn_setup_convolution2d_nhwc_f32");
    PeerJob job;
    job.label = "xnnpack:nhwc";
    Resources *raw = r.get();
    job.run = [raw] { check(xnn_run_operator(raw->op, raw->pool), "xnn_run_operator"); };
    job.resources = r;
    return job;
}

}  // namespace convgen_bench
