// The runtime's one entry per op: everything the generic code (CPU and GPU operators, dispatch,
// the ABI checks, diagnostics) needs to know about an op, declared here by one line of
// CONVGEN_OPS and defined in the op's own file, runtime/src/ops/<op>.cpp (docs/architecture.md,
// "Add an op").
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "internal.h"

namespace convgen::detail {

// An op's weight and bias pointers as the user passed them, in its packing order (conv2d,
// depthwise, pointwise: weights, bias; separable: dw weights, dw bias, pw weights, pw bias;
// inverted residual: expansion, depthwise, projection, each weights then bias).
using WeightPointers = std::array<const float *, kMaxPackedBuffers>;

// What each entry declares:
//   kind, Args            its OpKind and its kernel's argument list (abi/kernel_abi.h)
//   input_channels(d)     the channel count its input must have
//   key(d)                what dispatch chooses its variant by
//   pack(d, w, block)     its descriptor and weights validated (errors name the field) and
//                         packed into the kernel's layout; `block`: the GEMM weights' block
//                         (abi::kCpuWeightBlock on the CPU, abi::kWholeBlock on a GPU)
//   args(d, in, b, t)     its kernel's arguments from the descriptor, the input's shape (for
//                         padding), the buffers and the call's threads (GPU calls pass 1)
//   launch(s, in, out, r) a CPU run()'s kernel call(s), on validated tensors
//   describe(d)           the descriptor in one line (CONVGEN_VERBOSE)
template <class Desc>
struct OpTraits;

template <class Desc>
struct OpState;

// One entry: OpTraits<Desc> for the op `op` (its OpKind enumerator and name) whose kernel
// takes abi::ArgsList.
#define CONVGEN_OP_TRAITS(Desc, op, ArgsList)                                                  \
    template <>                                                                                \
    struct OpTraits<Desc> {                                                                    \
        static constexpr OpKind kind = OpKind::op;                                             \
        static constexpr const char *name = #op;                                               \
        template <typename Buffer>                                                             \
        using Args = abi::ArgsList<Buffer>;                                                    \
        static int64_t input_channels(const Desc &d);                                         \
        static DispatchKey key(const Desc &d);                                                 \
        static std::vector<PackedBuffer> pack(const Desc &d, const WeightPointers &w,         \
                                              int block);                                      \
        static Args<halide_buffer_t *> args(const Desc &d, const TensorDesc &input,            \
                                            const KernelBuffers &b, int threads);              \
        static void launch(const OpState<Desc> &s, const ConstTensor &input,                   \
                           const Tensor &output, const RunContext &run);                       \
        static std::string describe(const Desc &d);                                            \
    };

// The ops, one line each: its descriptor, OpKind enumerator and kernel argument list.
#define CONVGEN_OPS(X)                        \
    X(Conv2dDesc, conv2d, Conv2dArgs)         \
    X(DepthwiseDesc, depthwise, DepthwiseArgs) \
    X(PointwiseDesc, pointwise, PointwiseArgs) \
    X(SeparableDesc, separable, SeparableArgs) \
    X(InvertedResidualDesc, inverted_residual, InvertedResidualArgs)

CONVGEN_OPS(CONVGEN_OP_TRAITS)
#undef CONVGEN_OP_TRAITS

// Every op's descriptor, for code that walks the ops (the ABI check by OpKind, to_string).
#define CONVGEN_OP_TUPLE(Desc, op, ArgsList) std::tuple<Desc>{},
using AllOps = decltype(std::tuple_cat(CONVGEN_OPS(CONVGEN_OP_TUPLE) std::tuple<>{}));
#undef CONVGEN_OP_TUPLE

// Calls f(OpTraits<Desc>{}) for each op in AllOps; stops at the first call that returns true.
template <class F>
bool any_op(F &&f) {
    return std::apply([&](auto... descs) { return (f(OpTraits<decltype(descs)>{}) || ...); },
                      AllOps{});
}

// The descriptor of an OpKind (the generated tables name ops by OpKind).
template <OpKind K, class Ops = AllOps>
struct DescOf;
template <OpKind K, class... Descs>
struct DescOf<K, std::tuple<Descs...>> {
    static constexpr std::size_t index = [] {
        std::size_t i = 0;
        ((OpTraits<Descs>::kind == K ? false : (++i, true)) && ...);
        return i;
    }();
    using type = std::tuple_element_t<index, std::tuple<Descs...>>;
};

// An op's AOT CPU kernel type (every variant of an op shares it).
template <class Desc>
using cpu_kernel_t = abi::kernel_t<OpTraits<Desc>::template Args>;
template <OpKind K>
using cpu_kernel_of_t = cpu_kernel_t<typename DescOf<K>::type>;

// What a CPU operator holds for one op: its descriptor with OperatorState's selection and
// buffers; launch() is the op's OpTraits::launch.
template <class Desc>
struct OpState : OperatorState {
    Desc desc;
    explicit OpState(const Desc &d) : OperatorState(OpTraits<Desc>::kind), desc(d) {}
    int64_t input_channels() const override { return OpTraits<Desc>::input_channels(desc); }
    TensorDesc output_desc(const TensorDesc &input) const override {
        return convgen::output_desc(desc, input);
    }
    void launch(const ConstTensor &input, const Tensor &output,
                const RunContext &run) const override {
        OpTraits<Desc>::launch(*this, input, output, run);
    }
};

// select_kernel for an op's descriptor.
template <class Desc>
Selection select_kernel_for(const Desc &d, const OperatorOptions &options) {
    return select_kernel(OpTraits<Desc>::kind, OpTraits<Desc>::key(d), options);
}

// CONVGEN_VERBOSE's line for an operator just created.
template <class Desc>
void log_created(const Desc &d, const Implementation &impl) {
    log_created(OpTraits<Desc>::kind, OpTraits<Desc>::describe(d), impl);
}

// A single-kernel CPU operator's state, as its constructor makes it: the descriptor and
// weights validated and packed, a variant selected for the descriptor's key, the creation
// logged.
template <class Desc>
std::shared_ptr<OpState<Desc>> new_state(const Desc &d, const WeightPointers &w,
                                         const OperatorOptions &options) {
    auto state = std::make_shared<OpState<Desc>>(d);
    state->buffers = OpTraits<Desc>::pack(d, w, abi::kCpuWeightBlock);
    state->selection = select_kernel_for(d, options);
    log_created(d, state->selection.impl);
    return state;
}

// One selected kernel's call on tensors viewed with these shapes (an op may view its tensors
// otherwise, e.g. pointwise rows as one row) and the op's packed buffers in order; `extra`:
// a further buffer of the op's (KernelBuffers::extra), or null. `slice`: only these channels
// of the input, the output and every packed buffer (an op whose channels are independent).
template <class Desc>
void call_selected(const OpState<Desc> &s, const ConstTensor &input, const Tensor &output,
                   const RunContext &run, const TensorDesc &input_view,
                   const TensorDesc &output_view, halide_buffer_t *extra = nullptr,
                   std::optional<ChannelSlice> slice = std::nullopt) {
    BufferView in(input.data, input_view), out(output.data, output_view);
    std::array<std::optional<BufferView>, kMaxPackedBuffers> views;
    KernelBuffers b{in.raw(), {}, out.raw(), extra};
    for (size_t i = 0; i < s.buffers.size(); i++) {
        b.weights[i] = views[i].emplace(s.buffers[i]).raw();
        if (slice) views[i]->crop_channels(slice->begin, slice->count);
    }
    if (slice) {
        in.crop_channels(slice->begin, slice->count);
        out.crop_channels(slice->begin, slice->count);
    }
    call_kernel<cpu_kernel_t<Desc>>(
        s.selection.for_input(input.desc, run.variant_threads), run,
        OpTraits<Desc>::args(s.desc, input.desc, b, run.parallel.effective_threads()));
}

// A Separable's state from its packed buffers (OpTraits<SeparableDesc>::pack): its fused
// kernel, or its depthwise and pointwise kernels where the CPU's fusion rules say fusion cannot
// pay (and no variant is forced). Also the inverted residual's depthwise + projection.
std::shared_ptr<OperatorState> separable_state(const SeparableDesc &d,
                                               std::vector<PackedBuffer> buffers,
                                               const OperatorOptions &options);

// Rows of the generated tables (cmake/ConvgenVariants.cmake): the build-time check of each
// kernel's type against its op's ABI (abi/kernel_abi.h), for the shipped tables (dispatch.cpp)
// and the baselines' (runtime/baselines/).
#define CONVGEN_CHECK_KERNEL_TYPE(op, name, isa)                                              \
    static_assert(std::is_same_v<decltype(convgen_##name##_##isa),                          \
                                 convgen::detail::cpu_kernel_of_t<convgen::OpKind::op>>,     \
                  "convgen_" #name "_" #isa " does not have the " #op                         \
                  " kernel ABI of abi/kernel_abi.h");

}  // namespace convgen::detail
