// Runs one AOT-compiled tuned kernel (TUNED_FN, from the tuning database) on its own shape,
// SAME padding, bias and ReLU6, and compares it with the independent reference. Exit 0 = match.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "HalideBuffer.h"
#include "kernel_abi.h"
#include "reference.h"
#include "weight_layout.h"
#include TUNED_HEADER

using Halide::Runtime::Buffer;

namespace {
std::vector<float> random_vector(size_t n, float scale, std::mt19937 &rng) {
    std::uniform_real_distribution<float> u(-scale, scale);
    std::vector<float> v(n);
    for (float &x : v) x = u(rng);
    return v;
}

// [c_in][c_out] weights in the CPU kernels' blocked layout (abi/weight_layout.h), stored in
// `packed`.
Buffer<float> blocked(const std::vector<float> &io, int c_in, int c_out,
                      std::vector<float> &packed) {
    const int block = convgen::abi::kCpuWeightBlock;
    packed.resize(size_t(convgen::abi::blocked_weight_elements(c_in, c_out, block)));
    convgen::abi::pack_blocked_weights(io.data(), c_in, c_out, block, packed.data());
    return Buffer<float>(packed.data(), convgen::abi::cpu_blocked_weight_extents({c_in}, c_out));
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
    // NHWC user tensors are Halide (c, x, y, n) buffers; the depthwise weights' user layout
    // ([kh][kw][c]) is the kernels', the pointwise ones ([c_in][c_out]) are packed in blocks.
    namespace abi = convgen::abi;
    Buffer<float> bx(x.data(), c, w, h, 1);
    std::vector<float> packed;
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
    Buffer<float> bdw(dw.data(), c, k, k), bdb(db.data(), c), bpw = blocked(pw, c, o, packed),
        bpb(pb.data(), o), by(y.data(), o, ow, oh, 1);
    const int rc = abi::call(
        TUNED_FN, abi::with_window(abi::SeparableArgs<halide_buffer_t *>{
                                  .input = bx, .dw_weights = bdw, .dw_bias = bdb,
                                  .pw_weights = bpw, .pw_bias = bpb, .channel_multiplier = 1,
                                  .dw_min = 0.f, .dw_max = 6.f, .pw_min = 0.f, .pw_max = 6.f,
                                  .output = by},
                              s, 1, pl, pt));
#elif defined(TUNED_OP_DEPTHWISE)
    auto dw = random_vector(size_t(k) * k * c, 0.5f, rng), db = random_vector(c, 0.5f, rng);
    convgen::DepthwiseDesc d;
    d.channels = c, d.window = win, d.activation = convgen::Activation::relu6();
    expected = ref::depthwise(d, dw.data(), db.data(), in, x.data());
    y.assign(expected.data.size(), -1.0f);
    Buffer<float> bdw(dw.data(), c, k, k), bdb(db.data(), c), by(y.data(), c, ow, oh, 1);
    const int rc = abi::call(
        TUNED_FN, abi::with_window(abi::DepthwiseArgs<halide_buffer_t *>{
                                  .input = bx, .weights = bdw, .bias = bdb,
                                  .channel_multiplier = 1, .act_min = 0.f, .act_max = 6.f,
                                  .output = by},
                              s, 1, pl, pt));
#elif defined(TUNED_OP_POINTWISE)
    const int o = TUNED_C_OUT;
    auto pw = random_vector(size_t(c) * o, 0.2f, rng), pb = random_vector(o, 0.5f, rng);
    convgen::PointwiseDesc d;
    d.in_channels = c, d.out_channels = o, d.activation = convgen::Activation::relu6();
    expected = ref::pointwise(d, pw.data(), pb.data(), in, x.data());
    y.assign(expected.data.size(), -1.0f);
    Buffer<float> bpw = blocked(pw, c, o, packed), bpb(pb.data(), o), by(y.data(), o, w, h, 1);
    const int rc = abi::call(TUNED_FN, abi::PointwiseArgs<halide_buffer_t *>{
                                           .input = bx, .weights = bpw, .bias = bpb,
                                           .act_min = 0.f, .act_max = 6.f, .threads = 1,
                                           .output = by});
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
