// See peak_probe.h. The FMA loop uses GCC vector types so one source serves x86 (built once for
// AVX-512 and once for AVX2, picked by what the CPU reports) and AArch64 (NEON).
#include "peak_probe.h"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <thread>

namespace convgen_bench {

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// kChains independent FMA chains hide the FMA latency (4 cycles x 2 pipes on Zen 4 and recent
// Intel = 8 in flight; 12 leaves margin without running out of registers).
constexpr int kChains = 12;

// Inlined into each target-specific caller, so it is compiled for that caller's ISA.
template <typename V>
__attribute__((always_inline)) inline double fma_gflops(long iterations) {
    V acc[kChains];
    for (int i = 0; i < kChains; i++) acc[i] = V{} + float(i) * 1e-3f;
    V a = V{} + 0.999999f, b = V{} + 1e-7f;
    const auto start = std::chrono::steady_clock::now();
    for (long it = 0; it < iterations; it++) {
        // Float FMA chains cannot be reassociated or collapsed (no -ffast-math); unrolled so
        // the accumulators live in registers.
#pragma GCC unroll 12
        for (int i = 0; i < kChains; i++) acc[i] = acc[i] * a + b;
    }
    const double s = seconds_since(start);
    volatile float sink = 0;  // the result is used, so the loop is not dead
    for (int i = 0; i < kChains; i++) sink = sink + acc[i][0];
    constexpr int lanes = sizeof(V) / sizeof(float);
    return 2.0 * lanes * kChains * double(iterations) / s * 1e-9;
}

#if defined(__x86_64__)
typedef float v16f __attribute__((vector_size(64)));
typedef float v8f __attribute__((vector_size(32)));
__attribute__((target("avx512f,fma"))) double fma_avx512(long n) { return fma_gflops<v16f>(n); }
__attribute__((target("avx2,fma"))) double fma_avx2(long n) { return fma_gflops<v8f>(n); }
#else
typedef float v4f __attribute__((vector_size(16)));
#endif

double fma_widest(long iterations) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return fma_avx512(iterations);
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        return fma_avx2(iterations);
    }
    return 0;  // no FMA: the caller falls back to its default peak
#else
    return fma_gflops<v4f>(iterations);
#endif
}

}  // namespace

double probe_fma_gflops_per_core() {
    // Best of a few short runs: the first warms up the core's clock.
    double best = 0;
    for (int trial = 0; trial < 5; trial++) best = std::max(best, fma_widest(2'000'000));
    return best;
}

double probe_bandwidth_gbps(int threads) {
    threads = std::max(1, threads);
    const size_t n = size_t(32) << 20;  // 3 arrays x 128 MiB: far beyond any L3
    std::vector<float> a(n), b(n, 1.0f), c(n, 2.0f);
    auto triad = [&](size_t begin, size_t end) {
        for (size_t i = begin; i < end; i++) a[i] = b[i] + 0.5f * c[i];
    };
    auto run = [&] {
        std::vector<std::thread> pool;
        const size_t chunk = (n + threads - 1) / threads;
        for (int t = 0; t < threads; t++) {
            pool.emplace_back(triad, std::min(n, t * chunk), std::min(n, (t + 1) * chunk));
        }
        for (auto &t : pool) t.join();
    };
    run();  // first touch
    double best = 0;
    for (int trial = 0; trial < 3; trial++) {
        const auto start = std::chrono::steady_clock::now();
        run();
        best = std::max(best, 12.0 * double(n) / seconds_since(start) * 1e-9);
    }
    return best;
}

}  // namespace convgen_bench
