// Shared by the CUDA benchmarks (convgen_cuda_bench, cudnn_separable_bench): the command line,
// the layers (MobileNetV1's separable blocks from problems/layer_sets.h, or problem strings), CUDA
// event timing and the CSV rows that tools/gpu_check.sh turns into one table. No CUDA API here:
// convgen_cuda_bench uses the driver API (any driver new enough for the PTX), the cuDNN one the
// runtime API.
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "layer_sets.h"
#include "problem_string.h"

namespace gpubench {

// Events on one stream: what time_us needs from either CUDA API.
struct StreamTimer {
    virtual ~StreamTimer() = default;
    virtual void start() = 0;
    virtual void stop() = 0;
    virtual double elapsed_ms() = 0;  // waits for the stop event
    virtual void sync() = 0;          // waits for the stream
};

struct Args {
    std::vector<int> batches{1, 32};
    int iters = 50, reps = 7;
    std::vector<convgen_problems::Problem> layers;
    bool csv = false;
    bool variants = false;  // convgen: also the GPU-only variants (alternatives, baselines)
};

inline std::vector<int> int_list(const std::string &s) {
    std::vector<int> v;
    size_t at = 0;
    while (at <= s.size()) {
        const size_t comma = s.find(',', at);
        v.push_back(std::stoi(s.substr(at, comma - at)));
        if (comma == std::string::npos) break;
        at = comma + 1;
    }
    return v;
}

// --batches=1,32 --iters=50 --reps=7 --problem=sep:c128h56k3s1o128,... --csv
inline Args parse_args(int argc, char **argv, const char *usage) {
    Args a;
    for (int i = 1; i < argc; i++) {
        const std::string arg = argv[i];
        auto value = [&](const char *name) -> const char * {
            const std::string prefix = std::string(name) + "=";
            return arg.rfind(prefix, 0) == 0 ? argv[i] + prefix.size() : nullptr;
        };
        if (const char *v = value("--batches")) {
            a.batches = int_list(v);
        } else if (const char *v = value("--iters")) {
            a.iters = std::max(1, std::atoi(v));
        } else if (const char *v = value("--reps")) {
            a.reps = std::max(1, std::atoi(v));
        } else if (const char *v = value("--problem")) {
            for (const auto &p : convgen_problems::parse_problem_list(v)) {
                if (p.op != convgen_problems::ProblemOp::sep)
                    throw std::invalid_argument("only sep: problems are timed here, not " + p.to_string());
                a.layers.push_back(p);
            }
        } else if (arg == "--csv") {
            a.csv = true;
        } else if (arg == "--variants") {
            a.variants = true;
        } else {
            std::fprintf(stderr, "%s", usage);
            std::exit(arg == "--help" ? 0 : 1);
        }
    }
    if (a.layers.empty()) a.layers = convgen_problems::layer_set("mobilenet_v1");
    return a;
}

inline std::vector<float> random_floats(size_t n, unsigned seed, float scale = 1.0f) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(-scale, scale);
    std::vector<float> v(n);
    for (auto &x : v) x = d(rng);
    return v;
}

// Median over `reps` of the mean time of `iters` back-to-back calls, between CUDA events on
// `stream`, in microseconds. One untimed call first; JIT and uploads happened in warm-up.
template <typename Fn>
double time_us(StreamTimer &timer, int iters, int reps, Fn fn) {
    fn();
    timer.sync();
    std::vector<double> us;
    for (int r = 0; r < reps; r++) {
        timer.start();
        for (int i = 0; i < iters; i++) fn();
        timer.stop();
        us.push_back(1000.0 * timer.elapsed_ms() / iters);
    }
    std::sort(us.begin(), us.end());
    return us[us.size() / 2];
}

// FLOPs of a separable block (2 per multiply-add): depthwise k*k per output, pointwise c_in.
struct Flops {
    double dw, pw;
};
inline Flops flops(const convgen_problems::Problem &p, int n) {
    const double pixels = double(n) * p.out_h() * p.out_w();
    const double mid = double(p.c) * p.multiplier;
    return {2.0 * pixels * mid * p.kh * p.kw, 2.0 * pixels * mid * p.o};
}

// One CSV row: implementation, layer, batch, stage (fused | unfused | dw | pw | auto | ...), us,
// GFLOP/s, and what ran (a variant or algorithm).
inline void row(bool csv, const std::string &impl, const convgen_problems::Problem &p, int n,
                const std::string &stage, double us, double flop, const std::string &what) {
    if (csv) {
        std::printf("%s,%s,%d,%s,%.2f,%.1f,%s\n", impl.c_str(), p.tag().c_str(), n, stage.c_str(),
                    us, flop / us / 1e3, what.c_str());
    } else {
        std::printf("%-8s %-16s n=%-3d %-8s %10.2f us %9.1f GFLOP/s  %s\n", impl.c_str(),
                    p.tag().c_str(), n, stage.c_str(), us, flop / us / 1e3, what.c_str());
    }
    std::fflush(stdout);
}

}  // namespace gpubench
