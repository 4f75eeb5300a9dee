// convgen demo: a standard 3x3 convolution against its depthwise-separable replacement, run
// two ways: depthwise then pointwise (two operators, intermediate tensor in memory) and fused
// (one Separable operator). For each method it prints the output shape, parameter count, FLOPs,
// median run time, GFLOP/s, speed-up, and which compiled variant and ISA ran; then it checks
// that the fused and unfused separable outputs agree (exit status 1 if they do not). Then the
// same for one MobileNetV2 inverted-residual block (expansion 1x1, depthwise 3x3, projection
// 1x1, residual add): layer by layer against one fused InvertedResidual operator, with the bytes
// of intermediate tensors the fused block never writes.
//
//   convgen_demo [--threads N]      N defaults to all hardware threads
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "convgen/convgen.h"

namespace {

using Clock = std::chrono::steady_clock;

// Values in [-scale, scale), reproducible run to run.
std::vector<float> random_values(int64_t count, float scale, unsigned seed) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> dist(-scale, scale);
    std::vector<float> v(static_cast<size_t>(count));
    for (float &x : v) x = dist(gen);
    return v;
}

// Median time of one call of `run`, in microseconds: a few warm-up calls, then at least 50
// timed calls, stopping at 200 calls or 0.5 s, whichever comes first.
template <typename F>
double median_us(F &&run) {
    for (int i = 0; i < 5; ++i) run();
    std::vector<double> times;
    const auto start = Clock::now();
    while (times.size() < 200) {
        const auto t0 = Clock::now();
        run();
        const auto t1 = Clock::now();
        times.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
        if (times.size() >= 50 && t1 - start > std::chrono::milliseconds(500)) break;
    }
    std::sort(times.begin(), times.end());
    const size_t n = times.size();
    return n % 2 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
}

// 1234567 -> "1.23M".
std::string si(double v) {
    const char *suffix[] = {"", "K", "M", "G", "T"};
    int i = 0;
    while (std::fabs(v) >= 1000 && i < 4) v /= 1000, ++i;
    char buf[32];
    std::snprintf(buf, sizeof buf, i ? "%.2f%s" : "%.0f%s", v, suffix[i]);
    return buf;
}

std::string impl_str(const convgen::Implementation &impl) {
    return impl.variant + " [" + convgen::to_string(impl.isa) + "]";
}

struct Row {
    std::string method, shape, params, impl;
    int64_t flops = 0;
    double us = 0;
};

struct Case {
    const char *title;
    int n, h, w, c_in, c_out;
};

// Runs one case; returns false if fused and unfused separable outputs disagree.
bool run_case(const Case &cs) {
    using namespace convgen;
    const Window window{3, 3, 1, 1, 1, 1, Padding::symmetric(1)};
    const Conv2dDesc conv_desc{cs.c_in, cs.c_out, window, Activation::none()};
    const SeparableDesc sep_desc{cs.c_in, 1, cs.c_out, window, Activation::none(),
                                 Activation::none()};
    const DepthwiseDesc dw_desc = sep_desc.depthwise();
    const PointwiseDesc pw_desc = sep_desc.pointwise();

    // Inputs in [-1, 1); weights scaled by 1/sqrt(fan-in) so outputs stay near unit size.
    const TensorDesc in_desc = TensorDesc::nhwc(cs.n, cs.h, cs.w, cs.c_in);
    const std::vector<float> input = random_values(in_desc.elements(), 1.0f, 1);
    const std::vector<float> conv_w =
        random_values(9LL * cs.c_in * cs.c_out, 1.0f / std::sqrt(9.0f * cs.c_in), 2);
    const std::vector<float> dw_w = random_values(9LL * cs.c_in, 1.0f / 3.0f, 3);
    const std::vector<float> pw_w =
        random_values(int64_t(cs.c_in) * cs.c_out, 1.0f / std::sqrt(float(cs.c_in)), 4);

    // Operators are created once (weights validated and packed here), then run many times.
    const Conv2d conv(conv_desc, conv_w.data(), nullptr);
    const Depthwise dw(dw_desc, dw_w.data(), nullptr);
    const Pointwise pw(pw_desc, pw_w.data(), nullptr);
    const Separable sep(sep_desc, dw_w.data(), nullptr, pw_w.data(), nullptr);

    const ConstTensor x{input.data(), in_desc};
    const TensorDesc conv_out_desc = conv.output_desc(in_desc);
    const TensorDesc mid_desc = dw.output_desc(in_desc);
    const TensorDesc sep_out_desc = sep.output_desc(in_desc);
    std::vector<float> conv_out(conv_out_desc.elements()), mid(mid_desc.elements()),
        unfused_out(pw.output_desc(mid_desc).elements()), fused_out(sep_out_desc.elements());
    const Tensor conv_y{conv_out.data(), conv_out_desc}, mid_y{mid.data(), mid_desc},
        unfused_y{unfused_out.data(), pw.output_desc(mid_desc)},
        fused_y{fused_out.data(), sep_out_desc};

    const Cost conv_cost = cost(conv_desc, in_desc, false);
    const Cost dw_cost = cost(dw_desc, in_desc, false);
    const Cost pw_cost = cost(pw_desc, mid_desc, false);
    const Cost sep_cost = cost(sep_desc, in_desc, false, false);

    std::vector<Row> rows;
    rows.push_back({"standard conv", conv_out_desc.to_string(), std::to_string(conv_cost.params()),
                    impl_str(conv.implementation()), conv_cost.flops,
                    median_us([&] { conv.run(x, conv_y); })});
    rows.push_back({"depthwise + pointwise", unfused_y.desc.to_string(),
                    std::to_string(dw_cost.params()) + "+" + std::to_string(pw_cost.params()) +
                        "=" + std::to_string(dw_cost.params() + pw_cost.params()),
                    impl_str(dw.implementation()) + " + " + impl_str(pw.implementation()),
                    dw_cost.flops + pw_cost.flops, median_us([&] {
                        dw.run(x, mid_y);
                        pw.run(ConstTensor{mid.data(), mid_desc}, unfused_y);
                    })});
    rows.push_back({"fused separable", sep_out_desc.to_string(), std::to_string(sep_cost.params()),
                    impl_str(sep.implementation()), sep_cost.flops,
                    median_us([&] { sep.run(x, fused_y); })});

    std::printf("\n%s\n", cs.title);
    std::printf("  input %s, %d -> %d channels, 3x3 kernel, stride 1, pad 1 (SAME)\n\n",
                in_desc.to_string().c_str(), cs.c_in, cs.c_out);
    std::printf("  %-22s %-14s %18s %9s %11s %9s %8s  %s\n", "method", "output", "params",
                "FLOPs", "median us", "GFLOP/s", "vs conv", "variant [ISA]");
    size_t impl_width = 13;
    for (const Row &r : rows) impl_width = std::max(impl_width, r.impl.size());
    std::printf("  %s\n", std::string(100 + impl_width, '-').c_str());
    for (const Row &r : rows) {
        std::printf("  %-22s %-14s %18s %9s %11.1f %9.2f %7.2fx  %s\n", r.method.c_str(),
                    r.shape.c_str(), r.params.c_str(), si(double(r.flops)).c_str(), r.us,
                    r.flops / (r.us * 1e3), rows[0].us / r.us, r.impl.c_str());
    }
    std::printf("  params = weights only (operators built without bias, so none counted); "
                "FLOPs count a multiply-add as 2\n");
    std::printf("  separable vs standard: %.1fx fewer params, %.1fx fewer FLOPs\n",
                double(conv_cost.params()) / sep_cost.params(),
                double(conv_cost.flops) / sep_cost.flops);
    std::printf("  fused vs unfused speed-up: %.2fx (%.1f us unfused, %.1f us fused)\n",
                rows[1].us / rows[2].us, rows[1].us, rows[2].us);

    // Fused and unfused separable compute the same function; standard conv does not (its
    // weights are a different, larger set), so only its shape is shown above.
    conv.run(x, conv_y);
    dw.run(x, mid_y);
    pw.run(ConstTensor{mid.data(), mid_desc}, unfused_y);
    sep.run(x, fused_y);
    double max_err = 0;  // |fused - unfused| / max(1, |unfused|)
    for (size_t i = 0; i < fused_out.size(); ++i) {
        const double e = std::fabs(double(fused_out[i]) - unfused_out[i]) /
                         std::max(1.0, std::fabs(double(unfused_out[i])));
        if (!(e <= max_err)) max_err = e;  // also catches NaN
    }
    const bool agree = unfused_y.desc.same_shape(sep_out_desc) && max_err <= 1e-4;
    std::printf("  fused vs unfused: max error %.2e (tolerance 1e-4): %s\n", max_err,
                agree ? "outputs agree" : "OUTPUTS DISAGREE");
    return agree;
}

// One MobileNetV2 block (24 -> 144 -> 24 channels at 56x56, stride 1, ReLU6 after the
// expansion and the depthwise, the input added): layer by layer (three operators, the expanded
// and the depthwise tensors in memory, then the add) against one InvertedResidual operator.
// Returns false if their outputs disagree.
bool run_block_case() {
    using namespace convgen;
    const int c = 24, x = 144, h = 56, w = 56;
    const InvertedResidualDesc d{c,
                                 x,
                                 c,
                                 Window{3, 3, 1, 1, 1, 1, Padding::same()},
                                 Activation::relu6(),
                                 Activation::relu6(),
                                 Activation::none(),
                                 true};
    const TensorDesc in_desc = TensorDesc::nhwc(1, h, w, c);
    const std::vector<float> input = random_values(in_desc.elements(), 1.0f, 5);
    const std::vector<float> ew = random_values(int64_t(c) * x, 1.0f / std::sqrt(float(c)), 6);
    const std::vector<float> eb = random_values(x, 0.1f, 7);
    const std::vector<float> dw_w = random_values(9LL * x, 1.0f / 3.0f, 8);
    const std::vector<float> dw_b = random_values(x, 0.1f, 9);
    const std::vector<float> pw_w = random_values(int64_t(x) * c, 1.0f / std::sqrt(float(x)), 10);
    const std::vector<float> pw_b = random_values(c, 0.1f, 11);

    const Pointwise expand(d.expansion(), ew.data(), eb.data());
    const Depthwise dw(d.depthwise(), dw_w.data(), dw_b.data());
    const Pointwise project(d.projection(), pw_w.data(), pw_b.data());
    const InvertedResidual block(d, ew.data(), eb.data(), dw_w.data(), dw_b.data(), pw_w.data(),
                                 pw_b.data());

    const TensorDesc exp_desc = expand.output_desc(in_desc), mid_desc = dw.output_desc(exp_desc);
    const TensorDesc out_desc = block.output_desc(in_desc);
    std::vector<float> expanded(exp_desc.elements()), mid(mid_desc.elements()),
        unfused_out(out_desc.elements()), fused_out(out_desc.elements());
    const ConstTensor xin{input.data(), in_desc};
    auto unfused = [&] {
        expand.run(xin, {expanded.data(), exp_desc});
        dw.run({expanded.data(), exp_desc}, {mid.data(), mid_desc});
        project.run({mid.data(), mid_desc}, {unfused_out.data(), out_desc});
        for (size_t i = 0; i < unfused_out.size(); ++i) unfused_out[i] += input[i];
    };
    auto fused = [&] { block.run(xin, {fused_out.data(), out_desc}); };
    const Cost k = cost(d, in_desc, true);
    const double unfused_us = median_us(unfused), fused_us = median_us(fused);
    const double avoided = double(exp_desc.elements() + mid_desc.elements()) * sizeof(float);

    std::printf("\n(c) MobileNetV2 inverted-residual block (expansion 6, 3x3 depthwise, residual)\n");
    std::printf("  input %s, %d -> %d -> %d channels, stride 1, SAME, bias and ReLU6 fused\n\n",
                in_desc.to_string().c_str(), c, x, c);
    std::printf("  %-22s %-14s %8s %9s %11s %9s  %s\n", "method", "output", "params", "FLOPs",
                "median us", "GFLOP/s", "variant [ISA]");
    std::printf("  %-22s %-14s %8lld %9s %11.1f %9.2f  %s\n", "layer by layer + add",
                out_desc.to_string().c_str(), (long long)k.params(), si(double(k.flops)).c_str(),
                unfused_us, k.flops / (unfused_us * 1e3),
                (impl_str(expand.implementation()) + " + " + impl_str(dw.implementation()) +
                 " + " + impl_str(project.implementation()))
                    .c_str());
    std::printf("  %-22s %-14s %8lld %9s %11.1f %9.2f  %s\n", "fused block",
                out_desc.to_string().c_str(), (long long)k.params(), si(double(k.flops)).c_str(),
                fused_us, k.flops / (fused_us * 1e3), impl_str(block.implementation()).c_str());
    std::printf("  fused vs layer by layer: %.2fx; intermediate tensors never written: %sB "
                "(expanded %s + depthwise %s)\n",
                unfused_us / fused_us, si(avoided).c_str(), exp_desc.to_string().c_str(),
                mid_desc.to_string().c_str());
    std::printf("  (one block alone: its tensors stay in cache between runs; in a network's "
                "chain the saving is larger)\n");

    unfused();
    fused();
    double max_err = 0;
    for (size_t i = 0; i < fused_out.size(); ++i) {
        const double e = std::fabs(double(fused_out[i]) - unfused_out[i]) /
                         std::max(1.0, std::fabs(double(unfused_out[i])));
        if (!(e <= max_err)) max_err = e;
    }
    const bool agree = max_err <= 1e-4;
    std::printf("  fused vs layer by layer: max error %.2e (tolerance 1e-4): %s\n", max_err,
                agree ? "outputs agree" : "OUTPUTS DISAGREE");
    return agree;
}

[[noreturn]] void usage(const char *argv0, int status) {
    std::fprintf(status ? stderr : stdout, "usage: %s [--threads N]\n", argv0);
    std::exit(status);
}

}  // namespace

int main(int argc, char **argv) {
    int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    for (int i = 1; i < argc; ++i) {
        const char *value = nullptr;
        if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) {
            value = argv[++i];
        } else if (!std::strncmp(argv[i], "--threads=", 10)) {
            value = argv[i] + 10;
        } else if (!std::strcmp(argv[i], "-h") || !std::strcmp(argv[i], "--help")) {
            usage(argv[0], 0);
        } else {
            usage(argv[0], 2);
        }
        char *end = nullptr;
        const long n = std::strtol(value, &end, 10);
        if (*end || n < 1 || n > 1024) usage(argv[0], 2);
        threads = static_cast<int>(n);
    }

    try {
        convgen::set_num_threads(threads);
        std::printf("convgen demo: %d thread%s, CPU ISA %s; median of 50-200 runs after warm-up\n",
                    convgen::num_threads(), convgen::num_threads() == 1 ? "" : "s",
                    convgen::to_string(convgen::detected_isa()));
        bool ok = run_case({"(a) Tutorial example", 2, 32, 32, 3, 4});
        ok = run_case({"(b) MobileNetV1 layer (conv_dw_3 / conv_pw_3)", 1, 56, 56, 128, 128}) &&
             ok;
        ok = run_block_case() && ok;
        if (!ok) {
            std::fprintf(stderr, "error: fused and unfused outputs disagree\n");
            return 1;
        }
        std::printf("\nAll cases: outputs agree.\n");
        return 0;
    } catch (const convgen::Error &e) {
        std::fprintf(stderr, "convgen error (%s): %s\n", e.field().c_str(), e.what());
        return 1;
    }
}
