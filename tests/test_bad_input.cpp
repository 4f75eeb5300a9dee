// Every error the runtime must report on bad input: each is a convgen::Error with a sensible
// ErrorCode, names the offending field and value, and (for run()) leaves the output unwritten.
// Size checks are fed tiny or dummy buffers on purpose: they must fail before reading memory.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "convgen/convgen.h"

using namespace convgen;

namespace {

constexpr float kSentinel = 12345.0f;
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

const char *code_name(ErrorCode c) {
    switch (c) {
    case ErrorCode::invalid_argument: return "invalid_argument";
    case ErrorCode::unsupported: return "unsupported";
    case ErrorCode::overflow: return "overflow";
    case ErrorCode::kernel_failed: return "kernel_failed";
    }
    return "?";
}

// f must throw convgen::Error with this code and field, and a message containing every
// string in `mentions` (the field's value, or what the check compared it to).
::testing::AssertionResult throws_error(const std::function<void()> &f, ErrorCode code,
                                        const std::string &field,
                                        std::initializer_list<std::string> mentions = {}) {
    try {
        f();
    } catch (const Error &e) {
        const std::string what = e.what();
        if (e.code() != code) {
            return ::testing::AssertionFailure()
                   << "code " << code_name(e.code()) << ", expected " << code_name(code)
                   << " (field '" << e.field() << "': " << what << ")";
        }
        if (e.field() != field) {
            return ::testing::AssertionFailure()
                   << "field '" << e.field() << "', expected '" << field << "': " << what;
        }
        for (const auto &m : mentions) {
            if (what.find(m) == std::string::npos) {
                return ::testing::AssertionFailure()
                       << "message does not mention '" << m << "': " << what;
            }
        }
        return ::testing::AssertionSuccess();
    } catch (const std::exception &e) {
        return ::testing::AssertionFailure() << "threw a non-convgen exception: " << e.what();
    }
    return ::testing::AssertionFailure() << "did not throw (expected " << code_name(code)
                                         << " on '" << field << "')";
}

::testing::AssertionResult all_sentinel(const std::vector<float> &buf) {
    for (size_t i = 0; i < buf.size(); i++) {
        if (buf[i] != kSentinel) {
            return ::testing::AssertionFailure()
                   << "output[" << i << "] = " << buf[i] << " was written by a failed run";
        }
    }
    return ::testing::AssertionSuccess();
}

// One operator of any kind, described by the fields the tests break one at a time.
struct Spec {
    OpKind op = OpKind::conv2d;
    int ci = 4, co = 6, multiplier = 1;  // depthwise ignores co (= ci * multiplier)
    Window window{3, 3, 1, 1, 1, 1, Padding::symmetric(1)};
    Activation act = Activation::relu();
    Activation dw_act = Activation::relu6();  // separable only
    OperatorOptions options;
    enum class Weights { real, null, tiny } weights = Weights::real;
    bool null_pw_weights = false;  // separable only

    int out_channels() const { return op == OpKind::depthwise ? ci * multiplier : co; }
};

using Runner = std::function<void(const ConstTensor &, const Tensor &)>;

// Weights for s, or a 4-float dummy when the sizes are meant to be rejected before any read.
struct WeightStore {
    std::vector<float> w1, b1, w2, b2;
    float tiny[4] = {0.5f, 0.5f, 0.5f, 0.5f};
};

// Constructs the operator (which may throw) and returns a runner that keeps it alive.
Runner build(const Spec &s) {
    auto store = std::make_shared<WeightStore>();
    const int64_t kh = s.window.kernel_h, kw = s.window.kernel_w;
    const int64_t mid = int64_t(s.ci) * s.multiplier;
    const bool real = s.weights == Spec::Weights::real;
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    auto fill = [&](std::vector<float> &v, int64_t count) {
        v.resize(count);
        for (auto &x : v) x = dist(rng);
    };
    const float *w1 = store->tiny, *w2 = store->tiny;
    if (real) {
        switch (s.op) {
        case OpKind::conv2d: fill(store->w1, kh * kw * s.ci * s.co); break;
        case OpKind::depthwise: fill(store->w1, kh * kw * mid); break;
        case OpKind::pointwise: fill(store->w1, int64_t(s.ci) * s.co); break;
        case OpKind::separable:
            fill(store->w1, kh * kw * mid);
            fill(store->w2, mid * s.co);
            w2 = store->w2.data();
            break;
        }
        fill(store->b1, std::max<int64_t>(mid, s.co));
        fill(store->b2, s.co);
        w1 = store->w1.data();
    }
    if (s.weights == Spec::Weights::null) w1 = nullptr;
    if (s.null_pw_weights) w2 = nullptr;
    const float *b1 = real ? store->b1.data() : nullptr;
    const float *b2 = real ? store->b2.data() : nullptr;
    switch (s.op) {
    case OpKind::conv2d: {
        auto op = std::make_shared<Conv2d>(Conv2dDesc{s.ci, s.co, s.window, s.act}, w1, b1,
                                           s.options);
        return [op, store](auto &i, auto &o) { op->run(i, o); };
    }
    case OpKind::depthwise: {
        auto op = std::make_shared<Depthwise>(
            DepthwiseDesc{s.ci, s.multiplier, s.window, s.act}, w1, b1, s.options);
        return [op, store](auto &i, auto &o) { op->run(i, o); };
    }
    case OpKind::pointwise: {
        auto op =
            std::make_shared<Pointwise>(PointwiseDesc{s.ci, s.co, s.act}, w1, b1, s.options);
        return [op, store](auto &i, auto &o) { op->run(i, o); };
    }
    case OpKind::separable: {
        auto op = std::make_shared<Separable>(
            SeparableDesc{s.ci, s.multiplier, s.co, s.window, s.dw_act, s.act}, w1, b1, w2, b2,
            s.options);
        return [op, store](auto &i, auto &o) { op->run(i, o); };
    }
    }
    return {};
}

// A valid op with a valid 2x5x6 input and its output, both in buffers larger than needed and
// the output filled with the sentinel; tests break one thing, run, and check nothing changed.
struct RunCase {
    Spec spec;
    Runner run;
    std::vector<float> in, out;
    TensorDesc in_desc, out_desc;

    explicit RunCase(OpKind op) {
        spec.op = op;
        if (op == OpKind::pointwise) spec.window = Window{1, 1, 1, 1, 1, 1, Padding::valid()};
        run = build(spec);
        in_desc = TensorDesc::nhwc(2, 5, 6, spec.ci);
        // 3x3 pad 1 stride 1 (or 1x1) keeps the spatial size.
        out_desc = TensorDesc::nhwc(2, 5, 6, spec.out_channels());
        std::mt19937 rng(11);
        std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
        in.resize(4096);
        for (auto &x : in) x = dist(rng);
        out.assign(4096, kSentinel);
    }
    ConstTensor input() const { return {in.data(), in_desc}; }
    Tensor output() { return {out.data(), out_desc}; }
    ::testing::AssertionResult fails(const ConstTensor &i, const Tensor &o, ErrorCode code,
                                     const std::string &field,
                                     std::initializer_list<std::string> mentions = {}) {
        return throws_error([&] { run(i, o); }, code, field, mentions);
    }
};

std::string op_name(const ::testing::TestParamInfo<OpKind> &info) {
    return to_string(info.param);
}

// ---- errors every op reports ---------------------------------------------------------------

class AllOps : public ::testing::TestWithParam<OpKind> {};

TEST_P(AllOps, ValidCaseRuns) {
    // The base case the other tests break must itself run, or they prove nothing.
    RunCase c(GetParam());
    ASSERT_NO_THROW(c.run(c.input(), c.output()));
    const int64_t elements = c.out_desc.elements();
    for (int64_t i = 0; i < elements; i++) ASSERT_NE(c.out[i], kSentinel) << i;
    for (size_t i = elements; i < c.out.size(); i++) ASSERT_EQ(c.out[i], kSentinel) << i;
}

TEST_P(AllOps, NullInputData) {
    RunCase c(GetParam());
    EXPECT_TRUE(c.fails({nullptr, c.in_desc}, c.output(), ErrorCode::invalid_argument,
                        "input.data", {"input.data", "null"}));
    EXPECT_TRUE(all_sentinel(c.out));
}

TEST_P(AllOps, NullOutputData) {
    RunCase c(GetParam());
    EXPECT_TRUE(c.fails(c.input(), {nullptr, c.out_desc}, ErrorCode::invalid_argument,
                        "output.data", {"output.data", "null"}));
}

TEST_P(AllOps, NullWeights) {
    Spec s;
    s.op = GetParam();
    s.weights = Spec::Weights::null;
    const std::string field = s.op == OpKind::separable ? "dw_weights" : "weights";
    EXPECT_TRUE(throws_error([&] { build(s); }, ErrorCode::invalid_argument, field,
                             {field, "null"}));
}

TEST_P(AllOps, ZeroOrNegativeChannels) {
    const OpKind op = GetParam();
    const std::string in_field = op == OpKind::depthwise ? "desc.channels" : "desc.in_channels";
    for (int bad : {0, -3}) {
        Spec s;
        s.op = op;
        s.ci = bad;
        s.weights = Spec::Weights::tiny;
        EXPECT_TRUE(throws_error([&] { build(s); }, ErrorCode::invalid_argument, in_field,
                                 {in_field + " = " + std::to_string(bad)}));
        if (op == OpKind::depthwise) continue;  // its out channels are derived
        s = Spec{};
        s.op = op;
        s.co = bad;
        s.weights = Spec::Weights::tiny;
        EXPECT_TRUE(throws_error([&] { build(s); }, ErrorCode::invalid_argument,
                                 "desc.out_channels",
                                 {"desc.out_channels = " + std::to_string(bad)}));
    }
}

TEST_P(AllOps, InputZeroOrNegativeSizes) {
    RunCase c(GetParam());
    const char *names[4] = {"n", "h", "w", "c"};
    for (int dim = 0; dim < 4; dim++) {
        for (int64_t bad : {0, -2}) {
            TensorDesc d = c.in_desc;
            int64_t *fields[4] = {&d.n, &d.h, &d.w, &d.c};
            *fields[dim] = bad;
            const std::string field = std::string("input.") + names[dim];
            EXPECT_TRUE(c.fails({c.in.data(), d}, c.output(), ErrorCode::invalid_argument, field,
                                {field + " = " + std::to_string(bad)}));
        }
    }
    EXPECT_TRUE(all_sentinel(c.out));
}

TEST_P(AllOps, InputChannelsMismatch) {
    RunCase c(GetParam());
    TensorDesc d = c.in_desc;
    d.c = c.spec.ci + 1;
    EXPECT_TRUE(c.fails({c.in.data(), d}, c.output(), ErrorCode::invalid_argument, "input.c",
                        {"input.c = 5", std::to_string(c.spec.ci)}));
    EXPECT_TRUE(all_sentinel(c.out));
}

TEST_P(AllOps, OutputShapeMismatch) {
    RunCase c(GetParam());
    const char *names[4] = {"n", "h", "w", "c"};
    for (int dim = 0; dim < 4; dim++) {
        for (int64_t delta : {-1, 1}) {
            TensorDesc d = c.out_desc;
            int64_t *fields[4] = {&d.n, &d.h, &d.w, &d.c};
            *fields[dim] += delta;
            const std::string field = std::string("output.") + names[dim];
            EXPECT_TRUE(c.fails(c.input(), {c.out.data(), d}, ErrorCode::invalid_argument, field,
                                {field + " = " + std::to_string(*fields[dim])}));
        }
    }
    EXPECT_TRUE(all_sentinel(c.out));
}

TEST_P(AllOps, ChannelStrideNotOne) {
    RunCase c(GetParam());
    TensorDesc in = c.in_desc, out = c.out_desc;
    // Channel stride 2 with room for it; everything else well formed.
    in.strides = {in.h * in.w * in.c * 2, in.w * in.c * 2, in.c * 2, 2};
    EXPECT_TRUE(c.fails({c.in.data(), in}, c.output(), ErrorCode::unsupported,
                        "input.strides[3]", {"= 2"}));
    out.strides = {out.h * out.w * out.c * 2, out.w * out.c * 2, out.c * 2, 2};
    EXPECT_TRUE(c.fails(c.input(), {c.out.data(), out}, ErrorCode::unsupported,
                        "output.strides[3]", {"= 2"}));
    EXPECT_TRUE(all_sentinel(c.out));
}

TEST_P(AllOps, OverlappingStrides) {
    RunCase c(GetParam());
    // Pixel stride smaller than the channel count: pixels would share elements.
    TensorDesc in = c.in_desc;
    in.strides = {in.h * in.w * in.c, in.w * in.c, in.c - 1, 1};
    EXPECT_TRUE(c.fails({c.in.data(), in}, c.output(), ErrorCode::invalid_argument,
                        "input.strides[2]", {std::to_string(in.c - 1)}));
    // Row stride smaller than a row.
    TensorDesc out = c.out_desc;
    out.strides = {out.h * out.w * out.c, out.w * out.c - 1, out.c, 1};
    EXPECT_TRUE(c.fails(c.input(), {c.out.data(), out}, ErrorCode::invalid_argument,
                        "output.strides[1]", {std::to_string(out.w * out.c - 1)}));
    // Image stride smaller than an image.
    out.strides = {out.h * out.w * out.c - 1, out.w * out.c, out.c, 1};
    EXPECT_TRUE(c.fails(c.input(), {c.out.data(), out}, ErrorCode::invalid_argument,
                        "output.strides[0]"));
    EXPECT_TRUE(all_sentinel(c.out));
}

// A dimension of extent 1 is never stepped: any non-negative stride is accepted for it (e.g.
// strides[0] = 0 for a single image, or a row stride of 0 for a one-row tensor), and the
// result is the dense one.
TEST_P(AllOps, StrideOfAnExtentOneDimensionIsFree) {
    RunCase c(GetParam());
    TensorDesc in = TensorDesc::nhwc(1, c.in_desc.h, c.in_desc.w, c.in_desc.c);
    const TensorDesc out = TensorDesc::nhwc(1, c.out_desc.h, c.out_desc.w, c.out_desc.c);
    std::vector<float> want(out.elements()), got(out.elements());
    ConstTensor dense{c.in.data(), in};
    Tensor want_out{want.data(), out}, got_out{got.data(), out};
    c.run(dense, want_out);
    in.strides = {0, in.w * in.c, in.c, 1};
    ConstTensor strided{c.in.data(), in};
    EXPECT_NO_THROW(c.run(strided, got_out));
    EXPECT_EQ(got, want);
}

TEST_P(AllOps, OutputOverlapsInput) {
    RunCase c(GetParam());
    // One buffer holding the input, the output placed on top of it (in place) or partly on it.
    const std::vector<float> before = c.in;
    for (int64_t offset : {int64_t(0), int64_t(7), c.in_desc.elements() - 1}) {
        Tensor out{c.in.data() + offset, c.out_desc};
        EXPECT_TRUE(c.fails(c.input(), out, ErrorCode::unsupported, "output.data",
                            {"overlaps"}))
            << "output at input + " << offset;
    }
    // Output whose last element is the input's first, in a separate buffer.
    std::vector<float> buf(8192, kSentinel);
    const int64_t out_elems = c.out_desc.elements();
    std::memcpy(buf.data() + out_elems - 1, c.in.data(), c.in_desc.elements() * sizeof(float));
    const std::vector<float> buf_before = buf;
    EXPECT_TRUE(c.fails({buf.data() + out_elems - 1, c.in_desc}, {buf.data(), c.out_desc},
                        ErrorCode::unsupported, "output.data"));
    EXPECT_EQ(buf, buf_before);
    EXPECT_EQ(c.in, before) << "a rejected in-place run wrote its buffer";
}

TEST_P(AllOps, InvalidClamp) {
    const OpKind op = GetParam();
    for (auto [lo, hi] : {std::pair{1.0f, 0.5f}, {kNaN, 1.0f}, {0.0f, kNaN}}) {
        Spec s;
        s.op = op;
        s.act = Activation::clamp(lo, hi);
        EXPECT_TRUE(throws_error([&] { build(s); }, ErrorCode::invalid_argument,
                                 "desc.activation", {"clamp"}))
            << lo << ", " << hi;
        if (op != OpKind::separable) continue;
        s = Spec{};
        s.op = op;
        s.dw_act = Activation::clamp(lo, hi);
        EXPECT_TRUE(throws_error([&] { build(s); }, ErrorCode::invalid_argument,
                                 "desc.dw_activation", {"clamp"}))
            << lo << ", " << hi;
    }
    // The value in the message, so the user sees which bound is wrong.
    Spec s;
    s.op = op;
    s.act = Activation::clamp(2.0f, 1.0f);
    EXPECT_TRUE(throws_error([&] { build(s); }, ErrorCode::invalid_argument, "desc.activation",
                             {"2.0", "1.0"}));
}

TEST_P(AllOps, UnknownVariant) {
    Spec s;
    s.op = GetParam();
    if (s.op == OpKind::pointwise) s.window = Window{1, 1, 1, 1, 1, 1, Padding::valid()};
    s.options.variant = "conv2d_k9x9_s7";
    EXPECT_TRUE(throws_error([&] { build(s); }, ErrorCode::unsupported, "options.variant",
                             {"conv2d_k9x9_s7"}));
    // A real variant of another op is not one of this op's.
    s.options.variant = s.op == OpKind::pointwise ? "conv2d_generic" : "pwconv2d";
    EXPECT_TRUE(throws_error([&] { build(s); }, ErrorCode::unsupported, "options.variant",
                             {s.options.variant, to_string(s.op)}));
}

TEST_P(AllOps, HugeInputDescFailsBeforeReading) {
    RunCase c(GetParam());
    // 2^40 pixels described over a 4096-float buffer: only validation stands between the
    // kernel and a wild read.
    const TensorDesc huge = TensorDesc::nhwc(int64_t(1) << 20, int64_t(1) << 20, 1, c.spec.ci);
    EXPECT_TRUE(c.fails({c.in.data(), huge}, c.output(), ErrorCode::overflow, "input",
                        {"1048576", "2^31"}));
    // Just over 2^31 bytes: 2^29 floats, elements fit easily in int64 and int32 extents.
    const TensorDesc edge = TensorDesc::nhwc(1, int64_t(1) << 27, 1, c.spec.ci);
    EXPECT_TRUE(c.fails({c.in.data(), edge}, c.output(), ErrorCode::overflow, "input"));
    // Few elements, but strides spanning more than 2^31 bytes.
    TensorDesc spread = c.in_desc;
    spread.n = 2;
    spread.strides = {int64_t(1) << 30, spread.w * spread.c, spread.c, 1};
    EXPECT_TRUE(c.fails({c.in.data(), spread}, c.output(), ErrorCode::overflow, "input",
                        {"spans"}));
    // A stride beyond int32 is refused as such.
    spread.strides[0] = int64_t(1) << 40;
    EXPECT_TRUE(c.fails({c.in.data(), spread}, c.output(), ErrorCode::overflow,
                        "input.strides[0]", {"1099511627776"}));
    // And an output whose shape product overflows int64 outright.
    TensorDesc out = TensorDesc::nhwc(int64_t(1) << 40, int64_t(1) << 40, 1, c.out_desc.c);
    EXPECT_TRUE(c.fails(c.input(), {c.out.data(), out}, ErrorCode::overflow, "output"));
    EXPECT_TRUE(all_sentinel(c.out));
}

INSTANTIATE_TEST_SUITE_P(BadInput, AllOps,
                         ::testing::Values(OpKind::conv2d, OpKind::depthwise, OpKind::pointwise,
                                           OpKind::separable),
                         op_name);

// ---- errors of the windowed ops ------------------------------------------------------------

class WindowedOps : public ::testing::TestWithParam<OpKind> {};

TEST_P(WindowedOps, ZeroKernel) {
    for (bool height : {true, false}) {
        Spec s;
        s.op = GetParam();
        s.weights = Spec::Weights::tiny;
        (height ? s.window.kernel_h : s.window.kernel_w) = 0;
        const std::string field = height ? "desc.window.kernel_h" : "desc.window.kernel_w";
        EXPECT_TRUE(throws_error([&] { build(s); }, ErrorCode::invalid_argument, field,
                                 {field + " = 0"}));
    }
}

TEST_P(WindowedOps, ZeroOrNegativeStride) {
    for (int bad : {0, -1}) {
        for (bool height : {true, false}) {
            Spec s;
            s.op = GetParam();
            (height ? s.window.stride_h : s.window.stride_w) = bad;
            const std::string field = height ? "desc.window.stride_h" : "desc.window.stride_w";
            EXPECT_TRUE(throws_error([&] { build(s); }, ErrorCode::invalid_argument, field,
                                     {field + " = " + std::to_string(bad)}));
        }
    }
}

TEST_P(WindowedOps, ZeroDilation) {
    for (bool height : {true, false}) {
        Spec s;
        s.op = GetParam();
        (height ? s.window.dilation_h : s.window.dilation_w) = 0;
        const std::string field = height ? "desc.window.dilation_h" : "desc.window.dilation_w";
        EXPECT_TRUE(throws_error([&] { build(s); }, ErrorCode::invalid_argument, field,
                                 {field + " = 0"}));
    }
}

TEST_P(WindowedOps, HugeWindowParameters) {
    // Beyond 2^24 the kernels' int32 index arithmetic could overflow.
    Spec s;
    s.op = GetParam();
    s.window.stride_w = 1 << 30;
    EXPECT_TRUE(throws_error([&] { build(s); }, ErrorCode::overflow, "desc.window.stride_w",
                             {std::to_string(1 << 30)}));
    s = Spec{};
    s.op = GetParam();
    s.window.dilation_h = 1 << 23;  // fine alone, but the dilated 3x3 kernel spans 2^24 + 1
    EXPECT_TRUE(throws_error([&] { build(s); }, ErrorCode::overflow,
                             "desc.window.dilated kernel_h"));
}

TEST_P(WindowedOps, NegativePadding) {
    const char *sides[4] = {"top", "left", "bottom", "right"};
    for (int side = 0; side < 4; side++) {
        Spec s;
        s.op = GetParam();
        int *pads[4] = {&s.window.padding.top, &s.window.padding.left,
                        &s.window.padding.bottom, &s.window.padding.right};
        *pads[side] = -1;
        const std::string field = std::string("desc.window.padding.") + sides[side];
        EXPECT_TRUE(throws_error([&] { build(s); }, ErrorCode::invalid_argument, field,
                                 {field + " = -1"}));
    }
}

TEST_P(WindowedOps, PaddingLeavesNoOutput) {
    struct NoOutput {
        Window window;
        const char *dilated;  // the dilated kernel the message must mention
        const char *field;    // the padding where the failing axis has some, else the kernel
    };
    const NoOutput cases[] = {
        {Window{5, 5, 1, 1, 1, 1, Padding::valid()}, "5x5", "desc.window.kernel_h"},
        {Window{5, 5, 1, 1, 1, 1, Padding::symmetric(1)}, "5x5", "desc.window.padding"},  // 2 + 2 < 5
        {Window{3, 3, 1, 1, 3, 3, Padding::valid()}, "7x7", "desc.window.kernel_h"},  // dilation 3
        {Window{1, 5, 2, 2, 1, 1, Padding::explicit_pads(0, 0, 0, 2)}, "1x5",
         "desc.window.padding"},  // w only
        {Window{1, 5, 1, 1, 1, 1, Padding::valid()}, "1x5", "desc.window.kernel_w"},  // w only
    };
    for (const auto &k : cases) {
        Spec s;
        s.op = GetParam();
        s.window = k.window;
        RunCase c(GetParam());
        c.spec = s;
        c.run = build(s);
        c.in_desc = TensorDesc::nhwc(1, 2, 2, s.ci);
        c.out_desc = TensorDesc::nhwc(1, 1, 1, s.out_channels());
        EXPECT_TRUE(c.fails(c.input(), c.output(), ErrorCode::invalid_argument, k.field,
                            {k.dilated, "no output"}))
            << k.dilated;
        EXPECT_TRUE(all_sentinel(c.out));
        // output_desc(), which callers use to size the output, refuses the same way.
        EXPECT_TRUE(throws_error(
            [&] { convgen::output_desc(s.window, s.out_channels(), c.in_desc); },
            ErrorCode::invalid_argument, k.field));
    }
}

TEST_P(WindowedOps, ForcedVariantDeclines) {
    Spec s;
    s.op = GetParam();
    std::string variant, reason;
    switch (s.op) {
    case OpKind::conv2d:
        variant = "conv2d_k3x3_s1", reason = "kernel 5x5";
        s.window = Window{5, 5, 1, 1, 1, 1, Padding::symmetric(2)};
        break;
    case OpKind::depthwise:
        variant = "dwconv2d_k3x3_s1_m1", reason = "channel multiplier 2";
        s.multiplier = 2;
        break;
    default:
        variant = "sepconv2d_k3x3_s2_m1", reason = "stride 1x1";
        break;
    }
    s.options.variant = variant;
    EXPECT_TRUE(throws_error([&] { build(s); }, ErrorCode::unsupported, "options.variant",
                             {variant, reason}));
}

INSTANTIATE_TEST_SUITE_P(BadInput, WindowedOps,
                         ::testing::Values(OpKind::conv2d, OpKind::depthwise,
                                           OpKind::separable),
                         op_name);

// ---- op-specific errors --------------------------------------------------------------------

TEST(BadInput, ZeroOrNegativeMultiplier) {
    for (OpKind op : {OpKind::depthwise, OpKind::separable}) {
        for (int bad : {0, -2}) {
            Spec s;
            s.op = op;
            s.multiplier = bad;
            s.weights = Spec::Weights::tiny;
            EXPECT_TRUE(throws_error([&] { build(s); }, ErrorCode::invalid_argument,
                                     "desc.multiplier",
                                     {"desc.multiplier = " + std::to_string(bad)}))
                << to_string(op);
        }
    }
}

// An unfused Separable (4 output channels: below the fusion rule) whose depthwise intermediate
// (1024 x 2048 x 256 floats = 2 GiB) exceeds the kernels' limit, though input and output do
// not: the error names the intermediate, and comes before any scratch is grown for it.
TEST(BadInput, SeparableIntermediateOverTheLimit) {
    const SeparableDesc d{1, 256, 4, Window{3, 3, 1, 1, 1, 1, Padding::same()}, {}, {}};
    const std::vector<float> dw(9 * 256, 0.1f), pw(256 * 4, 0.1f);
    const Separable op(d, dw.data(), nullptr, pw.data(), nullptr);
    ASSERT_NE(op.implementation().variant.find('+'), std::string::npos)
        << op.implementation().to_string();
    const TensorDesc in = TensorDesc::nhwc(1, 1024, 2048, 1), out = op.output_desc(in);
    std::vector<float> x(in.elements(), 1.0f), y(out.elements(), -7.0f);
    EXPECT_TRUE(throws_error([&] { op.run({x.data(), in}, {y.data(), out}); }, ErrorCode::overflow,
                             "intermediate", {"intermediate", "2^31"}));
    EXPECT_EQ(y.front(), -7.0f);
    EXPECT_EQ(y.back(), -7.0f);
}

// The PyTorch converters: sizes whose product wraps, or exceeds the kernels' limit, are
// Errors naming the sizes (before: a wrapped count, then writes past the buffer), and nothing
// is read from the (small) source array.
TEST(BadInput, PytorchConvertersCheckTheirSizes) {
    const std::vector<float> src(16, 1.0f);
    const int max = std::numeric_limits<int>::max();
    EXPECT_TRUE(throws_error([&] { pytorch::conv2d_weights(src.data(), 65536, 65536, 65536, 65536); },
                             ErrorCode::overflow, "out_channels * in_channels * kernel_h * kernel_w",
                             {"2^31"}));
    EXPECT_TRUE(throws_error([&] { pytorch::conv2d_weights(src.data(), max, max, 1, 1); },
                             ErrorCode::overflow, "out_channels * in_channels * kernel_h * kernel_w"));
    EXPECT_TRUE(throws_error([&] { pytorch::depthwise_weights(src.data(), max, 3, 3); },
                             ErrorCode::overflow, "out_channels * kernel_h * kernel_w"));
    EXPECT_TRUE(throws_error([&] { pytorch::pointwise_weights(src.data(), 1 << 16, 1 << 15); },
                             ErrorCode::overflow, "out_channels * in_channels"));
    EXPECT_TRUE(throws_error([&] { pytorch::pointwise_weights(src.data(), -4, 4); },
                             ErrorCode::invalid_argument, "out_channels"));
    // Within the limit they convert.
    EXPECT_EQ(pytorch::pointwise_weights(src.data(), 4, 4).size(), 16u);
}

TEST(BadInput, SeparableNullPointwiseWeights) {
    Spec s;
    s.op = OpKind::separable;
    s.null_pw_weights = true;
    EXPECT_TRUE(throws_error([&] { build(s); }, ErrorCode::invalid_argument, "pw_weights",
                             {"pw_weights", "null"}));
}

// Weight arrays past 2^31 bytes, given a 4-float dummy: the size check must come before the
// copy into the operator, or the constructor reads gigabytes past the dummy.
TEST(BadInput, WeightBytesOverflow) {
    struct Huge {
        OpKind op;
        int ci, co, multiplier, k;
        const char *field;
    };
    const Huge cases[] = {
        {OpKind::conv2d, 1 << 14, 1 << 14, 1, 3, "weights"},  // 9 * 2^28 floats
        {OpKind::conv2d, 1 << 15, 1 << 14, 1, 1, "weights"},  // exactly 2^31 bytes
        {OpKind::conv2d, 1 << 16, 1 << 16, 1, 3, "weights"},  // ci * co overflows int32
        {OpKind::pointwise, 1 << 16, 1 << 16, 1, 1, "weights"},
        {OpKind::pointwise, std::numeric_limits<int>::max(), 2, 1, 1, "weights"},
        {OpKind::depthwise, 1 << 28, 0, 1, 3, "weights"},  // 9 * 2^28 floats
        {OpKind::depthwise, 1 << 20, 0, 1 << 10, 3, "desc.channels * desc.multiplier"},
        // channels * multiplier overflows int: must not wrap to a small positive count.
        {OpKind::depthwise, std::numeric_limits<int>::max(), 0, 2, 3,
         "desc.channels * desc.multiplier"},
        {OpKind::depthwise, 1 << 16, 0, 1 << 16, 1, "desc.channels * desc.multiplier"},
        {OpKind::separable, 1 << 16, 1 << 16, 1, 3, "pw_weights"},
        {OpKind::separable, 1 << 28, 4, 1, 3, "dw_weights"},
        {OpKind::separable, 1 << 16, 4, 1 << 16, 3, "desc.in_channels * desc.multiplier"},
    };
    for (const auto &h : cases) {
        Spec s;
        s.op = h.op;
        s.ci = h.ci, s.co = h.co, s.multiplier = h.multiplier;
        s.window.kernel_h = s.window.kernel_w = h.k;
        s.weights = Spec::Weights::tiny;
        EXPECT_TRUE(throws_error([&] { build(s); }, ErrorCode::overflow, h.field,
                                 {"2^31"}))
            << to_string(h.op) << " ci " << h.ci << " co " << h.co << " m " << h.multiplier
            << " k " << h.k;
    }
}

TEST(BadInput, UnknownPaddingModeAndActivationKind) {
    Spec s;
    s.window.padding.mode = static_cast<Padding::Mode>(7);
    EXPECT_TRUE(throws_error([&] { build(s); }, ErrorCode::invalid_argument,
                             "desc.window.padding.mode", {"7"}));
    s = Spec{};
    s.op = OpKind::pointwise;
    s.act.kind = static_cast<Activation::Kind>(9);
    EXPECT_TRUE(throws_error([&] { build(s); }, ErrorCode::invalid_argument,
                             "desc.activation.kind", {"9"}));
}

TEST(BadInput, UnsupportedDtype) {
    RunCase c(OpKind::conv2d);
    TensorDesc d = c.in_desc;
    d.dtype = static_cast<DataType>(1);  // no such type yet: must not be read as f32
    EXPECT_TRUE(c.fails({c.in.data(), d}, c.output(), ErrorCode::unsupported, "input.dtype"));
    EXPECT_TRUE(all_sentinel(c.out));
}

// The stride of an extent-1 dimension never moves the span, but the kernels still take it as
// an int32: validation must refuse it rather than let it wrap.
TEST(BadInput, UnitExtentStrideBeyondInt32) {
    RunCase c(OpKind::conv2d);
    TensorDesc in = TensorDesc::nhwc(1, 1, 6, c.spec.ci);
    const TensorDesc out = TensorDesc::nhwc(1, 1, 6, c.spec.out_channels());
    in.strides = {int64_t(1) << 32, int64_t(1) << 31, in.c, 1};
    EXPECT_TRUE(c.fails({c.in.data(), in}, {c.out.data(), out}, ErrorCode::overflow,
                        "input.strides[0]"));
    EXPECT_TRUE(all_sentinel(c.out));
}

// ---- process-wide settings -----------------------------------------------------------------

TEST(BadInput, SetNumThreadsBelowOne) {
    const int before = num_threads();
    for (int bad : {0, -4}) {
        EXPECT_TRUE(throws_error([&] { set_num_threads(bad); }, ErrorCode::invalid_argument,
                                 "threads", {"threads = " + std::to_string(bad)}));
    }
    // Above the maximum: refused with the limit named, not silently capped.
    EXPECT_TRUE(throws_error([&] { set_num_threads(100000); }, ErrorCode::invalid_argument,
                             "threads", {"threads = 100000", "1024"}));
    EXPECT_EQ(num_threads(), before) << "a rejected thread count changed the pool";
}

TEST(BadInput, UnknownIsaName) {
    for (const char *bad : {"NEON", "", "AVX2", "avx", "sve"}) {
        EXPECT_TRUE(throws_error([&] { isa_from_string(bad); }, ErrorCode::invalid_argument,
                                 "isa", {"'" + std::string(bad) + "'"}))
            << bad;
    }
    // The valid names (every level of kernels.json isa_targets) round-trip, so the rejection
    // above is about the name alone.
#define CONVGEN_TEST_ISA(name, arch) Isa::name,
    for (Isa isa : {CONVGEN_ISAS(CONVGEN_TEST_ISA)}) {
        EXPECT_EQ(isa_from_string(to_string(isa)), isa);
    }
#undef CONVGEN_TEST_ISA
}

TEST(BadInput, ForeignArchitectureIsa) {
    // A level of another architecture cannot cap this one: neon on x86-64, avx2 on AArch64.
    const Isa foreign = native_isas().front() == Isa::neon ? Isa::avx2 : Isa::neon;
    const Isa before = max_isa();
    EXPECT_TRUE(throws_error([&] { set_max_isa(foreign); }, ErrorCode::invalid_argument, "isa",
                             {to_string(foreign)}));
    EXPECT_EQ(max_isa(), before) << "a rejected cap changed the setting";
    OperatorOptions o;
    o.max_isa = foreign;
    const std::vector<float> w(16 * 8, 0.1f);
    EXPECT_TRUE(throws_error([&] { Pointwise op({16, 8, Activation::none()}, w.data(), nullptr, o); },
                             ErrorCode::invalid_argument, "options.max_isa", {to_string(foreign)}));
}

}  // namespace
