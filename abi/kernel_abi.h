// The generated kernels' calling convention: for each op, its arguments in the order its
// generator (generators/<op>_generator.cpp) declares them. This list is the one place that order
// is written down. Every caller (the CPU and GPU operators, the tuner's JIT and cross runners)
// fills an argument struct by name and calls through abi::call, and the kernel function types
// are derived from the same list, so:
//   - the runtime static_asserts each generated header's function against kernel_t<...>
//     (a type change, e.g. a scalar moved before a buffer, fails the build);
//   - select_kernel compares each chosen kernel's Halide metadata (argument names and kinds)
//     with this list (two arguments of one type swapped fails at the first operator, i.e. in
//     every test), see metadata_mismatch.
// Needs only HalideRuntime.h: no libHalide, no convgen runtime.
#pragma once

#include <cstdint>
#include <cstring>
#include <iterator>
#include <string>
#include <tuple>
#include <utility>

#include "HalideRuntime.h"

// X(kind, name) per argument, in order; kind is buffer (input), i32, f32 or output (buffer).

// One activation: clamp(f(x), <prefix>_min, <prefix>_max), f chosen by <prefix>_kind (an
// ActivationCode): identity (none, ReLU, ReLU6, clamp), hard-swish or SiLU.
#define CONVGEN_ABI_ACTIVATION_ARGS(X, prefix) \
    X(f32, prefix##_min) X(f32, prefix##_max) X(i32, prefix##_kind)

#define CONVGEN_ABI_WINDOW_ARGS(X)                                                     \
    X(i32, stride_x) X(i32, stride_y) X(i32, dilation_x) X(i32, dilation_y) X(i32, pad_left) \
        X(i32, pad_top)

#define CONVGEN_ABI_CONV2D_ARGS(X)                                            \
    X(buffer, input) X(buffer, weights) X(buffer, bias) CONVGEN_ABI_WINDOW_ARGS(X) \
        CONVGEN_ABI_ACTIVATION_ARGS(X, act) X(output, output)

#define CONVGEN_ABI_DEPTHWISE_ARGS(X)                                                          \
    X(buffer, input) X(buffer, weights) X(buffer, bias) X(i32, channel_multiplier)           \
        CONVGEN_ABI_WINDOW_ARGS(X) CONVGEN_ABI_ACTIVATION_ARGS(X, act) X(output, output)

// threads: how many threads the call's parallel loops run on (0 or 1: one), so a schedule
// can cut a layer whose parallel tasks do not divide among them into one chunk per thread
// (TileShape::threads). GPU kernels ignore it.
#define CONVGEN_ABI_POINTWISE_ARGS(X) \
    X(buffer, input) X(buffer, weights) X(buffer, bias) CONVGEN_ABI_ACTIVATION_ARGS(X, act) \
        X(i32, threads) X(output, output)

#define CONVGEN_ABI_SEPARABLE_ARGS(X)                                                          \
    X(buffer, input) X(buffer, dw_weights) X(buffer, dw_bias) X(buffer, pw_weights)           \
        X(buffer, pw_bias) X(i32, channel_multiplier) CONVGEN_ABI_WINDOW_ARGS(X)             \
            CONVGEN_ABI_ACTIVATION_ARGS(X, dw) CONVGEN_ABI_ACTIVATION_ARGS(X, pw) X(output, output)

// Inverted residual: `residual` is added to the projection: the input where the block has a
// residual (c_in == c_out, the output the input's size), else c_out zeros with strides 0.
#define CONVGEN_ABI_INVERTED_RESIDUAL_ARGS(X)                                                  \
    X(buffer, input) X(buffer, expand_weights) X(buffer, expand_bias) X(buffer, dw_weights)   \
        X(buffer, dw_bias) X(buffer, project_weights) X(buffer, project_bias) X(buffer, residual) \
            CONVGEN_ABI_WINDOW_ARGS(X) CONVGEN_ABI_ACTIVATION_ARGS(X, expand)                  \
                CONVGEN_ABI_ACTIVATION_ARGS(X, dw) CONVGEN_ABI_ACTIVATION_ARGS(X, project)     \
                    X(i32, threads) X(output, output)

namespace convgen::abi {

// An activation's <prefix>_kind argument: the function applied before the clamp. Every
// kernel has a branch for clamp_only (all of a call's activations identity), compiled as if
// the kinds were not there, and one that evaluates the others (generators/algorithms.h).
enum class ActivationCode : int32_t { identity = 0, hard_swish = 1, silu = 2 };

// How the runtime calls a pointwise kernel on an h x w grid whose rows lie back to back: rows
// shorter than kPointwiseShortRow pixels run as one row of h * w (runtime/src/pointwise.cpp
// says why). The tuner times its pointwise candidates in the same shape, so what it tunes is
// what runs.
inline constexpr int kPointwiseShortRow = 16;
constexpr bool pointwise_as_one_row(int h, int w) { return w < kPointwiseShortRow && h > 1; }


enum class ArgKind { buffer, i32, f32, output };

// The C++ type of each kind; Buffer is halide_buffer_t * for AOT kernels, Halide::Buffer<float>
// for the tuner's JIT-compiled candidates.
template <typename Buffer>
struct Types {
    using buffer = Buffer;
    using output = Buffer;
    using i32 = int32_t;
    using f32 = float;
};

#define CONVGEN_ABI_MEMBER(kind, name) typename Types<Buffer>::kind name{};
#define CONVGEN_ABI_VALUE(kind, name) std::tuple<typename Types<Buffer>::kind>(name),
#define CONVGEN_ABI_NAME(kind, name) #name,
#define CONVGEN_ABI_KIND(kind, name) ArgKind::kind,
// One op's argument struct: the members in kernel order (so C++20 designated initializers
// must list them in that order), values() as the kernel takes them, names and kinds.
#define CONVGEN_ABI_DEFINE(Struct, LIST)                                                   \
    template <typename Buffer>                                                             \
    struct Struct {                                                                        \
        LIST(CONVGEN_ABI_MEMBER)                                                           \
        auto values() const { return std::tuple_cat(LIST(CONVGEN_ABI_VALUE) std::tuple<>()); } \
        static constexpr const char *names[] = {LIST(CONVGEN_ABI_NAME)};                   \
        static constexpr ArgKind kinds[] = {LIST(CONVGEN_ABI_KIND)};                       \
    };

CONVGEN_ABI_DEFINE(Conv2dArgs, CONVGEN_ABI_CONV2D_ARGS)
CONVGEN_ABI_DEFINE(DepthwiseArgs, CONVGEN_ABI_DEPTHWISE_ARGS)
CONVGEN_ABI_DEFINE(PointwiseArgs, CONVGEN_ABI_POINTWISE_ARGS)
CONVGEN_ABI_DEFINE(SeparableArgs, CONVGEN_ABI_SEPARABLE_ARGS)
CONVGEN_ABI_DEFINE(InvertedResidualArgs, CONVGEN_ABI_INVERTED_RESIDUAL_ARGS)

#undef CONVGEN_ABI_DEFINE
#undef CONVGEN_ABI_KIND
#undef CONVGEN_ABI_NAME
#undef CONVGEN_ABI_VALUE
#undef CONVGEN_ABI_MEMBER

namespace internal {
template <typename Tuple, typename... Leading>
struct Signature;
template <typename... Args, typename... Leading>
struct Signature<std::tuple<Args...>, Leading...> {
    using type = int(Leading..., Args...);
};
}  // namespace internal

// An AOT kernel's function type, e.g. kernel_t<PointwiseArgs>; with_context_t is a GPU kernel's
// (targets with the user_context feature take Halide's user context first).
template <template <typename> class Args>
using kernel_t =
    typename internal::Signature<decltype(Args<halide_buffer_t *>{}.values())>::type;
template <template <typename> class Args>
using with_context_t =
    typename internal::Signature<decltype(Args<halide_buffer_t *>{}.values()),
                                 const void *>::type;

// Sets a call's window arguments (CONVGEN_ABI_WINDOW_ARGS), the same on both axes: the
// tuner's runners and the tuned-kernel check (the runtime sets each axis from its Window).
template <typename Args>
Args with_window(Args args, int stride, int dilation, int pad_left, int pad_top) {
    args.stride_x = args.stride_y = stride;
    args.dilation_x = args.dilation_y = dilation;
    args.pad_left = pad_left, args.pad_top = pad_top;
    return args;
}

// Calls `kernel` (a function pointer or a Halide::Callable) with `args` in kernel order.
template <typename Kernel, typename Args>
int call(Kernel &&kernel, const Args &args) {
    return std::apply([&](const auto &...v) { return kernel(v...); }, args.values());
}
// The same, with Halide's user context first (GPU kernels).
template <typename Kernel, typename Args>
int call_with_context(Kernel &&kernel, const void *user_context, const Args &args) {
    return std::apply([&](const auto &...v) { return kernel(user_context, v...); },
                      args.values());
}

// Why a compiled kernel's metadata (the arguments its generator declared, in its entry point's
// order) does not match Args, or "" if it does. Outputs are matched by kind only: Halide names
// them after the Func the generator assigns. Kernels of user_context targets (GPU) list
// Halide's "__user_context" first.
template <template <typename> class Args>
std::string metadata_mismatch(const halide_filter_metadata_t *metadata,
                              bool user_context = false) {
    using A = Args<halide_buffer_t *>;
    constexpr int count = int(std::size(A::names));
    if (!metadata) return "it has no metadata";
    const int first = user_context ? 1 : 0;
    if (user_context && (metadata->num_arguments < 1 ||
                         std::strcmp(metadata->arguments[0].name, "__user_context") != 0)) {
        return "it does not take Halide's user context first";
    }
    if (metadata->num_arguments - first != count) {
        return "it takes " + std::to_string(metadata->num_arguments - first) +
               " arguments, the ABI " + std::to_string(count);
    }
    for (int i = 0; i < count; i++) {
        const halide_filter_argument_t &a = metadata->arguments[first + i];
        const ArgKind want = A::kinds[i];
        const bool scalar = want == ArgKind::i32 || want == ArgKind::f32;
        const int kind = want == ArgKind::output ? halide_argument_kind_output_buffer
                         : scalar               ? halide_argument_kind_input_scalar
                                                : halide_argument_kind_input_buffer;
        const halide_type_code_t code =
            want == ArgKind::i32 ? halide_type_int : halide_type_float;
        const bool type_ok = a.type.code == code && a.type.bits == 32;
        const bool name_ok = want == ArgKind::output || std::strcmp(a.name, A::names[i]) == 0;
        if (a.kind != kind || !type_ok || !name_ok) {
            return "its argument " + std::to_string(i) + " is '" + a.name +
                   "', where the ABI (abi/kernel_abi.h) has '" + A::names[i] + "'";
        }
    }
    return "";
}

}  // namespace convgen::abi
