// A steady-state run() allocates nothing: after the first run of a shape, every operator's
// run() (kernel scratch on every worker thread, validation, the unfused separable's
// intermediate) makes no heap allocation, at 1 and 2 threads; nor does any run given a
// workspace (RunOptions). Counted by interposing malloc and its relatives in this test binary
// (its own executable: the interposer counts every thread).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <functional>
#include <thread>
#include <vector>

#include "convgen/convgen.h"

#if defined(__SANITIZE_ADDRESS__)
#define CONVGEN_COUNT_ALLOCATIONS 0  // AddressSanitizer owns malloc
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CONVGEN_COUNT_ALLOCATIONS 0
#endif
#endif
#ifndef CONVGEN_COUNT_ALLOCATIONS
#define CONVGEN_COUNT_ALLOCATIONS 1
#endif

namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};
inline void count() {
    if (g_counting.load(std::memory_order_relaxed)) {
        g_allocations.fetch_add(1, std::memory_order_relaxed);
    }
}
}  // namespace

#if CONVGEN_COUNT_ALLOCATIONS
// glibc's own entry points, which its malloc family forwards to.
extern "C" void *__libc_malloc(size_t);
extern "C" void *__libc_calloc(size_t, size_t);
extern "C" void *__libc_realloc(void *, size_t);
extern "C" void *__libc_memalign(size_t, size_t);

extern "C" void *malloc(size_t n) {
    count();
    return __libc_malloc(n);
}
extern "C" void *calloc(size_t n, size_t size) {
    count();
    return __libc_calloc(n, size);
}
extern "C" void *realloc(void *p, size_t n) {
    count();
    return __libc_realloc(p, n);
}
extern "C" void *aligned_alloc(size_t alignment, size_t n) {
    count();
    return __libc_memalign(alignment, n);
}
extern "C" void *memalign(size_t alignment, size_t n) {
    count();
    return __libc_memalign(alignment, n);
}
extern "C" int posix_memalign(void **out, size_t alignment, size_t n) {
    count();
    *out = __libc_memalign(alignment, n);
    return *out ? 0 : 12;  // ENOMEM
}
#endif

namespace {

using namespace convgen;

std::vector<float> values(size_t n, float scale) {
    std::vector<float> v(n);
    for (size_t i = 0; i < n; i++) v[i] = scale * float(int(i * 7919 % 13) - 6) / 6.0f;
    return v;
}

// Heap allocations made by `calls` runs of `run` after one warm-up run.
long allocations_after_first(const std::function<void()> &run, int calls = 3) {
    run();
    g_allocations = 0;
    g_counting = true;
    for (int i = 0; i < calls; i++) run();
    g_counting = false;
    return g_allocations.load();
}

struct ThreadsGuard {
    int saved = num_threads();
    ~ThreadsGuard() { set_num_threads(saved); }
};

class SteadyState : public ::testing::TestWithParam<int> {
protected:
    void SetUp() override {
        if (!CONVGEN_COUNT_ALLOCATIONS) GTEST_SKIP() << "malloc belongs to the sanitizer";
        set_num_threads(GetParam());
    }
    ThreadsGuard guard_;
};

// The counter itself counts (else every test below would pass vacuously), on the calling thread
// and on others.
TEST_P(SteadyState, CounterSeesAllocations) {
    static std::atomic<void *> sink;  // the allocation escapes, so it cannot be elided
    auto allocate = [] {
        void *p = std::malloc(4000);
        sink = p;
        std::free(p);
    };
    EXPECT_EQ(allocations_after_first(allocate), 3);
    EXPECT_GE(allocations_after_first([&] { std::thread(allocate).join(); }), 3);
}

const Window k3s1{3, 3, 1, 1, 1, 1, Padding::same()};
const Window k3s2{3, 3, 2, 2, 1, 1, Padding::same()};

TEST_P(SteadyState, Conv2dRunAllocatesNothing) {
    const Conv2dDesc d{16, 32, k3s2, Activation::relu6()};
    const auto w = values(9 * 16 * 32, 0.1f), b = values(32, 1), x = values(1 * 30 * 30 * 16, 1);
    Conv2d op(d, w.data(), b.data());
    const TensorDesc in = TensorDesc::nhwc(1, 30, 30, 16), out = op.output_desc(in);
    std::vector<float> y(out.elements());
    EXPECT_EQ(allocations_after_first([&] { op.run({x.data(), in}, {y.data(), out}); }), 0);
}

TEST_P(SteadyState, DepthwiseRunAllocatesNothing) {
    for (const Window &win : {k3s1, k3s2}) {
        const DepthwiseDesc d{64, 1, win, Activation::relu6()};
        const auto w = values(9 * 64, 0.3f), b = values(64, 1), x = values(28 * 28 * 64, 1);
        Depthwise op(d, w.data(), b.data());
        const TensorDesc in = TensorDesc::nhwc(1, 28, 28, 64), out = op.output_desc(in);
        std::vector<float> y(out.elements());
        EXPECT_EQ(allocations_after_first([&] { op.run({x.data(), in}, {y.data(), out}); }), 0)
            << "stride " << win.stride_h;
    }
}

TEST_P(SteadyState, PointwiseRunAllocatesNothing) {
    const PointwiseDesc d{64, 96, Activation::relu()};
    const auto w = values(64 * 96, 0.1f), b = values(96, 1), x = values(2 * 14 * 14 * 64, 1);
    Pointwise op(d, w.data(), b.data());
    const TensorDesc in = TensorDesc::nhwc(2, 14, 14, 64), out = op.output_desc(in);
    std::vector<float> y(out.elements());
    EXPECT_EQ(allocations_after_first([&] { op.run({x.data(), in}, {y.data(), out}); }), 0);
}

// Fused (per-row depthwise scratch on every worker) and unfused (fewer than 16 channels: the
// intermediate tensor) paths.
TEST_P(SteadyState, SeparableRunAllocatesNothing) {
    for (int channels : {128, 8}) {
        for (const Window &win : {k3s1, k3s2}) {
            const SeparableDesc d{channels, 1, channels, win, Activation::relu6(),
                                  Activation::relu6()};
            const auto dw_w = values(9 * channels, 0.3f), dw_b = values(channels, 1);
            const auto pw_w = values(channels * channels, 0.1f), pw_b = values(channels, 1);
            const auto x = values(28 * 28 * channels, 1);
            Separable op(d, dw_w.data(), dw_b.data(), pw_w.data(), pw_b.data());
            const TensorDesc in = TensorDesc::nhwc(1, 28, 28, channels), out = op.output_desc(in);
            std::vector<float> y(out.elements());
            EXPECT_EQ(allocations_after_first([&] { op.run({x.data(), in}, {y.data(), out}); }),
                      0)
                << channels << " channels, stride " << win.stride_h << ", "
                << op.implementation().variant;
        }
    }
}

// A new shape may allocate once (validation, scratch of a new size); going back to a shape
// seen before does not re-validate with strings.
TEST_P(SteadyState, AlternatingShapesAllocateNothing) {
    const PointwiseDesc d{32, 32, Activation::none()};
    const auto w = values(32 * 32, 0.1f), b = values(32, 1), x = values(20 * 20 * 32, 1);
    Pointwise op(d, w.data(), b.data());
    const TensorDesc a = TensorDesc::nhwc(1, 20, 20, 32), c = TensorDesc::nhwc(1, 10, 20, 32);
    std::vector<float> y(a.elements());
    auto run_both = [&] {
        op.run({x.data(), a}, {y.data(), op.output_desc(a)});
        op.run({x.data(), c}, {y.data(), op.output_desc(c)});
    };
    EXPECT_EQ(allocations_after_first(run_both), 0);
}

// With the caller's workspace (RunOptions), not even the first run of a shape allocates once
// workspace_size() has measured it: the kernels' scratch and the unfused Separable's
// intermediate all come from the workspace. Shapes no test above uses.
TEST_P(SteadyState, WorkspaceRunsAllocateNothing) {
    const Window k5s2{5, 5, 2, 2, 1, 1, Padding::same()};
    const TensorDesc in16 = TensorDesc::nhwc(1, 33, 27, 16), in8 = TensorDesc::nhwc(2, 31, 19, 8);
    const TensorDesc in48 = TensorDesc::nhwc(1, 45, 21, 48), in112 = TensorDesc::nhwc(1, 9, 9, 112);
    const auto w = values(5 * 5 * 112 * 112, 0.05f), b = values(112, 1);
    const auto x = values(2 * 45 * 45 * 112, 1);
    int checked = 0;
    // Each instance its own shapes, and the runs without a workspace (the expected results)
    // after the counted ones: the block cache has no block of these sizes to lend.
    const int h = 2 * GetParam();
    auto check = [&](const auto &op, TensorDesc in, const std::string &what) {
        SCOPED_TRACE(what + ", " + op.implementation().variant);
        in.h += h;
        const TensorDesc out = op.output_desc(in);
        std::vector<float> y(out.elements()), want(out.elements());
        const size_t bytes = op.workspace_size(in);
        std::vector<unsigned char> memory(bytes);
        RunOptions r;
        r.workspace = memory.data();
        r.workspace_bytes = bytes;
        g_allocations = 0;
        g_counting = true;
        for (int i = 0; i < 3; i++) op.run({x.data(), in}, {y.data(), out}, r);
        g_counting = false;
        EXPECT_EQ(g_allocations.load(), 0);
        op.run({x.data(), in}, {want.data(), out});
        EXPECT_EQ(y, want);
        checked++;
    };
    check(Conv2d({112, 112, k3s2, Activation::relu()}, w.data(), b.data()), in112, "conv2d");
    check(Depthwise({48, 1, k5s2, Activation::relu6()}, w.data(), b.data()), in48, "dw 5x5");
    check(Depthwise({16, 2, k3s1, Activation::relu6()}, w.data(), b.data()), in16, "dw m2");
    check(Pointwise({48, 112, Activation::relu()}, w.data(), b.data()), in48, "pointwise");
    check(Separable({48, 1, 64, k3s1, Activation::relu6(), Activation::relu6()}, w.data(),
                    b.data(), w.data(), b.data()),
          in48, "separable");
    check(Separable({8, 1, 16, k3s2, Activation::relu6(), Activation::relu6()}, w.data(),
                    b.data(), w.data(), b.data()),
          in8, "unfused separable");
    EXPECT_EQ(checked, 6);
}

INSTANTIATE_TEST_SUITE_P(Threads, SteadyState, ::testing::Values(1, 2),
                         [](const auto &info) { return std::to_string(info.param) + "threads"; });

}  // namespace
