// The GPU operators: every GPU variant on every compiled target against the naive reference,
// over the same coverage grid as the CPU kernels (problem.cpp), through host and device memory,
// and their errors. Variants come from the GPU dispatch table built from kernels.json.
//
// CUDA needs an NVIDIA GPU (capability >= 8.0): without one every CUDA test reports SKIPPED,
// with the reason, and CTest shows it as skipped, never as passed. OpenCL runs wherever an
// OpenCL device exists; CI has PoCL (Debian pocl-opencl-icd), which runs the GPU schedules'
// kernels on the CPU: the whole grid of every OpenCL variant takes about 20 s there with its
// kernel cache warm.
#include <gtest/gtest.h>

#include <dlfcn.h>

#include <algorithm>
#include <concepts>
#include <set>
#include <thread>

#include "convgen/gpu.h"
#include "problem.h"

using namespace convgen;
using testing_support::OperatorUnderTest;
using testing_support::Problem;
using testing_support::ProblemWeights;

// The CPU operators and their gpu:: twins share one API skeleton, detail::Operator<Desc,
// Backend> (desc, output_desc, run, implementation() and implementation(input)); these
// compile-time checks hold both families to it.
template <class Op>
concept OperatorApi = requires(const Op &op, const TensorDesc &d, const ConstTensor &in,
                               const Tensor &out) {
    { op.output_desc(d) } -> std::same_as<TensorDesc>;
    op.run(in, out);
    { op.implementation().variant } -> std::convertible_to<std::string>;
    { op.implementation(d).variant } -> std::convertible_to<std::string>;
    { op.implementation().declined.front().reason } -> std::convertible_to<std::string>;
};
template <class Cpu, class Gpu>
constexpr bool twins = OperatorApi<Cpu> && OperatorApi<Gpu> &&
                       std::is_same_v<decltype(std::declval<const Cpu &>().desc()),
                                      decltype(std::declval<const Gpu &>().desc())>;
static_assert(twins<Conv2d, gpu::Conv2d>);
static_assert(twins<Depthwise, gpu::Depthwise>);
static_assert(twins<Pointwise, gpu::Pointwise>);
static_assert(twins<Separable, gpu::Separable>);
static_assert(!OperatorApi<gpu::DeviceBuffer>);  // the check is not vacuous

namespace {

struct GpuCase {
    gpu::Backend backend;
    VariantInfo variant;
    std::string target;
};

std::vector<GpuCase> all_cases() {
    std::vector<GpuCase> v;
    for (gpu::Backend b : {gpu::Backend::cuda, gpu::Backend::opencl})
        for (const auto &info : gpu::variants(b))
            for (const auto &t : info.targets) v.push_back({b, info.variant, t});
    return v;
}

void PrintTo(const GpuCase &c, std::ostream *os) { *os << c.variant.name << " on " << c.target; }

// Skips (visibly) when the backend cannot run here, or the device cannot run the target.
#define SKIP_UNLESS_AVAILABLE(backend, target)                                                 \
    do {                                                                                       \
        std::string why_;                                                                      \
        if (!gpu::available(backend, &why_)) GTEST_SKIP() << why_;                            \
        if ((backend) == gpu::Backend::cuda && !std::string(target).empty() &&                 \
            std::stoi(std::string(target).substr(std::string(target).find("_sm") + 3)) >      \
                gpu::cuda_compute_capability())                                                \
            GTEST_SKIP() << "the device's compute capability is below " << (target);          \
    } while (0)

gpu::GpuOptions options_for(const GpuCase &c) {
    gpu::GpuOptions o;
    o.backend = c.backend;
    o.variant = c.variant.name;
    o.target = c.target;
    return o;
}

// The GPU operator for a problem, run through host or device memory.
OperatorUnderTest make_gpu(const Problem &q, const ProblemWeights &w, const gpu::GpuOptions &o,
                           gpu::Memory memory) {
    OperatorUnderTest t;
    auto wrap = [&](auto op) {
        t.output_desc = [op](const TensorDesc &in) { return op->output_desc(in); };
        if (memory == gpu::Memory::host) {
            t.run = [op](const ConstTensor &i, const Tensor &out) {
                op->run(i, out, gpu::Memory::host);
            };
            return;
        }
        // Device memory: copy the whole spans (gaps included) to device buffers, run, copy back.
        t.run = [op, o](const ConstTensor &i, const Tensor &out) {
            auto span = [](const TensorDesc &d) {
                const auto s = d.effective_strides();
                return size_t((d.n - 1) * s[0] + (d.h - 1) * s[1] + (d.w - 1) * s[2] + d.c);
            };
            gpu::DeviceBuffer din(span(i.desc), o), dout(span(out.desc), o);
            din.upload(i.data);
            dout.upload(out.data);  // the sentinel gaps, to check they stay untouched
            op->run({din.handle(), i.desc}, {dout.handle(), out.desc}, gpu::Memory::device);
            gpu::synchronize(o);  // run() only enqueued the kernel
            dout.download(out.data);
        };
    };
    switch (q.op) {
    case OpKind::conv2d: wrap(std::make_shared<gpu::Conv2d>(q.conv2d(), w.w1, w.b1, o)); break;
    case OpKind::depthwise:
        wrap(std::make_shared<gpu::Depthwise>(q.depthwise(), w.w1, w.b1, o));
        break;
    case OpKind::pointwise:
        wrap(std::make_shared<gpu::Pointwise>(q.pointwise(), w.w1, w.b1, o));
        break;
    case OpKind::separable:
        wrap(std::make_shared<gpu::Separable>(q.separable(), w.w1, w.b1, w.w2, w.b2, o));
        break;
    }
    return t;
}

class GpuVariantTest : public ::testing::TestWithParam<GpuCase> {};

TEST_P(GpuVariantTest, MatchesReferenceOnGrid) {
    const GpuCase &c = GetParam();
    SKIP_UNLESS_AVAILABLE(c.backend, c.target);
    const gpu::GpuOptions o = options_for(c);
    // Alternate host and device memory, so both paths meet every kind of problem.
    int calls = 0;
    const int run = testing_support::run_grid(c.variant, [&](const Problem &p) {
        const gpu::Memory memory = calls++ % 2 ? gpu::Memory::device : gpu::Memory::host;
        auto result = testing_support::matches_reference(
            p, [&](const Problem &q, const ProblemWeights &w) { return make_gpu(q, w, o, memory); });
        return result << " through " << (memory == gpu::Memory::host ? "host" : "device")
                      << " memory";
    });
    EXPECT_GE(run, testing_support::autoscheduled(c.variant) ? 12 : 20)
        << "too few distinct problems for " << c.variant.name;
}

// An aarch64 build has no GPU kernels, so no cases.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(GpuVariantTest);
INSTANTIATE_TEST_SUITE_P(AllGpuVariants, GpuVariantTest, ::testing::ValuesIn(all_cases()),
                         [](const auto &info) {
                             return info.param.variant.name + "_" + info.param.target;
                         });

class GpuBackendTest : public ::testing::TestWithParam<gpu::Backend> {};

// A MobileNetV1-sized separable block, which takes the schedules' full tiles and (for 512
// intermediate channels) the shared-memory depthwise tile, after an explicit warm-up.
TEST_P(GpuBackendTest, MobileNetBlockAfterWarmUp) {
    SKIP_UNLESS_AVAILABLE(GetParam(), "");
    Problem p;
    p.op = OpKind::separable;
    p.n = 2, p.h = p.w = 14, p.ci = 512, p.co = 512;
    gpu::GpuOptions o;
    o.backend = GetParam();
    o.separable_path = gpu::GpuOptions::SeparablePath::fused;
    EXPECT_TRUE(testing_support::matches_reference(p, [&](const Problem &q, const ProblemWeights &w) {
        auto op = std::make_shared<gpu::Separable>(q.separable(), w.w1, w.b1, w.w2, w.b2, o);
        op->warm_up(TensorDesc::nhwc(q.n, q.h, q.w, q.ci));
        OperatorUnderTest t;
        t.output_desc = [op](const TensorDesc &in) { return op->output_desc(in); };
        t.run = [op](const ConstTensor &i, const Tensor &out) { op->run(i, out, gpu::Memory::host); };
        return t;
    }));
}

// An intermediate too wide for the full shared-memory tile (1600 channels x 32, 16 or 8 pixels
// exceeds 48 KB) takes a narrower block of the separable ladder (4 pixels).
TEST_P(GpuBackendTest, WideIntermediateTakesANarrowerBlock) {
    SKIP_UNLESS_AVAILABLE(GetParam(), "");
    Problem p;
    p.op = OpKind::separable;
    p.n = 1, p.h = 3, p.w = 17, p.ci = 1600, p.co = 8;
    gpu::GpuOptions o;
    o.backend = GetParam();
    o.separable_path = gpu::GpuOptions::SeparablePath::fused;
    EXPECT_TRUE(testing_support::matches_reference(p, [&](const Problem &q, const ProblemWeights &w) {
        return make_gpu(q, w, o, gpu::Memory::host);
    }));
}

// The unfused separable (depthwise kernel, device scratch, pointwise kernel) over the whole
// separable grid, through host and device memory.
TEST_P(GpuBackendTest, UnfusedSeparableMatchesReferenceOnGrid) {
    SKIP_UNLESS_AVAILABLE(GetParam(), "");
    gpu::GpuOptions o;
    o.backend = GetParam();
    o.separable_path = gpu::GpuOptions::SeparablePath::unfused;
    VariantInfo any{};  // no fixed parameters: every grid problem as it is
    any.op = OpKind::separable;
    any.schedule = "hand";
    int calls = 0;
    const int run = testing_support::run_grid(any, [&](const Problem &p) {
        const gpu::Memory memory = calls++ % 2 ? gpu::Memory::device : gpu::Memory::host;
        return testing_support::matches_reference(
            p, [&](const Problem &q, const ProblemWeights &w) {
                gpu::Separable probe(q.separable(), w.w1, w.b1, w.w2, w.b2, o);
                EXPECT_NE(probe.implementation().variant.find(" + pwconv2d"), std::string::npos)
                    << probe.implementation().to_string();
                return make_gpu(q, w, o, memory);
            });
    });
    EXPECT_GE(run, 20);
}

// automatic fuses where a rule of fusion_rules holds and runs the pair (saying why) where none
// does; both give the same result. A named (fused) variant with the unfused path is a
// contradiction.
TEST_P(GpuBackendTest, AutomaticFusesWhereARuleHolds) {
    SKIP_UNLESS_AVAILABLE(GetParam(), "");
    gpu::GpuOptions o;
    o.backend = GetParam();
    const std::vector<gpu::FusionRule> rules = gpu::fusion_rules(GetParam());
    ASSERT_FALSE(rules.empty());
    // For each rule's channel limit and one above it: the largest output any rule fuses at that
    // width (one row of that many pixels, then one more pixel) and a small output.
    std::vector<int> widths;
    for (const auto &r : rules)
        if (r.max_channels) widths.insert(widths.end(), {r.max_channels, r.max_channels + 1});
    if (widths.empty()) widths = {16};
    for (int mid : widths) {
        int64_t fused_up_to = 0;
        for (const auto &r : rules)
            if (!r.max_channels || mid <= r.max_channels) fused_up_to = std::max(fused_up_to, r.max_pixels);
        const std::vector<float> dw(9 * mid, 0.5f), pw(mid * 8, 0.25f);
        SeparableDesc d{mid, 1, 8, Window{3, 3, 1, 1, 1, 1, Padding::same()}, {}, {}};
        gpu::Separable op(d, dw.data(), nullptr, pw.data(), nullptr, o);
        gpu::GpuOptions fused_o = o;
        fused_o.separable_path = gpu::GpuOptions::SeparablePath::fused;
        gpu::Separable fused(d, dw.data(), nullptr, pw.data(), nullptr, fused_o);
        EXPECT_EQ(op.implementation().variant, "dwconv2d_k3x3_s1_m1 + pwconv2d");
        for (int64_t pixels : {int64_t(30), fused_up_to, fused_up_to + 1}) {
            const TensorDesc in = pixels == 30 ? TensorDesc::nhwc(1, 6, 5, mid)
                                               : TensorDesc::nhwc(1, 1, int(pixels), mid);
            const gpu::GpuImplementation &impl = op.implementation(in);
            if (pixels <= fused_up_to) {
                EXPECT_EQ(impl.variant, "sepconv2d_k3x3_s1_m1")
                    << mid << " channels, " << pixels << " pixels: " << impl.to_string();
            } else {
                EXPECT_EQ(impl.variant, "dwconv2d_k3x3_s1_m1 + pwconv2d") << impl.to_string();
                EXPECT_NE(impl.to_string().find("declined fused: " + std::string(gpu::to_string(GetParam())) +
                                                " fuses only for"),
                          std::string::npos)
                    << impl.to_string();
            }
            // Whichever ran gives the fused kernel's result (the grid checks the reference).
            const TensorDesc out = op.output_desc(in);
            std::vector<float> x(in.elements());
            for (size_t i = 0; i < x.size(); i++) x[i] = float(i % 7) - 3.0f;
            std::vector<float> y(out.elements()), z(out.elements());
            op.run({x.data(), in}, {y.data(), out}, gpu::Memory::host);
            fused.run({x.data(), in}, {z.data(), out}, gpu::Memory::host);
            for (size_t i = 0; i < y.size(); i++)
                ASSERT_NEAR(y[i], z[i], 1e-3f * (1 + std::abs(z[i]))) << "at " << i;
        }
    }
    o.separable_path = gpu::GpuOptions::SeparablePath::unfused;
    o.variant = "sepconv2d_generic";
    const std::vector<float> dw(9 * 4, 0.5f), pw(4 * 4, 0.25f);
    try {
        gpu::Separable op(SeparableDesc{4, 1, 4, Window{}, {}, {}}, dw.data(), nullptr, pw.data(),
                          nullptr, o);
        ADD_FAILURE() << "a named fused variant ran unfused";
    } catch (const Error &e) {
        EXPECT_EQ(e.field(), "options.variant");
    }
}

TEST_P(GpuBackendTest, ReportsTheVariantAndTarget) {
    SKIP_UNLESS_AVAILABLE(GetParam(), "");
    gpu::GpuOptions o;
    o.backend = GetParam();
    const std::vector<float> dw(9 * 32, 0.5f), pw(32 * 32, 0.25f);
    SeparableDesc d{32, 1, 32, Window{3, 3, 2, 2, 1, 1, Padding::same()}, {}, {}};
    o.separable_path = gpu::GpuOptions::SeparablePath::fused;
    gpu::Separable op(d, dw.data(), nullptr, pw.data(), nullptr, o);
    const gpu::GpuImplementation &impl = op.implementation();
    EXPECT_EQ(impl.variant, "sepconv2d_k3x3_s2_m1");
    EXPECT_EQ(impl.backend, GetParam());
    EXPECT_FALSE(impl.target.empty());
    EXPECT_NE(impl.to_string().find("declined sepconv2d_k3x3_s1_m1: stride"), std::string::npos)
        << impl.to_string();
    // The pair reports its two kernels, the fused kernel's reason first.
    o.separable_path = gpu::GpuOptions::SeparablePath::unfused;
    gpu::Separable pair(d, dw.data(), nullptr, pw.data(), nullptr, o);
    EXPECT_EQ(pair.implementation().variant, "dwconv2d_k3x3_s2_m1 + pwconv2d");
    EXPECT_EQ(pair.implementation().declined.at(0).variant, "fused");
    EXPECT_EQ(pair.implementation().declined.at(0).reason, "options.separable_path is unfused");
}

// CONVGEN_VERBOSE: the CPU operators' lines, with the GPU target in the ISA's place; a run on
// device memory is marked queued (run() returned before the kernel finished).
TEST_P(GpuBackendTest, VerboseLinesNameTheTarget) {
    SKIP_UNLESS_AVAILABLE(GetParam(), "");
    gpu::GpuOptions o;
    o.backend = GetParam();
    const int before = verbose();
    const std::vector<float> w(16 * 8, 0.5f), x(4 * 4 * 16, 1.0f);
    const TensorDesc in = TensorDesc::nhwc(1, 4, 4, 16);
    set_verbose(1);
    ::testing::internal::CaptureStderr();
    gpu::Pointwise op(PointwiseDesc{16, 8, {}}, w.data(), nullptr, o);
    std::string err = ::testing::internal::GetCapturedStderr();
    const gpu::GpuImplementation &impl = op.implementation();
    EXPECT_NE(err.find("convgen_verbose,create,pointwise,ic16 oc8 act:none," + impl.variant + "," +
                       impl.target + "," + impl.schedule),
              std::string::npos)
        << err;

    set_verbose(2);
    const TensorDesc out = op.output_desc(in);
    std::vector<float> y(out.elements());
    gpu::DeviceBuffer din(in.elements(), o), dout(out.elements(), o);
    din.upload(x.data());
    ::testing::internal::CaptureStderr();
    op.run({x.data(), in}, {y.data(), out}, gpu::Memory::host);
    op.run({din.handle(), in}, {dout.handle(), out}, gpu::Memory::device);
    gpu::synchronize(o);
    err = ::testing::internal::GetCapturedStderr();
    set_verbose(before);
    const std::string line = "convgen_verbose,exec,pointwise,[1,4,4,16]->[1,4,4,8]," +
                             impl.variant + "," + impl.target + ",";
    const size_t host = err.find(line), device = err.find(line, host + 1);
    ASSERT_NE(host, std::string::npos) << err;
    ASSERT_NE(device, std::string::npos) << err;
    EXPECT_NE(err.compare(host + line.size(), 7, "queued,"), 0) << err;
    EXPECT_EQ(err.compare(device + line.size(), 7, "queued,"), 0) << err;
    for (float v : y) ASSERT_FLOAT_EQ(v, 8.0f);  // 16 inputs of 1 x 0.5
}

TEST_P(GpuBackendTest, BadInputIsAnErrorNamingTheField) {
    SKIP_UNLESS_AVAILABLE(GetParam(), "");
    gpu::GpuOptions o;
    o.backend = GetParam();
    const std::vector<float> w(16 * 8, 0.5f);
    gpu::Pointwise op(PointwiseDesc{16, 8, {}}, w.data(), nullptr, o);
    const TensorDesc in = TensorDesc::nhwc(1, 4, 4, 16);
    gpu::DeviceBuffer out(op.output_desc(in).elements(), o);
    try {
        op.run({nullptr, in}, {out.handle(), op.output_desc(in)});
        ADD_FAILURE() << "a null input ran";
    } catch (const Error &e) {
        EXPECT_EQ(e.field(), "input.data");
    }
    try {
        o.variant = "no_such_variant";
        gpu::Pointwise bad(PointwiseDesc{16, 8, {}}, w.data(), nullptr, o);
        ADD_FAILURE() << "an unknown variant was accepted";
    } catch (const Error &e) {
        EXPECT_EQ(e.field(), "options.variant");
    }
}

INSTANTIATE_TEST_SUITE_P(Backends, GpuBackendTest,
                         ::testing::Values(gpu::Backend::cuda, gpu::Backend::opencl),
                         [](const auto &info) { return std::string(gpu::to_string(info.param)); });

// The caller's CUDA context and stream (GpuOptions::cuda_context / cuda_stream, and
// cuda_current_context), with memory the caller allocated in that context: the driver API
// through dlsym, as a CUDA application without the runtime API would hold them.
struct CudaDriver {
    using CUresult = int;
    CUresult (*primary_retain)(void **, int);
    CUresult (*primary_release)(int);
    CUresult (*set_current)(void *);
    CUresult (*stream_create)(void **, unsigned);
    CUresult (*stream_destroy)(void *);
    CUresult (*stream_sync)(void *);
    CUresult (*mem_alloc)(uint64_t *, size_t);
    CUresult (*mem_free)(uint64_t);
    CUresult (*htod)(uint64_t, const void *, size_t);
    CUresult (*dtoh)(void *, uint64_t, size_t);
    CudaDriver() {
        void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL);
        auto sym = [lib](const char *name) { return lib ? dlsym(lib, name) : nullptr; };
        primary_retain = reinterpret_cast<decltype(primary_retain)>(sym("cuDevicePrimaryCtxRetain"));
        primary_release = reinterpret_cast<decltype(primary_release)>(sym("cuDevicePrimaryCtxRelease_v2"));
        set_current = reinterpret_cast<decltype(set_current)>(sym("cuCtxSetCurrent"));
        stream_create = reinterpret_cast<decltype(stream_create)>(sym("cuStreamCreate"));
        stream_destroy = reinterpret_cast<decltype(stream_destroy)>(sym("cuStreamDestroy_v2"));
        stream_sync = reinterpret_cast<decltype(stream_sync)>(sym("cuStreamSynchronize"));
        mem_alloc = reinterpret_cast<decltype(mem_alloc)>(sym("cuMemAlloc_v2"));
        mem_free = reinterpret_cast<decltype(mem_free)>(sym("cuMemFree_v2"));
        htod = reinterpret_cast<decltype(htod)>(sym("cuMemcpyHtoD_v2"));
        dtoh = reinterpret_cast<decltype(dtoh)>(sym("cuMemcpyDtoH_v2"));
    }
};

TEST(GpuCuda, RunsOnTheCallersContextAndStream) {
    SKIP_UNLESS_AVAILABLE(gpu::Backend::cuda, "");
    CudaDriver cu;
    ASSERT_TRUE(cu.primary_retain && cu.dtoh) << "libcuda.so.1 lacks the driver API used here";
    // Twice: the second primary context often gets the address of the first, destroyed one, so
    // this also checks that gpu::release_cuda_context dropped what Halide cached for it.
    for (int round = 0; round < 2; round++) {
    void *ctx = nullptr, *stream = nullptr;
    ASSERT_EQ(cu.primary_retain(&ctx, 0), 0);
    ASSERT_EQ(cu.set_current(ctx), 0);
    ASSERT_EQ(cu.stream_create(&stream, 1 /* CU_STREAM_NON_BLOCKING */), 0);
    // 64 intermediate channels at 2x9x20 outputs: automatic runs this one unfused, the pair's
    // scratch in the caller's context; the fused kernel runs it too.
    for (auto path : {gpu::GpuOptions::SeparablePath::automatic, gpu::GpuOptions::SeparablePath::fused})
    for (bool current : {false, true}) {
        gpu::GpuOptions o;
        o.backend = gpu::Backend::cuda;
        o.cuda_stream = stream;
        o.separable_path = path;
        if (current) o.cuda_current_context = true; else o.cuda_context = ctx;
        Problem p;
        p.op = OpKind::separable;
        p.n = 2, p.h = 9, p.w = 20, p.ci = 64, p.co = 40;
        EXPECT_TRUE(testing_support::matches_reference(p, [&](const Problem &q, const ProblemWeights &w) {
            auto op = std::make_shared<gpu::Separable>(q.separable(), w.w1, w.b1, w.w2, w.b2, o);
            OperatorUnderTest t;
            t.output_desc = [op](const TensorDesc &in) { return op->output_desc(in); };
            t.run = [op, &cu, stream](const ConstTensor &i, const Tensor &out) {
                const size_t in_bytes = i.desc.elements() * sizeof(float);
                const size_t out_bytes = out.desc.elements() * sizeof(float);
                uint64_t din = 0, dout = 0;
                ASSERT_EQ(cu.mem_alloc(&din, in_bytes), 0);
                ASSERT_EQ(cu.mem_alloc(&dout, out_bytes), 0);
                ASSERT_EQ(cu.htod(din, i.data, in_bytes), 0);
                op->run({reinterpret_cast<float *>(din), i.desc},
                        {reinterpret_cast<float *>(dout), out.desc});
                ASSERT_EQ(cu.stream_sync(stream), 0);  // run() only enqueued the kernel
                ASSERT_EQ(cu.dtoh(out.data, dout, out_bytes), 0);
                cu.mem_free(din), cu.mem_free(dout);
            };
            return t;
        })) << (current ? "cuda_current_context" : "cuda_context") << ", round " << round;
    }
    gpu::release_cuda_context(ctx);
    cu.stream_destroy(stream);
    cu.primary_release(0);
    }
}

// Four threads each running `op` five times, through host memory, on a constant input whose
// value is the thread's number t; returns per thread the output values `wrong(t, y)` counted.
template <typename Op, typename Wrong>
std::vector<int> run_concurrently(const Op &op, const TensorDesc &in, Wrong wrong) {
    const TensorDesc out = op.output_desc(in);
    std::vector<std::thread> threads;
    std::vector<int> bad(4, 0);
    for (int t = 0; t < 4; t++) {
        threads.emplace_back([&, t] {
            std::vector<float> x(in.elements(), float(t)), y(out.elements(), -1.0f);
            for (int i = 0; i < 5; i++) {
                op.run({x.data(), in}, {y.data(), out}, gpu::Memory::host);
                bad[t] += wrong(t, y);
            }
        });
    }
    for (auto &th : threads) th.join();
    return bad;
}

// Several threads running one operator at once (run() is const and thread-safe).
TEST_P(GpuBackendTest, ConcurrentRunsOfOneOperator) {
    SKIP_UNLESS_AVAILABLE(GetParam(), "");
    gpu::GpuOptions o;
    o.backend = GetParam();
    const std::vector<float> w(32 * 24, 0.125f), b(24, 1.0f);
    gpu::Pointwise op(PointwiseDesc{32, 24, {}}, w.data(), b.data(), o);
    const auto bad = run_concurrently(op, TensorDesc::nhwc(1, 5, 7, 32),
                                      [](int t, const std::vector<float> &y) {
                                          int n = 0;
                                          for (float v : y) n += v != 1.0f + 32 * 0.125f * t;
                                          return n;
                                      });
    for (int t = 0; t < 4; t++) EXPECT_EQ(bad[t], 0) << "thread " << t;
}

// The same for the unfused separable, whose runs share its device scratch.
TEST_P(GpuBackendTest, ConcurrentRunsOfOneUnfusedSeparable) {
    SKIP_UNLESS_AVAILABLE(GetParam(), "");
    gpu::GpuOptions o;
    o.backend = GetParam();
    o.separable_path = gpu::GpuOptions::SeparablePath::unfused;
    // Depthwise: 9 taps of 0.125 on a constant input gives 1.125 t inside, pointwise sums 32
    // channels x 0.125 of it; the border pixels see fewer taps, so only the inside is checked.
    const std::vector<float> dw(9 * 32, 0.125f), pw(32 * 24, 0.125f);
    SeparableDesc d{32, 1, 24, Window{3, 3, 1, 1, 1, 1, Padding::same()}, {}, {}};
    gpu::Separable op(d, dw.data(), nullptr, pw.data(), nullptr, o);
    const auto bad = run_concurrently(op, TensorDesc::nhwc(1, 5, 7, 32),
                                      [](int t, const std::vector<float> &y) {
                                          int n = 0;
                                          for (int yy = 1; yy < 4; yy++)
                                              for (int xx = 1; xx < 6; xx++)
                                                  for (int c = 0; c < 24; c++)
                                                      n += std::abs(y[(yy * 7 + xx) * 24 + c] -
                                                                    32 * 0.125f * 1.125f * t) > 1e-4f;
                                          return n;
                                      });
    for (int t = 0; t < 4; t++) EXPECT_EQ(bad[t], 0) << "thread " << t;
}

// Where there is no GPU (this is what CI checks for CUDA), asking for one is a convgen::Error
// that says so, not a crash and not a Halide abort.
TEST(GpuUnavailable, IsAnErrorThatSaysSo) {
    for (gpu::Backend b : {gpu::Backend::cuda, gpu::Backend::opencl}) {
        std::string why;
        if (gpu::available(b, &why)) continue;
        gpu::GpuOptions o;
        o.backend = b;
        const std::vector<float> w(9 * 4, 0.5f);
        try {
            gpu::Depthwise op(DepthwiseDesc{4, 1, Window{}, {}}, w.data(), nullptr, o);
            ADD_FAILURE() << "made a " << gpu::to_string(b) << " operator without a device";
        } catch (const Error &e) {
            EXPECT_EQ(e.code(), ErrorCode::unsupported);
            EXPECT_EQ(e.field(), "backend");
            EXPECT_EQ(std::string(e.what()), why);
            EXPECT_NE(why.find(b == gpu::Backend::cuda ? "no CUDA device" : "no OpenCL device"),
                      std::string::npos)
                << why;
        }
    }
}

// available() always sets `why`: empty when the backend can run, the reason when it cannot,
// never a caller's earlier message.
TEST(GpuAvailable, AlwaysSetsWhy) {
    for (gpu::Backend b : {gpu::Backend::cuda, gpu::Backend::opencl}) {
        std::string why = "a caller's stale message";
        if (gpu::available(b, &why)) {
            EXPECT_EQ(why, "") << gpu::to_string(b);
        } else {
            EXPECT_NE(why, "a caller's stale message") << gpu::to_string(b);
            EXPECT_FALSE(why.empty()) << gpu::to_string(b);
        }
    }
}

}  // namespace
