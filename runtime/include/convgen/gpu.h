// convgen on GPUs: the same four operators, run by kernels compiled ahead of time for CUDA
// (PTX for compute capability 8.0 and 8.6, JIT-compiled by the driver at the first call; runs
// on any NVIDIA GPU of capability >= 8.0, e.g. A100, RTX 30xx/40xx, H100) and for OpenCL (CI
// runs them on PoCL). Built on x86-64 Linux only; elsewhere every backend reports unavailable.
//
// Memory. run(input, output, Memory::device) takes device memory: `data` is then the device
// handle of the tensor's first element, a CUdeviceptr (CUDA) or a cl_mem (OpenCL), cast to a
// float pointer; nothing is copied, and on CUDA the call only enqueues the kernel on the stream
// (the output is ready when the stream says so, as with cuDNN). Memory::host takes host
// pointers: each run copies the input to the device, runs, copies the output back and returns
// when it is there (device scratch is cached by Halide between calls). Weights and biases are
// copied to the device once, at the first run or warm_up(), and stay there until the operator
// is destroyed; they live in the context of that first run.
//
// Contexts and streams (CUDA). By default the kernels run on a context convgen's Halide runtime
// creates on device 0, on its null stream. GpuOptions::cuda_context / cuda_stream make them run
// on the caller's CUcontext and CUstream instead (e.g. PyTorch's current ones), or
// cuda_current_context on whatever context is current on the calling thread (the CUDA runtime
// API's primary context after cudaSetDevice/cudaFree(0)). Device pointers must belong to the
// context the operator runs on.
//
// Threads and workspace. A GPU run has no host-side parallel loop and its scratch is device
// memory Halide caches per context, so gpu:: operators take no Executor, thread count or
// workspace: the application's handles here are the context and stream above.
//
// First call. The driver compiles the PTX (and PoCL the OpenCL C) at an operator's first run;
// warm_up() pays that, and the weights' upload, up front so that timed runs exclude it.
//
// Errors. Every failure is a convgen::Error: no driver or no device (code unsupported, field
// "backend", e.g. "no CUDA device: ..."), bad input as on the CPU, and any CUDA/OpenCL error
// during a run (kernel_failed, with the driver's message). Nothing aborts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "operators.h"
#include "params.h"
#include "runtime.h"
#include "tensor.h"

namespace convgen::gpu {

enum class Backend { cuda, opencl };
const char *to_string(Backend b);

// Whether this build has kernels for the backend (x86-64 builds have both).
bool compiled(Backend b);
// Whether operators of the backend can run here: compiled, its driver library loads
// (libcuda.so.1 / libOpenCL.so.1, preloaded with RTLD_GLOBAL for Halide's runtime, which itself
// would only look for the unversioned libcuda.so / libOpenCL.so of development packages), and
// it has a device. If not and `why` is given, it receives the reason, e.g. "no CUDA device:
// libcuda.so.1: cannot open shared object file".
bool available(Backend b, std::string *why = nullptr);

// The CUDA device's compute capability as major * 10 + minor (0 if unavailable).
int cuda_compute_capability();

// When a Separable with GpuOptions::separable_path automatic runs the fused kernel on this
// backend: when any of its rules holds (convgen::FusionRule; kernels.json fusion.<backend>,
// set from bench/gpu measurements: the fused kernel wins where the separate kernels cannot
// fill the GPU).
using convgen::FusionRule;
std::vector<FusionRule> fusion_rules(Backend b);

enum class Memory { device, host };

// The variants compiled for a backend (kernels.json gpu_variants, in dispatch order) and the
// targets of each ("cuda_sm80", "cuda_sm86"; "opencl").
struct GpuVariantInfo {
    VariantInfo variant;
    std::vector<std::string> targets;
};
std::vector<GpuVariantInfo> variants(Backend b);

struct GpuOptions {
    Backend backend = Backend::cuda;
    std::string variant;  // force a compiled variant by name; empty = first that accepts
    std::string target;   // force a compiled target ("cuda_sm80"); empty = newest the device runs
    // CUDA only: CUcontext / CUstream to run on (see above). Null: Halide's own context and
    // its null stream, unless cuda_current_context.
    void *cuda_context = nullptr;
    void *cuda_stream = nullptr;
    bool cuda_current_context = false;
    // Separable only: run the fused kernel, or the depthwise kernel then the pointwise kernel
    // with the intermediate in device scratch. automatic fuses where the fused kernel is the
    // faster on this backend (see Separable); `variant` names a fused variant, so it implies
    // fused.
    enum class SeparablePath { automatic, fused, unfused };
    SeparablePath separable_path = SeparablePath::automatic;
};

// Which compiled variant a GPU operator runs, for which target, and why others declined.
struct GpuImplementation {
    std::string variant;
    Backend backend = Backend::cuda;
    std::string target;  // "cuda_sm86", "cuda_sm80", "opencl"
    std::string schedule;
    std::vector<Implementation::Declined> declined;
    std::string to_string() const;
};

namespace detail {
struct GpuOperatorState;

// The GPU side of convgen::detail::Operator (operator_base.h): a run takes the Memory its
// tensors are in (device, the default, or host); implementation() is a GpuImplementation; the
// state is the runtime's (runtime/src/gpu_operators.cpp).
struct GpuBackend {
    using RunOptions = Memory;
    using Implementation = GpuImplementation;
    using State = GpuOperatorState;
    static void run(const State &s, const ConstTensor &input, const Tensor &output,
                    Memory memory);
    static const GpuImplementation &implementation(const State &s);
    static const GpuImplementation &implementation(const State &s, const TensorDesc &input);
};

// Every GPU operator: convgen::detail::Operator's API, and warm_up. Each operator adds its
// constructor, which packs its weights.
template <class Desc>
class GpuOperator : public convgen::detail::Operator<Desc, GpuBackend> {
public:
    // Runs once on zeros of the input's shape, through host memory: the driver's JIT, the
    // weights' upload and Halide's scratch allocations happen here rather than in the first
    // timed run.
    void warm_up(const TensorDesc &input) const;

protected:
    explicit GpuOperator(const Desc &desc) : convgen::detail::Operator<Desc, GpuBackend>(desc) {}
};
}  // namespace detail

// The operators take the same descriptors and host weight layouts as their CPU namesakes.
class Conv2d : public detail::GpuOperator<Conv2dDesc> {
public:
    Conv2d(const Conv2dDesc &desc, const float *weights, const float *bias,
           const GpuOptions &options = {});
};

class Depthwise : public detail::GpuOperator<DepthwiseDesc> {
public:
    Depthwise(const DepthwiseDesc &desc, const float *weights, const float *bias,
              const GpuOptions &options = {});
};

class Pointwise : public detail::GpuOperator<PointwiseDesc> {
public:
    Pointwise(const PointwiseDesc &desc, const float *weights, const float *bias,
              const GpuOptions &options = {});
};

// Depthwise-separable. Fused: one kernel, each block's depthwise tile in shared memory, never
// in global memory. Unfused: the depthwise and the pointwise kernels one after the other on
// the same stream, the intermediate in device scratch the operator allocates at its first
// unfused run (per CUDA context, grown when an input needs more) and frees when destroyed.
// GpuOptions::separable_path automatic fuses where the fused kernel measured faster
// (fusion_rules): narrow intermediates up to mid-sized outputs, any intermediate for small
// outputs (e.g. MobileNetV1's 14x14 and 7x7 blocks at batch 1). Beyond that the fused kernel's
// per-block depthwise tiles cost more than the intermediate's round trip through memory.
// implementation() is what runs for large inputs (outputs above every fusion rule's
// max_pixels), and why; implementation(input) what runs for this input.
class Separable : public detail::GpuOperator<SeparableDesc> {
public:
    Separable(const SeparableDesc &desc, const float *dw_weights, const float *dw_bias,
              const float *pw_weights, const float *pw_bias, const GpuOptions &options = {});
};

// Call before destroying a CUDA context that convgen ran on (GpuOptions::cuda_context or
// cuda_current_context), after destroying the operators and DeviceBuffers of that context.
// Halide's runtime caches per context (the compiled kernels, and freed device allocations kept
// for reuse); this drops them, so that a context created later at the same address does not
// inherit stale ones (seen on an H200 as CUDA_ERROR_INVALID_VALUE / INVALID_HANDLE errors).
void release_cuda_context(void *cuda_context);

// A device allocation of `floats` floats, for callers without their own (tests, benchmarks).
// handle() is what run(..., Memory::device) takes as `data`.
void synchronize(const GpuOptions &options);

class DeviceBuffer {
public:
    DeviceBuffer(size_t floats, const GpuOptions &options = {});
    ~DeviceBuffer();
    DeviceBuffer(const DeviceBuffer &) = delete;
    DeviceBuffer &operator=(const DeviceBuffer &) = delete;
    float *handle() const;
    size_t size() const { return floats_; }
    void upload(const float *src);  // size() floats, synchronous
    void download(float *dst) const;  // size() floats, synchronous (waits for queued work)

private:
    friend void synchronize(const GpuOptions &options);
    struct Impl;
    std::unique_ptr<Impl> impl_;
    size_t floats_;
};

// Waits until the operator's queued work on this context/stream is done (cuStreamSynchronize /
// clFinish), reporting any asynchronous error.
void synchronize(const GpuOptions &options = {});

}  // namespace convgen::gpu
