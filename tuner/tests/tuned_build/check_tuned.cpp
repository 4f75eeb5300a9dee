// Runs one AOT-compiled tuned kernel (TUNED_FN, from the tuning database) on its own shape,
// SAME padding, bias and ReLU6, and compares it with the independent reference. Exit 0 = match.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "HalideBuffer.h"
#include "reference.h"
#include TUNED_HEADER

using Halide::Runtime::Buffer;

namespace {
std::vector<float> random_vector(size_t n, float scale, std::mt19937 &rng) {
    std::uniform_real_distribution<float> u(-scale, scale);
    std::vector<float> v(n);
    for (float &x : v) x = u(rng);
    return v;
}
}  // namespace

int main() {
    const int c = TUNED_C_IN, h = TUNED_H, w = TUNED_W, k = TUNED_KERNEL, s = TUNED_STRIDE;
    std::mt19937 rng(42);
    const convgen::TensorDesc in = convgen::TensorDesc::nhwc(1, h, w, c);
    std::vector<float> x = random_vector(in.elements(), 1.0f, rng);
    const convgen::Window win{k, k, s, s, 1, 1, convgen::Padding::same()};
    // SAME padding in front, as the runtime resolves it (TensorFlow's rule).
    const int oh = (h + s - 1) / s, ow = (w + s - 1) / s;
    const int pt = std::max(0, (oh - 1) * s + k - h) / 2, pl = std::max(0, (ow - 1) * s + k - w) / 2;
    // NHWC user tensors are Halide (c, x, y, n) buffers; the user weight layouts used here
    // are the kernels' packed layouts already ([kh][kw][c] and [c_in][c_out]).
    Buffer<float> bx(x.data(), c, w, h, 1);
    ref::Out expected;
    std::vector<float> y;
#if defined(TUNED_OP_SEPARABLE)
    const int o = TUNED_C_OUT;
    auto dw = random_vector(size_t(k) * k * c, 0.5f, rng), db = random_vector(c, 0.5f, rng);
    auto pw = random_vector(size_t(c) * o, 0.2f, rng), pb = random_vector(o, 0.5f, rng);
    convgen::SeparableDesc d;
    d.in_channels = c, d.out_channels = o, d.window = win;
    d.dw_activation = d.activation = convgen::Activation::relu6();
    expected = ref::separable(d, dw.data(), db.data(), pw.data(), pb.data(), in, x.data());
    y.assign(expected.data.size(), -1.0f);
    Buffer<float> bdw(dw.data(), c, k, k), bdb(db.data(), c), bpw(pw.data(), o, c),
        bpb(pb.data(), o), by(y.data(), o, ow, oh, 1);
    const int rc = TUNED_FN(bx, bdw, bdb, bpw, bpb, 1, s, s, 1, 1, pl, pt, 0.f, 6.f, 0.f, 6.f, by);
#elif defined(TUNED_OP_DEPTHWISE)
    auto dw = random_vector(size_t(k) * k * c, 0.5f, rng), db = random_vector(c, 0.5f, rng);
    convgen::DepthwiseDesc d;
    d.channels = c, d.window = win, d.activation = convgen::Activation::relu6();
    expected = ref::depthwise(d, dw.data(), db.data(), in, x.data());
    y.assign(expected.data.size(), -1.0f);
    Buffer<float> bdw(dw.data(), c, k, k), bdb(db.data(), c), by(y.data(), c, ow, oh, 1);
    const int rc = TUNED_FN(bx, bdw, bdb, 1, s, s, 1, 1, pl, pt, 0.f, 6.f, by);
#elif defined(TUNED_OP_POINTWISE)
    const int o = TUNED_C_OUT;
    auto pw = random_vector(size_t(c) * o, 0.2f, rng), pb = random_vector(o, 0.5f, rng);
    convgen::PointwiseDesc d;
    d.in_channels = c, d.out_channels = o, d.activation = convgen::Activation::relu6();
    expected = ref::pointwise(d, pw.data(), pb.data(), in, x.data());
    y.assign(expected.data.size(), -1.0f);
    Buffer<float> bpw(pw.data(), o, c), bpb(pb.data(), o), by(y.data(), o, w, h, 1);
    const int rc = TUNED_FN(bx, bpw, bpb, 0.f, 6.f, by);
#else
#error "check_tuned: the tuned op must be separable, depthwise or pointwise"
#endif
    if (rc != 0) {
        std::printf("FAIL: %s returned %d\n", "TUNED_FN", rc);
        return 1;
    }
    double worst = 0;
    for (size_t i = 0; i < y.size(); i++) {
        worst = std::max(worst, double(std::abs(y[i] - expected.data[i])) /
                                    (1.0 + std::abs(expected.data[i])));
    }
    std::printf("%zu outputs, worst relative error %.3g\n", y.size(), worst);
    if (!(worst <= 1e-4)) {
        std::printf("FAIL: the tuned kernel does not match the reference\n");
        return 1;
    }
    std::printf("PASS\n");
    return 0;
}
