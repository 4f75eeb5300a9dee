// The GPU operators: the CPU operators' validation and weight packing, GPU dispatch, weights
// uploaded once, and per-call wrapping of the caller's device or host memory.
#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <mutex>

#include "gpu_internal.h"

namespace convgen::gpu {

using namespace convgen::detail;
using detail::CallBuffer;
using detail::CallContext;

namespace detail {

struct GpuKernel;

// The unfused separable: its depthwise and pointwise kernels, each with its half of the
// weights, and the device scratch for the intermediate, per CUDA context (an operator runs on
// one stream per context, so consecutive runs reuse it in stream order). The mutex makes
// each run's two launches adjacent in that order.
struct UnfusedSeparable {
    std::shared_ptr<GpuKernel> dw, pw;
    GpuImplementation impl;
    std::vector<FusionRule> rules;  // automatic: when the fused kernel runs instead
    mutable std::mutex mutex;
    mutable std::map<void *, std::unique_ptr<DeviceBuffer>> scratch;
};

// One selected kernel with its weights: host copies, packed as the CPU operators pack them,
// and their device copies.
struct GpuKernel {
    GpuSelection selection;
    GpuOptions options;
    // Host copies, packed as the CPU operators pack them but with the GEMM weights in one
    // block of all output channels (abi::kWholeBlock).
    std::vector<PackedBuffer> buffers;

    // Device copies of `buffers`, made by the first run (or warm_up) in that run's context.
    mutable std::once_flag uploaded;
    mutable std::vector<std::array<halide_dimension_t, BufferView::kMaxDims>> dims;
    mutable std::vector<halide_buffer_t> device;
    mutable CallContext upload_context;

    void upload(CallContext *uc) const {
        std::call_once(uploaded, [&] {
            dims.resize(buffers.size());
            std::vector<halide_buffer_t> bufs(buffers.size());
            const halide_device_interface_t *iface = device_interface(options.backend);
            for (size_t i = 0; i < buffers.size(); i++) {
                BufferView view(buffers[i]);
                for (int d = 0; d < view.buf.dimensions; d++) dims[i][d] = view.dims[d];
                bufs[i] = view.buf;
                bufs[i].dim = dims[i].data();
                bufs[i].flags = halide_buffer_flag_host_dirty;
                const int rc = halide_copy_to_device(uc, &bufs[i], iface);
                if (rc != 0) {
                    for (size_t j = 0; j <= i; j++) halide_device_free(uc, &bufs[j]);
                    check_kernel_result(rc, selection.impl.variant + " (uploading weights: buffer " +
                                                std::to_string(i) + ", " +
                                                std::to_string(bufs[i].size_in_bytes()) + " bytes)");
                }
            }
            device = std::move(bufs);
            upload_context = *uc;
        });
    }

    ~GpuKernel() {
        for (auto &b : device) halide_device_free(&upload_context, &b);
    }
};

// What a GPU operator's run() and implementation() call (GpuBackend): one kernel (KernelState)
// or the separable's fused kernel and pair (SeparableState).
struct GpuOperatorState {
    virtual ~GpuOperatorState() = default;
    virtual void run(const ConstTensor &input, const Tensor &output, Memory memory) const = 0;
    virtual const GpuImplementation &implementation() const = 0;
    virtual const GpuImplementation &implementation(const TensorDesc &input) const = 0;
};

void GpuBackend::run(const GpuOperatorState &s, const ConstTensor &input, const Tensor &output,
                     Memory memory) {
    s.run(input, output, memory);
}
const GpuImplementation &GpuBackend::implementation(const GpuOperatorState &s) {
    return s.implementation();
}
const GpuImplementation &GpuBackend::implementation(const GpuOperatorState &s,
                                                    const TensorDesc &input) {
    return s.implementation(input);
}

}  // namespace detail

namespace {

using detail::GpuKernel;

template <typename Kernel>
Kernel *kernel_of(const GpuKernel &s) {
    return reinterpret_cast<Kernel *>(s.selection.kernel);
}

// Per-call copies of the weights' device buffers (uploaded at the first call), so concurrent
// runs share no halide_buffer_t.
std::array<halide_buffer_t, 4> device_weights(const GpuKernel &s, CallContext *uc) {
    s.upload(uc);
    std::array<halide_buffer_t, 4> w{};
    for (size_t i = 0; i < s.device.size(); i++) w[i] = s.device[i];
    return w;
}

// One call: wraps input and output, runs the kernel, copies a host output back.
using Launch = std::function<int(void *uc, halide_buffer_t *in, halide_buffer_t *out,
                                 halide_buffer_t *w)>;
void launch(const GpuKernel &s, const ConstTensor &input, const Tensor &output,
            Memory memory, const Launch &call) {
    CallContext uc = detail::call_context(s.options);
    std::array<halide_buffer_t, 4> w = device_weights(s, &uc);
    CallBuffer in(input.data, input.desc, s.options.backend, memory, &uc, true);
    CallBuffer out(output.data, output.desc, s.options.backend, memory, &uc, false);
    check_kernel_result(call(&uc, in.raw(), out.raw(), w.data()), s.selection.impl.variant,
                        s.selection.impl.schedule);
    out.finish(true);
}

std::shared_ptr<GpuKernel> make_kernel(OpKind op, const detail::DispatchKey &key,
                                       const GpuOptions &options) {
    auto state = std::make_shared<GpuKernel>();
    state->options = options;
    state->selection = detail::select_gpu_kernel(op, key, options);
    return state;
}

// validate_output, except that OpenCL device handles (cl_mem) are opaque: no address ranges to
// compare, so only the same cl_mem for input and output counts as running in place.
void check_output(const GpuKernel &s, const Tensor &out, const TensorDesc &expected,
                  const ConstTensor &in, Memory memory) {
    if (s.options.backend != Backend::opencl || memory != Memory::device) {
        validate_output(out, expected, in);
        return;
    }
    validate_tensor("output", out.data, out.desc, expected.c);
    if (!out.desc.same_shape(expected)) {
        fail(ErrorCode::invalid_argument, "output",
             "output is " + out.desc.to_string() + ", but input " + in.desc.to_string() +
                 " gives output " + expected.to_string());
    }
    if (static_cast<const void *>(out.data) == static_cast<const void *>(in.data)) {
        fail(ErrorCode::unsupported, "output.data",
             "output.data is input.data's cl_mem: convgen does not run in place");
    }
}

// GpuOperator::warm_up.
template <typename Op>
void warm_up_op(const Op &op, const TensorDesc &input) {
    const TensorDesc in = TensorDesc::nhwc(input.n, input.h, input.w, input.c);
    validate_tensor("input", &op, in, input.c);
    const TensorDesc out = op.output_desc(in);
    std::vector<float> x(in.elements(), 0.0f), y(out.elements(), 0.0f);
    op.run({x.data(), in}, {y.data(), out}, Memory::host);
}

}  // namespace

namespace {

// CONVGEN_VERBOSE lines (verbose.cpp): the GPU target stands where a CPU line has the ISA.
void log_created(OpKind op, const std::string &desc, const GpuImplementation &impl) {
    if (verbose() >= 1) {
        convgen::detail::log_created(op, desc, impl.variant, impl.target, impl.schedule,
                                     impl.declined);
    }
}
convgen::detail::RunLog run_log(OpKind op, const GpuImplementation &impl, const TensorDesc &in,
                                const TensorDesc &out, Memory memory) {
    return {op, verbose() >= 2 ? &impl.variant : nullptr, impl.target.c_str(), in, out,
            memory == Memory::device};
}

}  // namespace

// ---- Conv2d, Depthwise, Pointwise ---------------------------------------------------------

namespace {

// An op's kernel call with Halide's user context first (the GPU kernels' ABI); wb: the
// op's device weights in packing order.
template <class Desc>
int call_gpu(const GpuKernel &s, const Desc &d, const TensorDesc &input, void *uc,
             halide_buffer_t *in, halide_buffer_t *out, halide_buffer_t *wb) {
    return abi::call_with_context(
        kernel_of<detail::gpu_kernel_t<Desc>>(s), uc,
        OpTraits<Desc>::args(d, input, {in, {&wb[0], &wb[1], &wb[2], &wb[3]}, out}, 1));
}

}  // namespace

namespace detail {

// Conv2d, Depthwise, Pointwise: one kernel for every input (the GPU has no tuned variants yet).
template <class Desc>
struct KernelState final : GpuOperatorState {
    Desc desc;
    std::shared_ptr<GpuKernel> kernel;

    void run(const ConstTensor &input, const Tensor &output, Memory memory) const override {
        validate_tensor("input", input.data, input.desc, OpTraits<Desc>::input_channels(desc));
        check_output(*kernel, output, convgen::output_desc(desc, input.desc), input, memory);
        const auto log =
            run_log(OpTraits<Desc>::kind, kernel->selection.impl, input.desc, output.desc, memory);
        launch(*kernel, input, output, memory, [&](void *uc, auto *in, auto *out, auto *wb) {
            return call_gpu(*kernel, desc, input.desc, uc, in, out, wb);
        });
    }
    const GpuImplementation &implementation() const override { return kernel->selection.impl; }
    const GpuImplementation &implementation(const TensorDesc &) const override {
        return kernel->selection.impl;
    }
};

template <class Desc>
void GpuOperator<Desc>::warm_up(const TensorDesc &input) const {
    warm_up_op(*this, input);
}

template class GpuOperator<Conv2dDesc>;
template class GpuOperator<DepthwiseDesc>;
template class GpuOperator<PointwiseDesc>;
template class GpuOperator<SeparableDesc>;

}  // namespace detail

namespace {

// The state of a single-kernel operator: its weights validated and packed (abi::kWholeBlock),
// its kernel selected for the op's key.
template <class Desc>
std::shared_ptr<const detail::GpuOperatorState> kernel_state(const Desc &d,
                                                             const WeightPointers &w,
                                                             const GpuOptions &options) {
    std::vector<PackedBuffer> buffers = OpTraits<Desc>::pack(d, w, abi::kWholeBlock);
    auto state = std::make_shared<detail::KernelState<Desc>>();
    state->desc = d;
    state->kernel = make_kernel(OpTraits<Desc>::kind, detail::gpu_key(d), options);
    state->kernel->buffers = std::move(buffers);
    log_created(OpTraits<Desc>::kind, OpTraits<Desc>::describe(d), state->kernel->selection.impl);
    return state;
}

}  // namespace

Conv2d::Conv2d(const Conv2dDesc &d, const float *weights, const float *bias,
               const GpuOptions &options)
    : GpuOperator(d) {
    state_ = kernel_state(d, {weights, bias}, options);
}

Depthwise::Depthwise(const DepthwiseDesc &d, const float *weights, const float *bias,
                     const GpuOptions &options)
    : GpuOperator(d) {
    state_ = kernel_state(d, {weights, bias}, options);
}

Pointwise::Pointwise(const PointwiseDesc &d, const float *weights, const float *bias,
                     const GpuOptions &options)
    : GpuOperator(d) {
    state_ = kernel_state(d, {weights, bias}, options);
}

// ---- Separable ------------------------------------------------------------------------------

std::vector<FusionRule> fusion_rules(Backend b) { return fusion_rules_for(to_string(b)); }

namespace {

using Path = GpuOptions::SeparablePath;

// The rules, as the reason the pair runs when none holds.
std::string describe(const std::vector<FusionRule> &rules, Backend b) {
    std::string s;
    for (const FusionRule &r : rules) s += (s.empty() ? "" : ", or ") + r.to_string();
    return std::string(to_string(b)) + " fuses only for " + (s.empty() ? "nothing" : s) +
           " (kernels.json fusion." + to_string(b) + ")";
}

}  // namespace

namespace detail {

// The separable: its fused kernel, its depthwise + pointwise pair, or both (automatic: the
// fusion rules choose per input).
struct SeparableState final : GpuOperatorState {
    SeparableDesc desc;
    std::shared_ptr<GpuKernel> fused;              // if it may run
    std::shared_ptr<UnfusedSeparable> unfused;     // if it may run

    bool fused_for(const TensorDesc &input) const {
        if (!unfused) return true;
        if (!fused) return false;
        const TensorDesc out = convgen::output_desc(desc, input);
        const int64_t pixels = int64_t(out.n) * out.h * out.w;
        const int64_t mid = int64_t(desc.in_channels) * desc.multiplier;
        for (const FusionRule &r : unfused->rules) {
            const int stride = std::max(desc.window.stride_h, desc.window.stride_w);
            if (r.holds(mid, desc.out_channels, pixels, stride)) return true;
        }
        return false;
    }
    const GpuImplementation &implementation() const override {
        return unfused ? unfused->impl : fused->selection.impl;
    }
    const GpuImplementation &implementation(const TensorDesc &input) const override {
        return fused_for(input) ? fused->selection.impl : unfused->impl;
    }
    void run(const ConstTensor &input, const Tensor &output, Memory memory) const override;
    void run_unfused(const ConstTensor &input, const Tensor &output, Memory memory) const;
};

void SeparableState::run(const ConstTensor &input, const Tensor &output, Memory memory) const {
    validate_tensor("input", input.data, input.desc, desc.in_channels);
    check_output(fused ? *fused : *unfused->dw, output, convgen::output_desc(desc, input.desc),
                 input, memory);
    const auto log = run_log(OpKind::separable, implementation(input.desc), input.desc,
                             output.desc, memory);
    if (!fused_for(input.desc)) {
        run_unfused(input, output, memory);
        return;
    }
    launch(*fused, input, output, memory, [&](void *uc, auto *in, auto *out, auto *wb) {
        return call_gpu(*fused, desc, input.desc, uc, in, out, wb);
    });
}

// Input -> scratch -> output on one stream, all buffers alive until the output is back (host
// memory) or both launches are queued (device memory).
void SeparableState::run_unfused(const ConstTensor &input, const Tensor &output,
                                 Memory memory) const {
    const UnfusedSeparable &u = *unfused;
    const Backend backend = u.dw->options.backend;
    std::lock_guard<std::mutex> lock(u.mutex);
    CallContext uc = call_context(u.dw->options);
    const TensorDesc mid =
        convgen::output_desc(desc.window, desc.in_channels * desc.multiplier, input.desc);
    auto &scratch = u.scratch[uc.cuda_context];
    if (!scratch || scratch->size() < static_cast<size_t>(mid.elements())) {
        if (scratch) synchronize(u.dw->options);  // queued runs may still read the old one
        scratch.reset();
        scratch = std::make_unique<DeviceBuffer>(mid.elements(), u.dw->options);
    }
    std::array<halide_buffer_t, 4> dw_w = device_weights(*u.dw, &uc);
    std::array<halide_buffer_t, 4> pw_w = device_weights(*u.pw, &uc);
    CallBuffer in(input.data, input.desc, backend, memory, &uc, true);
    CallBuffer between(scratch->handle(), mid, backend, Memory::device, &uc, false);
    CallBuffer out(output.data, output.desc, backend, memory, &uc, false);
    check_kernel_result(call_gpu(*u.dw, desc.depthwise(), input.desc, &uc, in.raw(),
                                 between.raw(), dw_w.data()),
                        u.dw->selection.impl.variant);
    check_kernel_result(
        call_gpu(*u.pw, desc.pointwise(), mid, &uc, between.raw(), out.raw(), pw_w.data()),
        u.pw->selection.impl.variant);
    out.finish(true);
}

}  // namespace detail

Separable::Separable(const SeparableDesc &d, const float *dw_weights, const float *dw_bias,
                     const float *pw_weights, const float *pw_bias, const GpuOptions &options)
    : GpuOperator(d) {
    auto buffers = OpTraits<SeparableDesc>::pack(d, {dw_weights, dw_bias, pw_weights, pw_bias},
                                                 abi::kWholeBlock);
    if (options.separable_path == Path::unfused && !options.variant.empty()) {
        fail(ErrorCode::invalid_argument, "options.variant",
             "options.variant names a fused variant ('" + options.variant +
                 "'), but options.separable_path is unfused");
    }
    auto state = std::make_shared<detail::SeparableState>();
    state->desc = d;
    if (options.separable_path != Path::unfused) {
        state->fused = make_kernel(OpKind::separable, detail::gpu_key(d), options);
        state->fused->buffers = buffers;
    }
    const bool fused_only = options.separable_path == Path::fused || !options.variant.empty();
    if (!fused_only) {
        const std::string why = options.separable_path == Path::unfused
                                    ? "options.separable_path is unfused"
                                    : describe(fusion_rules(options.backend), options.backend);
        // The pair: the depthwise with the separable's window and multiplier, then the
        // pointwise; the separable's packing lays out each half as those ops pack it.
        auto u = std::make_shared<detail::UnfusedSeparable>();
        u->dw = make_kernel(OpKind::depthwise, detail::gpu_key(d.depthwise()), options);
        u->pw = make_kernel(OpKind::pointwise, detail::gpu_key(d.pointwise()), options);
        u->dw->buffers = {std::move(buffers[0]), std::move(buffers[1])};
        u->pw->buffers = {std::move(buffers[2]), std::move(buffers[3])};
        const GpuImplementation &a = u->dw->selection.impl, &b = u->pw->selection.impl;
        u->impl = a;
        u->impl.variant = a.variant + " + " + b.variant;
        u->impl.schedule =
            a.schedule == b.schedule ? a.schedule : a.schedule + " + " + b.schedule;
        u->impl.declined.insert(u->impl.declined.begin(), {"fused", why});
        u->impl.declined.insert(u->impl.declined.end(), b.declined.begin(), b.declined.end());
        if (options.separable_path == Path::automatic) u->rules = fusion_rules(options.backend);
        state->unfused = std::move(u);
    }
    log_created(OpKind::separable, OpTraits<SeparableDesc>::describe(d),
                state->implementation());
    state_ = std::move(state);
}

}  // namespace convgen::gpu
