// abi/kernel_abi.h: the argument structs call kernels in the listed order, and the metadata
// check catches a generator whose arguments no longer match (the runtime runs it on every
// kernel it selects; the correctness grid selects every variant at every ISA).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kernel_abi.h"
#include "weight_layout.h"

namespace cabi = convgen::abi;  // (the global ::abi is libstdc++'s cxxabi)

namespace {

// Metadata as Halide writes it for a kernel declaring `names` (kinds from the ABI).
template <template <typename> class Args>
struct FakeMetadata {
    std::vector<halide_filter_argument_t> args;
    halide_filter_metadata_t metadata{};
    explicit FakeMetadata(std::vector<std::string> names, bool user_context = false)
        : names_(std::move(names)) {
        using A = Args<halide_buffer_t *>;
        if (user_context) {
            halide_filter_argument_t uc{};
            uc.name = "__user_context";
            uc.kind = halide_argument_kind_input_scalar;
            uc.type = halide_type_t(halide_type_handle, 64);
            args.push_back(uc);
        }
        for (size_t i = 0; i < names_.size(); i++) {
            halide_filter_argument_t a{};
            a.name = names_[i].c_str();
            const cabi::ArgKind k = A::kinds[i < std::size(A::kinds) ? i : 0];
            a.kind = k == cabi::ArgKind::output   ? halide_argument_kind_output_buffer
                     : k == cabi::ArgKind::buffer ? halide_argument_kind_input_buffer
                                                 : halide_argument_kind_input_scalar;
            a.type = halide_type_t(k == cabi::ArgKind::i32 ? halide_type_int : halide_type_float, 32);
            a.dimensions = k == cabi::ArgKind::buffer || k == cabi::ArgKind::output ? 4 : 0;
            args.push_back(a);
        }
        metadata.version = 1;
        metadata.num_arguments = int(args.size());
        metadata.arguments = args.data();
    }

private:
    std::vector<std::string> names_;
};

template <template <typename> class Args>
std::vector<std::string> abi_names() {
    using A = Args<halide_buffer_t *>;
    return {std::begin(A::names), std::end(A::names)};
}

}  // namespace

TEST(KernelAbi, CallPassesTheArgumentsInTheListedOrder) {
    int a = 0, b = 0, out = 0;
    const cabi::PointwiseArgs<int *> args{
        .input = &a, .weights = &b, .bias = nullptr, .act_min = -1.5f, .act_max = 6.0f,
        .act_kind = 2, .threads = 3, .output = &out};
    std::vector<const void *> seen;
    float lo = 0, hi = 0;
    int kind = 0, threads = 0;
    const int rc = cabi::call(
        [&](int *in, int *w, int *bias, float act_min, float act_max, int act_kind, int n,
            int *o) {
            seen = {in, w, bias, o};
            lo = act_min, hi = act_max, kind = act_kind, threads = n;
            return 7;
        },
        args);
    EXPECT_EQ(rc, 7);
    EXPECT_EQ(seen, (std::vector<const void *>{&a, &b, nullptr, &out}));
    EXPECT_EQ(lo, -1.5f);
    EXPECT_EQ(hi, 6.0f);
    EXPECT_EQ(kind, 2);
    EXPECT_EQ(threads, 3);
}

TEST(KernelAbi, TheGeneratorsOrderMatches) {
    FakeMetadata<cabi::Conv2dArgs> conv(abi_names<cabi::Conv2dArgs>());
    EXPECT_EQ(cabi::metadata_mismatch<cabi::Conv2dArgs>(&conv.metadata), "");
    FakeMetadata<cabi::SeparableArgs> gpu_sep(abi_names<cabi::SeparableArgs>(), true);
    EXPECT_EQ(cabi::metadata_mismatch<cabi::SeparableArgs>(&gpu_sep.metadata, true), "");
}

TEST(KernelAbi, TwoInputsOfOneTypeSwappedAreCaught) {
    // A generator that declares bias before weights: same types, so only the names differ.
    auto names = abi_names<cabi::DepthwiseArgs>();
    std::swap(names[1], names[2]);
    FakeMetadata<cabi::DepthwiseArgs> fake(names);
    const std::string why = cabi::metadata_mismatch<cabi::DepthwiseArgs>(&fake.metadata);
    EXPECT_NE(why.find("argument 1 is 'bias'"), std::string::npos) << why;
    EXPECT_NE(why.find("'weights'"), std::string::npos) << why;
}

TEST(KernelAbi, SwappedScalarsAndMissingArgumentsAreCaught) {
    auto names = abi_names<cabi::Conv2dArgs>();
    std::swap(names[3], names[4]);  // stride_x <-> stride_y
    FakeMetadata<cabi::Conv2dArgs> swapped(names);
    EXPECT_NE(cabi::metadata_mismatch<cabi::Conv2dArgs>(&swapped.metadata).find("'stride_y'"),
              std::string::npos);

    auto fewer = abi_names<cabi::PointwiseArgs>();
    fewer.erase(fewer.begin() + 3);
    FakeMetadata<cabi::PointwiseArgs> short_list(fewer);
    const std::string expected = "takes " + std::to_string(fewer.size()) +
                                 " arguments, the ABI " + std::to_string(fewer.size() + 1);
    EXPECT_NE(cabi::metadata_mismatch<cabi::PointwiseArgs>(&short_list.metadata).find(expected),
              std::string::npos);
}

TEST(KernelAbi, AGpuKernelMustTakeTheUserContextFirst) {
    FakeMetadata<cabi::PointwiseArgs> cpu(abi_names<cabi::PointwiseArgs>());
    EXPECT_NE(cabi::metadata_mismatch<cabi::PointwiseArgs>(&cpu.metadata, true).find("user context"),
              std::string::npos);
    EXPECT_EQ(cabi::metadata_mismatch<cabi::PointwiseArgs>(nullptr), "it has no metadata");
}

// abi/weight_layout.h: element (j, ci, b) of the blocked weights is W[ci][b * block + j], the
// last block padded with zeros (the kernels may read it; it must not hold stale values).
TEST(WeightLayout, BlocksHoldEachInputChannelsRowOfTheirOutputChannels) {
    const int c_in = 3, c_out = 37, block = 16;  // 3 blocks, the last with 5 channels
    std::vector<float> io(size_t(c_in) * c_out);
    for (size_t i = 0; i < io.size(); i++) io[i] = float(i + 1);
    ASSERT_EQ(cabi::weight_blocks(c_out, block), 3);
    ASSERT_EQ(cabi::blocked_weight_elements(c_in, c_out, block), 3 * c_in * block);
    std::vector<float> packed(size_t(cabi::blocked_weight_elements(c_in, c_out, block)), -1.0f);
    cabi::pack_blocked_weights(io.data(), c_in, c_out, block, packed.data());
    for (int b = 0; b < 3; b++) {
        for (int ci = 0; ci < c_in; ci++) {
            for (int j = 0; j < block; j++) {
                const int co = b * block + j;
                const float want = co < c_out ? io[size_t(ci) * c_out + co] : 0.0f;
                EXPECT_EQ(packed[(size_t(b) * c_in + ci) * block + j], want)
                    << "block " << b << " input channel " << ci << " lane " << j;
            }
        }
    }
    EXPECT_EQ(cabi::blocked_weight_extents({c_in}, c_out, block), (std::vector<int>{16, 3, 3}));
    EXPECT_EQ(cabi::blocked_weight_extents({c_in, 3, 3}, c_out, block),
              (std::vector<int>{16, 3, 3, 3, 3}));
    // One block of all channels (kWholeBlock: AArch64 and GPU kernels) is the plain
    // [c_in][c_out] layout.
    ASSERT_EQ(cabi::blocked_weight_elements(c_in, c_out, cabi::kWholeBlock), c_in * c_out);
    EXPECT_EQ(cabi::blocked_weight_extents({c_in}, c_out, cabi::kWholeBlock),
              (std::vector<int>{c_out, c_in, 1}));
    std::vector<float> whole(io.size());
    cabi::pack_blocked_weights(io.data(), c_in, c_out, cabi::kWholeBlock, whole.data());
    EXPECT_EQ(whole, io);
}
