// Runtime internals shared by the operator implementations. Nothing here is installed.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <new>
#include <string>
#include <type_traits>
#include <vector>

#include "HalideRuntime.h"
#include "cache_line_allocator.h"
#include "convgen/error.h"
#include "convgen/counting.h"
#include "convgen/operators.h"
#include "kernel_abi.h"
#include "weight_layout.h"
#include "workspace.h"

namespace convgen::detail {

// ---- dispatch ---------------------------------------------------------------------------

// What dispatch looks at when an operator is created: the window parameters a variant may have
// fixed at compile time, and the channel counts a tuned variant's shape names.
struct DispatchKey {
    Window window{1, 1, 1, 1, 1, 1, Padding::valid()};  // pointwise: 1x1
    int multiplier = 1;
    int in_channels = 0, out_channels = 0;  // only tuned variants fix these (CPU)
    // Every activation clamp-only (none, ReLU, ReLU6, clamp): autoscheduled baselines take
    // no other (generators/generator_support.h activation_args).
    bool identity_activations = true;
};
// True when every one of `acts` is none, ReLU, ReLU6 or clamp.
bool identity_activations(std::initializer_list<Activation> acts);
// Why variant `v` cannot take the key's problem, or "": convgen::decline_reason of its window
// and multiplier, then its activations (an autoscheduled baseline and a hard-swish or SiLU).
// The one rule of the CPU and GPU dispatch.
std::string key_decline_reason(const VariantInfo &v, const DispatchKey &key);

// Where a kernel's parallel loops run (OperatorOptions or RunOptions threads / executor), set
// for the duration of each kernel call (CallParallelism) and read by the thread pool.
struct Parallelism {
    int threads = 0;              // at most this many of convgen's pool; 0 = all
    Executor *executor = nullptr;  // the application's pool instead, if set
    // The thread count tuned variants are matched against.
    int effective_threads() const;
};

struct Choice {
    void *kernel = nullptr;  // cast to the op's cpu_kernel_t (op_traits.h)
    Implementation impl;
};

struct Selection : Choice {
    Parallelism parallel;  // the operator's (OperatorOptions)
    // Variants tuned for this operator's channels and window at one input height x width.
    struct Shaped : Choice {
        int height = 0, width = 0, threads = 0;
    };
    std::vector<Shaped> shaped;
    // The variant tuned for exactly this input's height and width at this thread count
    // (Parallelism::effective_threads of the run), else the general choice.
    const Choice &for_input(const TensorDesc &input, int threads) const;
    const Choice &for_input(const TensorDesc &input) const {
        return for_input(input, parallel.effective_threads());
    }
};

// Tries the op's variants in manifest order (specialised first, generic last) and takes the
// first that accepts `key`, on the highest ISA allowed by the CPU, set_max_isa and `options`;
// also collects the tuned variants whose shape matches `key`'s channels, for run() to pick by
// input size. Variants marked "dispatch": false run only when `options` names them.
Selection select_kernel(OpKind op, const DispatchKey &key, const OperatorOptions &options);

// A generated kernel's metadata entry point (convgen_<name>_<isa>_metadata).
using MetadataFn = const halide_filter_metadata_t *();

// One compiled entry point of a variant.
struct KernelEntry {
    const char *variant;
    Isa isa;
    void *fn;  // cast to the op's cpu_kernel_t (op_traits.h)
    MetadataFn *metadata;
};

// Rows of the generated tables (cmake/ConvgenVariants.cmake) as the runtime's types, for the
// shipped tables (dispatch.cpp) and the baselines' (runtime/baselines/); op_traits.h has the
// rows' type check.
#define CONVGEN_KERNEL_ROW(op, name, isa)                                        \
    convgen::detail::KernelEntry{#name, convgen::Isa::isa,                       \
                                 reinterpret_cast<void *>(&convgen_##name##_##isa), \
                                 &convgen_##name##_##isa##_metadata},
#define CONVGEN_VARIANT_ROW(op, name, kernel, stride, dilation, multiplier, schedule, dispatch, \
                            c_in, h, w, c_out, threads, machine, isas, min_in_channels)         \
    convgen::VariantInfo{convgen::OpKind::op, #name, kernel, stride, dilation, multiplier,      \
                         schedule, dispatch != 0, {c_in, h, w, c_out}, threads, machine,          \
                         convgen::detail::parse_isas(isas), min_in_channels},
// A row's space-separated ISA names ("avx2 avx512") as Isa values.
std::vector<Isa> parse_isas(const char *names);

// Adds variants and their kernels to the dispatch tables (variants(), selection by name). The
// shipped ones are there from the start; convgen_baselines adds the benchmark baselines.
// Not thread-safe against dispatch: call at start-up, before operators are created. (`into`:
// the tables being built, internal to dispatch.cpp.)
void register_variants(std::vector<VariantInfo> variants, const std::vector<KernelEntry> &kernels,
                       void *into = nullptr);
// Why a kernel's metadata does not match `op`'s ABI (abi/kernel_abi.h), or "".
// user_context: a GPU kernel, which takes Halide's user context first.
std::string kernel_abi_mismatch(OpKind op, const halide_filter_metadata_t *metadata,
                                bool user_context = false);
// Fails with kernel_failed, naming `kernel` and the argument, if it does not match.
void check_kernel_abi(OpKind op, const halide_filter_metadata_t *metadata,
                      const std::string &kernel, bool user_context = false);

// The rules of kernels.json fusion.<target> ("cpu", "cuda", "opencl").
std::vector<FusionRule> fusion_rules_for(const std::string &target);
// Why none of `rules` holds for a problem with these intermediate and output channels and
// stride, each rule's first broken bound joined by ", and "; "" when one holds or there is no
// rule (the CPU decides at construction: no pixel count).
std::string rules_broken(const std::vector<FusionRule> &rules, int64_t mid_channels,
                         int64_t out_channels, int stride);

// ---- Halide glue ------------------------------------------------------------------------

// Installs convgen's non-aborting Halide error handler (idempotent, thread-safe).
void install_halide_handlers();
// Fails with invalid_argument (naming `field`) if `isa` is not one of native_isas().
void require_native_isa(Isa isa, const char *field);
// Throws Error(kernel_failed) with Halide's message if rc != 0.
void check_kernel_result(int rc, const std::string &variant);
// The same for a selected variant's kernel call: an autoscheduled baseline's failure
// (is_autoscheduled) is unsupported, field options.variant, saying why.
void check_kernel_result(int rc, const std::string &variant, const std::string &schedule);

// A float buffer owned by an operator: weights packed into the kernel layout, or bias.
struct PackedBuffer {
    CacheLineFloats data;
    std::vector<int> extents;  // Halide dimension order, innermost first, dense
};

// halide_buffer_t views built per call on the caller's stack (run() stays re-entrant).
struct BufferView {
    static constexpr int kMaxDims = 5;  // conv2d's blocked weights
    halide_dimension_t dims[kMaxDims];
    halide_buffer_t buf{};
    BufferView(const PackedBuffer &p);
    BufferView(const float *data, const TensorDesc &d);  // NHWC tensor as (c, x, y, n)
    BufferView(const BufferView &) = delete;  // buf.dim points into this object
    BufferView &operator=(const BufferView &) = delete;
    halide_buffer_t *raw() { return &buf; }
    // Narrows the view to `count` channels from `begin` of its dimension 0 (the channels of
    // every tensor, and of a depthwise's weights and bias).
    void crop_channels(int64_t begin, int32_t count);
};

// Channels [begin, begin + count) of a per-channel op's tensors and weights (call_selected).
struct ChannelSlice {
    int64_t begin;
    int32_t count;
};

// ---- validation -------------------------------------------------------------------------

[[noreturn]] void fail(ErrorCode code, const std::string &field, const std::string &message);
void check_positive(const std::string &field, int64_t value);
void check_not_null(const std::string &field, const void *p);
void validate_window(const Window &w, const std::string &prefix);
void validate_activation(const Activation &a, const std::string &field);
// Shape, strides, element/byte-size limits and the channel count the op expects.
void validate_tensor(const std::string &name, const void *data, const TensorDesc &d,
                     int64_t expected_channels);
// Output buffer: valid, of exactly the expected shape, not overlapping the input.
void validate_output(const Tensor &out, const TensorDesc &expected, const ConstTensor &in);
// Bytes from a validated tensor's first to its last addressed element.
int64_t span_bytes(const TensorDesc &d);
// Whether [a, a + a_bytes) and [b, b + b_bytes) share a byte.
bool bytes_overlap(const void *a, int64_t a_bytes, const void *b, int64_t b_bytes);
// The per-call part of validate_tensor/validate_output, for shapes already validated: pointers
// not null, output not overlapping the input.
void check_run_pointers(const ConstTensor &in, int64_t in_bytes, const Tensor &out,
                        int64_t out_bytes);

// Remembers the last few (input, output) shapes a run() validated, so that a steady-state run()
// checks only its pointers: no string is built and nothing is allocated unless a check fails.
class ShapeCache {
public:
    // Validates in and out, out against expected_output(in.desc), unless these shapes passed
    // before.
    template <typename ExpectedOutput>
    void validate(const ConstTensor &in, const Tensor &out, int64_t in_channels,
                  ExpectedOutput expected_output) const {
        int64_t in_bytes = 0, out_bytes = 0;
        if (lookup(in.desc, out.desc, in_bytes, out_bytes)) {
            check_run_pointers(in, in_bytes, out, out_bytes);
            return;
        }
        validate_tensor("input", in.data, in.desc, in_channels);
        validate_output(out, expected_output(in.desc), in);
        remember(in.desc, out.desc);
    }

private:
    bool lookup(const TensorDesc &in, const TensorDesc &out, int64_t &in_bytes,
                int64_t &out_bytes) const;
    void remember(const TensorDesc &in, const TensorDesc &out) const;

    struct Entry {
        TensorDesc input, output;
        int64_t in_bytes = 0, out_bytes = 0;  // span_bytes of each
    };
    static constexpr int kEntries = 4;  // e.g. a network run at two resolutions, or batch sizes
    mutable std::mutex mutex_;
    mutable Entry entries_[kEntries];
    mutable int used_ = 0, next_ = 0;
};

// Element count of a packed weight/bias array, failing with ErrorCode::overflow if its bytes
// exceed the kernels' 2^31 limit.
int64_t checked_elements(const std::string &field, std::initializer_list<int64_t> extents);

// An activation as the kernels take it (abi/kernel_abi.h CONVGEN_ABI_ACTIVATION_ARGS):
// clamp(f(x), min, max); none = identity in (-inf, inf), relu = (0, inf), relu6 = (0, 6).
struct KernelActivation {
    float min, max;
    abi::ActivationCode code;
    int32_t kind() const { return static_cast<int32_t>(code); }
};
KernelActivation kernel_activation(const Activation &a);

// The key dispatch chooses a variant by.
DispatchKey dispatch_key(const Window &w, int multiplier, int in_channels, int out_channels);

// Explicit top/left padding after resolving SAME/VALID for this input.
struct ResolvedPadding {
    int top = 0, left = 0;
};
ResolvedPadding resolve_padding(const Window &w, const TensorDesc &input);

// A kernel call's buffers: the input, the op's packed weights and biases in packing order
// (pack_<op>), the output. CPU calls view host memory, GPU calls device buffers.
// The most buffers an op packs (the inverted residual: three weights and three biases).
inline constexpr size_t kMaxPackedBuffers = 6;
struct KernelBuffers {
    halide_buffer_t *input;
    halide_buffer_t *weights[kMaxPackedBuffers];
    halide_buffer_t *output;
    halide_buffer_t *extra = nullptr;  // an op's own further buffer (the inverted residual's
                                       // residual), or null
};
// For the lifetime of this object, the calling thread's kernel calls run their parallel loops
// as `p` says (thread_pool.cpp reads it).
class CallParallelism {
public:
    explicit CallParallelism(const Parallelism &p);
    ~CallParallelism();
    CallParallelism(const CallParallelism &) = delete;
    CallParallelism &operator=(const CallParallelism &) = delete;

private:
    const Parallelism *previous_;
};

// How one run() calls its kernels: its threads (the operator's, or RunOptions') and the
// caller's workspace, if it gave one.
struct RunContext {
    Parallelism parallel;
    Arena *arena = nullptr;
    // The thread count tuned variants are chosen for (Selection::for_input): the run's, also
    // when workspace_size() measures it on one thread.
    int variant_threads = 0;
};

// Calls a selected CPU kernel (Kernel: the op's cpu_kernel_t) and reports its failure.
template <typename Kernel, typename Args>
void call_kernel(const Choice &choice, const RunContext &run, const Args &args) {
    const CallParallelism parallel(run.parallel);
    const ArenaScope scratch(run.arena);
    check_kernel_result(abi::call(reinterpret_cast<Kernel *>(choice.kernel), args),
                        choice.impl.variant, choice.impl.schedule);
}

// Sets a call's window arguments (abi CONVGEN_ABI_WINDOW_ARGS) from the descriptor's window,
// padding resolved for this input: the one place the window's (h, w) pairs become the
// kernels' (x, y).
template <typename Args>
void set_window_args(Args &args, const Window &w, const TensorDesc &input) {
    const ResolvedPadding pad = resolve_padding(w, input);
    args.stride_x = w.stride_w, args.stride_y = w.stride_h;
    args.dilation_x = w.dilation_w, args.dilation_y = w.dilation_h;
    args.pad_left = pad.left, args.pad_top = pad.top;
}

// Copies `count` floats, or zeros when `src` is null (no bias = zero bias).
PackedBuffer pack_copy(const float *src, int64_t count, std::vector<int> extents);

// Weights of `rows` (their extents, innermost first: c_in, and kw, kh for conv2d) x c_out
// (IO or HWIO, `field` in errors) in the blocked layout of abi/weight_layout.h, extents
// (block, rows..., blocks): the CPU operators pack abi::kCpuWeightBlock (this architecture's
// block), the GPU operators abi::kWholeBlock (one block of all output channels). A null `src`
// packs zeros (a bias left out, as pack_copy).
PackedBuffer pack_blocked(const char *field, const float *src, std::vector<int> rows, int c_out,
                          int block);

// What a CPU operator holds: its kernel selection and packed weights, the shapes its runs
// validated and the scratch its kernels took per input shape (for workspace_size). Each op's
// state is an OpState<Desc> (op_traits.h), whose launch() is the op's kernel call(s).
struct OperatorState {
    OpKind op;
    Selection selection;
    std::vector<PackedBuffer> buffers;
    ShapeCache shapes;

    explicit OperatorState(OpKind o) : op(o) {}
    virtual ~OperatorState() = default;
    virtual int64_t input_channels() const = 0;
    virtual TensorDesc output_desc(const TensorDesc &input) const = 0;
    // run()'s kernel calls, on validated tensors.
    virtual void launch(const ConstTensor &input, const Tensor &output,
                        const RunContext &run) const = 0;

    // The scratch peaks of a run on this input shape whose variant is chosen for `threads`
    // (measured once per shape and thread count, operator.cpp).
    ScratchPeaks scratch_peaks(const TensorDesc &input, int threads) const;

private:
    struct MeasuredShape {
        int64_t n, h, w, c;
        int threads;
        ScratchPeaks peaks;
    };
    mutable std::mutex measured_mutex_;
    mutable std::vector<MeasuredShape> measured_;
};

// ---- diagnostics (verbose.cpp; CONVGEN_VERBOSE / set_verbose) ------------------------------

// The parts of the descriptors' one-line descriptions (each op's OpTraits::describe).
std::string describe_window(const Window &w);  // " k3x3 s1x1 d1x1 pad:same"
std::string describe_activation(const Activation &a);  // "relu6", "clamp(0,1)"
// Level >= 1: one line for an operator just created: op, descriptor, variant, where it runs
// (the ISA, or a GPU operator's target such as cuda_sm80 or opencl), schedule, declined ones.
void log_created(OpKind op, const std::string &desc, const std::string &variant,
                 const std::string &where, const std::string &schedule,
                 const std::vector<Implementation::Declined> &declined);
inline void log_created(OpKind op, const std::string &desc, const Implementation &impl) {
    if (verbose() >= 1) log_created(op, desc, impl.variant, to_string(impl.isa), impl.schedule, impl.declined);
}

// Level 2: one line per run(), printed when the run ends (failed or not): op, shapes, variant,
// where, milliseconds ("queued" where run() returned once the GPU work was queued). Pass the
// variant only when verbose() >= 2, so a run with logging off reads no clock.
class RunLog {
public:
    RunLog(OpKind op, const Implementation *impl, const TensorDesc &in, const TensorDesc &out)
        : RunLog(op, impl ? &impl->variant : nullptr, impl ? to_string(impl->isa) : "", in, out) {}
    RunLog(OpKind op, const std::string *variant, const char *where, const TensorDesc &in,
           const TensorDesc &out, bool queued = false);
    ~RunLog();
    RunLog(const RunLog &) = delete;
    RunLog &operator=(const RunLog &) = delete;

private:
    OpKind op_;
    const std::string *variant_;
    const char *where_;
    TensorDesc in_, out_;
    bool queued_;
    int64_t start_ns_ = 0;
};

}  // namespace convgen::detail
