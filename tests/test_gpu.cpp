// The GPU operators: every GPU variant on every compiled target against the naive reference,
// over the same coverage grid as the CPU kernels (problem.cpp), through host and device memory,
// and their errors. Variants come from the GPU dispatch table built from kernels.json.
//
// CUDA needs an NVIDIA GPU (capability >= 8.0): without one every CUDA test reports SKIPPED,
// with the reason, and CTest shows it as skipped, never as passed. OpenCL runs wherever an
// OpenCL device exists; CI has PoCL (Debian pocl-opencl-icd), which runs the GPU schedules'
// kernels on the CPU: the whole grid of all ten OpenCL variants takes about 20 s there.
#include <gtest/gtest.h>

#include <set>

#include "convgen/gpu.h"
#include "problem.h"

using namespace convgen;
using testing_support::OperatorUnderTest;
using testing_support::Problem;
using testing_support::ProblemWeights;

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
    std::set<std::string> seen;
    int run = 0;
    for (const Problem &original : testing_support::grid(c.variant.op)) {
        const Problem p = testing_support::fit_to(original, c.variant);
        if (!p.has_output() || !seen.insert(p.str()).second) continue;
        // Alternate host and device memory, so both paths meet every kind of problem.
        const gpu::Memory memory = run % 2 ? gpu::Memory::device : gpu::Memory::host;
        EXPECT_TRUE(testing_support::matches_reference(
            p, [&](const Problem &q, const ProblemWeights &w) { return make_gpu(q, w, o, memory); }))
            << "through " << (memory == gpu::Memory::host ? "host" : "device") << " memory";
        run++;
    }
    EXPECT_GE(run, 20) << "too few distinct problems for " << c.variant.name;
}

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
    EXPECT_TRUE(testing_support::matches_reference(p, [&](const Problem &q, const ProblemWeights &w) {
        auto op = std::make_shared<gpu::Separable>(q.separable(), w.w1, w.b1, w.w2, w.b2, o);
        op->warm_up(TensorDesc::nhwc(q.n, q.h, q.w, q.ci));
        OperatorUnderTest t;
        t.output_desc = [op](const TensorDesc &in) { return op->output_desc(in); };
        t.run = [op](const ConstTensor &i, const Tensor &out) { op->run(i, out, gpu::Memory::host); };
        return t;
    }));
}

// An intermediate too wide for the full shared-memory tile (1600 channels x 16 or 8 pixels
// exceeds 48 KB) takes a narrower block of the separable ladder.
TEST_P(GpuBackendTest, WideIntermediateTakesANarrowerBlock) {
    SKIP_UNLESS_AVAILABLE(GetParam(), "");
    Problem p;
    p.op = OpKind::separable;
    p.n = 1, p.h = 3, p.w = 17, p.ci = 1600, p.co = 8;
    gpu::GpuOptions o;
    o.backend = GetParam();
    EXPECT_TRUE(testing_support::matches_reference(p, [&](const Problem &q, const ProblemWeights &w) {
        return make_gpu(q, w, o, gpu::Memory::host);
    }));
}

TEST_P(GpuBackendTest, ReportsTheVariantAndTarget) {
    SKIP_UNLESS_AVAILABLE(GetParam(), "");
    gpu::GpuOptions o;
    o.backend = GetParam();
    const std::vector<float> dw(9 * 32, 0.5f), pw(32 * 32, 0.25f);
    SeparableDesc d{32, 1, 32, Window{3, 3, 2, 2, 1, 1, Padding::same()}, {}, {}};
    gpu::Separable op(d, dw.data(), nullptr, pw.data(), nullptr, o);
    EXPECT_EQ(op.implementation().variant, "sepconv2d_k3x3_s2_m1");
    EXPECT_EQ(op.implementation().backend, GetParam());
    EXPECT_FALSE(op.implementation().target.empty());
    EXPECT_NE(op.implementation().to_string().find("declined sepconv2d_k3x3_s1_m1: stride"),
              std::string::npos)
        << op.implementation().to_string();
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

}  // namespace
