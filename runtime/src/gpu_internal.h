// GPU runtime internals: kernel signatures, the GPU dispatch table, the per-call user context
// that carries the caller's CUDA context and stream to the Halide runtime's hooks, and the
// driver probing. Nothing here is installed.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "HalideRuntime.h"
#include "convgen/gpu.h"
#include "op_traits.h"

namespace convgen::gpu::detail {

// An op's GPU kernel type: Halide's user_context first (targets with the user_context
// feature), then the CPU kernel's arguments (OpTraits::Args, abi/kernel_abi.h).
template <class Desc>
using gpu_kernel_t = abi::with_context_t<convgen::detail::OpTraits<Desc>::template Args>;
template <OpKind K>
using gpu_kernel_of_t = gpu_kernel_t<typename convgen::detail::DescOf<K>::type>;

// What Halide's user_context points to during a convgen GPU call.
struct CallContext {
    void *cuda_context = nullptr;  // CUcontext to use, or null for Halide's own
    void *cuda_stream = nullptr;   // CUstream, or null for the default
};
// The call context for `o` (resolves cuda_current_context on the calling thread).
CallContext call_context(const GpuOptions &o);

// Loads the backend's driver (RTLD_GLOBAL) and checks for a device; throws
// Error(unsupported, "backend", reason) if it cannot run. Installs the Halide hooks.
void require_backend(Backend b);
const halide_device_interface_t *device_interface(Backend b);

// One compiled GPU entry point, with its variant's description (GPU-only variants have no CPU
// entry).
struct GpuKernelEntry {
    VariantInfo variant;
    Backend backend;
    const char *target;
    void *fn;
    convgen::detail::MetadataFn *metadata;
};
// The rows of convgen_gpu_kernels.inc (cmake/ConvgenGpuVariants.cmake) as GpuKernelEntry, and
// the build-time check of each kernel's type.
#define CONVGEN_CHECK_GPU_KERNEL_TYPE(op, name, backend, isa, ...)                          \
    static_assert(std::is_same_v<decltype(convgen_gpu_##name##_##isa),                     \
                                 convgen::gpu::detail::gpu_kernel_of_t<convgen::OpKind::op>>, \
                  "convgen_gpu_" #name "_" #isa " does not have the " #op                  \
                  " kernel ABI of abi/kernel_abi.h");
#define CONVGEN_GPU_KERNEL_ROW(op, name, backend, isa, kernel, stride, dilation, multiplier,   \
                               schedule, dispatch)                                            \
    convgen::gpu::detail::GpuKernelEntry{                                                     \
        convgen::VariantInfo{convgen::OpKind::op, #name, kernel, stride, dilation, multiplier, \
                             schedule, dispatch != 0, {}, 0, "", {}},                         \
        convgen::gpu::Backend::backend, #isa,                                                 \
        reinterpret_cast<void *>(&convgen_gpu_##name##_##isa),                                \
        &convgen_gpu_##name##_##isa##_metadata},
// Adds GPU kernels (the baselines) to the table; call at start-up, before operators exist.
void register_gpu_kernels(const std::vector<GpuKernelEntry> &entries);

// The GPU dispatch asks the CPU's rule (detail::key_decline_reason) of the op's key, without
// the channels (the GPU has no tuned variants yet).
using convgen::detail::DispatchKey;
template <class Desc>
DispatchKey gpu_key(const Desc &d) {
    DispatchKey key = convgen::detail::OpTraits<Desc>::key(d);
    key.in_channels = key.out_channels = 0;
    return key;
}

struct GpuSelection {
    void *kernel = nullptr;
    GpuImplementation impl;
};
GpuSelection select_gpu_kernel(OpKind op, const DispatchKey &key, const GpuOptions &options);

// Wraps caller memory as a halide_buffer_t for one call: device handles are attached with
// the backend's wrap call and detached again in the destructor; host memory is marked dirty
// (inputs) so Halide copies it to the device.
struct CallBuffer {
    convgen::detail::BufferView view;
    Backend backend;
    Memory memory;
    void *uc;
    bool wrapped = false;
    CallBuffer(const float *data, const TensorDesc &d, Backend b, Memory m, void *uc,
               bool is_input);
    ~CallBuffer();
    halide_buffer_t *raw() { return view.raw(); }
    // Host memory: copies an output back (after the kernel) and frees device scratch.
    void finish(bool is_output);
};

}  // namespace convgen::gpu::detail
