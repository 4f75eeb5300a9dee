// Times one candidate kernel built by convgen-tune's cross mode; compiled for the target with
// -DTUNE_OP_<op> against the candidate's header (convgen_tune_candidate) and linked with
// runtime/src/machine_class.cpp. Prints
//   ms=<median ms> checksum=<sum of outputs>
//   machine=<convgen::machine_class() of the machine it ran on>
// Arguments: c w h n o kw kh stride dilation multiplier pad_left pad_top out_w out_h
//            repetitions min_sample_ms threads
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "HalideBuffer.h"
#include "candidate.h"
#include "convgen/runtime.h"
#include "kernel_abi.h"
#include "weight_layout.h"

using Halide::Runtime::Buffer;

static Buffer<float> filled(std::vector<int> sizes, float scale, unsigned &seed) {
    Buffer<float> b(sizes);
    b.for_each_value([&](float &v) {
        seed = seed * 1664525u + 1013904223u;  // the same data on every candidate
        v = scale * (float((seed >> 8) & 0xffff) / 32768.0f - 1.0f);
    });
    return b;
}

static double now_ms() {
    using namespace std::chrono;
    return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

int main(int argc, char **argv) {
    if (argc != 18) {
        std::fprintf(stderr, "usage: %s c w h n o kw kh stride dilation multiplier pad_left "
                             "pad_top out_w out_h repetitions min_sample_ms threads\n", argv[0]);
        return 2;
    }
    int a[15];
    for (int i = 0; i < 15; i++) a[i] = std::atoi(argv[i + 1]);
    const int c = a[0], w = a[1], h = a[2], n = a[3], o = a[4], kw = a[5], kh = a[6], s = a[7],
              d = a[8], m = a[9], pl = a[10], pt = a[11], ow = a[12], oh = a[13], reps = a[14];
    const double min_sample_ms = std::atof(argv[16]);
    halide_set_num_threads(std::atoi(argv[17]));  // env vars do not cross an ssh
    (void)o, (void)m;
    unsigned seed = 1234;
    Buffer<float> in = filled({c, w, h, n}, 1.0f, seed);
    namespace abi = convgen::abi;
    // The candidate's arguments by name, in the kernel ABI's order (abi/kernel_abi.h).
    auto window = [&](auto args) { return abi::with_window(args, s, d, pl, pt); };
#if defined(TUNE_OP_CONV2D)
    Buffer<float> wt = filled(abi::cpu_blocked_weight_extents({c, kw, kh}, o), 0.2f, seed);
    Buffer<float> b = filled({o}, 0.5f, seed);
    Buffer<float> out(o, ow, oh, n);
    const auto args = window(abi::Conv2dArgs<halide_buffer_t *>{
        .input = in, .weights = wt, .bias = b, .act_min = 0.f, .act_max = 6.f, .output = out});
#elif defined(TUNE_OP_DEPTHWISE)
    Buffer<float> wt = filled({c * m, kw, kh}, 0.5f, seed), b = filled({c * m}, 0.5f, seed);
    Buffer<float> out(c * m, ow, oh, n);
    const auto args = window(abi::DepthwiseArgs<halide_buffer_t *>{
        .input = in, .weights = wt, .bias = b, .channel_multiplier = m, .act_min = 0.f,
        .act_max = 6.f, .output = out});
#elif defined(TUNE_OP_POINTWISE)
    Buffer<float> wt = filled(abi::cpu_blocked_weight_extents({c}, o), 0.2f, seed);
    Buffer<float> b = filled({o}, 0.5f, seed);
    Buffer<float> out(o, w, h, n);
    const auto args = abi::PointwiseArgs<halide_buffer_t *>{
        .input = in, .weights = wt, .bias = b, .act_min = 0.f, .act_max = 6.f,
        .threads = std::atoi(argv[17]), .output = out};
#elif defined(TUNE_OP_SEPARABLE)
    Buffer<float> dw = filled({c * m, kw, kh}, 0.5f, seed), db = filled({c * m}, 0.5f, seed);
    Buffer<float> pw = filled(abi::cpu_blocked_weight_extents({c * m}, o), 0.2f, seed);
    Buffer<float> pb = filled({o}, 0.5f, seed);
    Buffer<float> out(o, ow, oh, n);
    const auto args = window(abi::SeparableArgs<halide_buffer_t *>{
        .input = in, .dw_weights = dw, .dw_bias = db, .pw_weights = pw, .pw_bias = pb,
        .channel_multiplier = m, .dw_min = 0.f, .dw_max = 6.f, .pw_min = 0.f, .pw_max = 6.f,
        .output = out});
#else
#error "define TUNE_OP_CONV2D, TUNE_OP_DEPTHWISE, TUNE_OP_POINTWISE or TUNE_OP_SEPARABLE"
#endif
    auto run = [&] { return abi::call(convgen_tune_candidate, args); };
    double t0 = now_ms();
    if (run() != 0) return 1;
    const double first = now_ms() - t0;
    double checksum = 0;
    out.for_each_value([&](float v) { checksum += v; });
    const int iters = std::max(1, int(std::ceil(min_sample_ms / std::max(first, 1e-3))));
    std::vector<double> samples;
    for (int r = 0; r < reps; r++) {
        t0 = now_ms();
        for (int i = 0; i < iters; i++) run();
        samples.push_back((now_ms() - t0) / iters);
    }
    std::nth_element(samples.begin(), samples.begin() + samples.size() / 2, samples.end());
    std::printf("ms=%.6f checksum=%.6f\nmachine=%s\n", samples[samples.size() / 2], checksum,
                convgen::machine_class().c_str());
    return 0;
}
