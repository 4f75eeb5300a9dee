// The only GPU file that talks to drivers and to the Halide runtime's GPU hooks: probing
// libcuda.so.1 / libOpenCL.so.1, the CUDA context/stream hooks, and device memory.
#include <dlfcn.h>

#include "gpu_internal.h"

#if defined(CONVGEN_GPU_CUDA)
#include "HalideRuntimeCuda.h"
#endif
#if defined(CONVGEN_GPU_OPENCL)
#include "HalideRuntimeOpenCL.h"
#endif

namespace convgen::gpu {

using convgen::detail::check_kernel_result;
using convgen::detail::check_not_null;
using convgen::detail::check_positive;
using convgen::detail::fail;
using convgen::detail::install_halide_handlers;

namespace detail {

namespace {

// The outcome of loading a backend's driver and looking for a device, probed once.
struct Probe {
    bool ok = false;
    std::string why;
    int capability = 0;  // CUDA: major * 10 + minor of device 0
};

void *load_global(const char *soname, std::string *error) {
    // RTLD_GLOBAL, so that Halide's runtime, which asks the process for cuInit / clCreateContext
    // before it tries to dlopen the unversioned name itself, finds these symbols.
    void *lib = dlopen(soname, RTLD_NOW | RTLD_GLOBAL);
    if (!lib) *error = dlerror();
    return lib;
}

Probe probe_cuda() {
    Probe p;
#if !defined(CONVGEN_GPU_CUDA)
    p.why = "no CUDA device: this convgen was built without CUDA kernels";
    return p;
#else
    std::string err;
    void *lib = load_global("libcuda.so.1", &err);
    if (!lib) {
        p.why = "no CUDA device: the CUDA driver library is not installed (" + err + ")";
        return p;
    }
    using init_t = int (*)(unsigned);
    using count_t = int (*)(int *);
    using attr_t = int (*)(int *, int, int);
    using name_t = int (*)(int, const char **);
    auto cu_init = reinterpret_cast<init_t>(dlsym(lib, "cuInit"));
    auto cu_count = reinterpret_cast<count_t>(dlsym(lib, "cuDeviceGetCount"));
    auto cu_attr = reinterpret_cast<attr_t>(dlsym(lib, "cuDeviceGetAttribute"));
    auto cu_name = reinterpret_cast<name_t>(dlsym(lib, "cuGetErrorName"));
    if (!cu_init || !cu_count || !cu_attr) {
        p.why = "no CUDA device: libcuda.so.1 lacks cuInit/cuDeviceGetCount/cuDeviceGetAttribute";
        return p;
    }
    auto describe = [&](int rc) {
        const char *name = nullptr;
        if (cu_name) cu_name(rc, &name);
        return std::string(name ? name : "CUDA error") + " (" + std::to_string(rc) + ")";
    };
    if (int rc = cu_init(0); rc != 0) {
        p.why = "no CUDA device: cuInit failed: " + describe(rc);
        return p;
    }
    int count = 0;
    if (int rc = cu_count(&count); rc != 0 || count == 0) {
        p.why = rc ? "no CUDA device: cuDeviceGetCount failed: " + describe(rc)
                   : std::string("no CUDA device: the driver reports none");
        return p;
    }
    int major = 0, minor = 0;
    cu_attr(&major, 75, 0);  // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device 0
    cu_attr(&minor, 76, 0);  // ..._MINOR
    p.capability = major * 10 + minor;
    p.ok = true;
    return p;
#endif
}

Probe probe_opencl() {
    Probe p;
#if !defined(CONVGEN_GPU_OPENCL)
    p.why = "no OpenCL device: this convgen was built without OpenCL kernels";
    return p;
#else
    std::string err;
    void *lib = load_global("libOpenCL.so.1", &err);
    if (!lib) {
        p.why = "no OpenCL device: no OpenCL ICD loader (" + err +
                "; Debian: ocl-icd-libopencl1 and a driver such as pocl-opencl-icd)";
        return p;
    }
    using platforms_t = int32_t (*)(uint32_t, void **, uint32_t *);
    using devices_t = int32_t (*)(void *, uint64_t, uint32_t, void **, uint32_t *);
    auto get_platforms = reinterpret_cast<platforms_t>(dlsym(lib, "clGetPlatformIDs"));
    auto get_devices = reinterpret_cast<devices_t>(dlsym(lib, "clGetDeviceIDs"));
    if (!get_platforms || !get_devices) {
        p.why = "no OpenCL device: libOpenCL.so.1 lacks clGetPlatformIDs/clGetDeviceIDs";
        return p;
    }
    void *platforms[4] = {};
    uint32_t n = 0;
    if (int32_t rc = get_platforms(4, platforms, &n); rc != 0 || n == 0) {
        p.why = "no OpenCL device: no OpenCL platform (clGetPlatformIDs returned " +
                std::to_string(rc) + ", " + std::to_string(n) + " platforms)";
        return p;
    }
    uint32_t devices = 0;
    void *device = nullptr;
    // Halide's runtime takes the first platform unless HL_OCL_PLATFORM_NAME says otherwise.
    if (int32_t rc = get_devices(platforms[0], 0xFFFFFFFFull, 1, &device, &devices);
        rc != 0 || devices == 0) {
        p.why = "no OpenCL device: the first platform has no device (clGetDeviceIDs returned " +
                std::to_string(rc) + ")";
        return p;
    }
    p.ok = true;
    return p;
#endif
}

const Probe &probe(Backend b) {
    static const Probe cuda = probe_cuda();  // thread-safe static initialisation, once
    static const Probe opencl = probe_opencl();
    return b == Backend::cuda ? cuda : opencl;
}

#if defined(CONVGEN_GPU_CUDA)
// The Halide runtime's defaults, kept to serve calls that name no context or stream.
halide_cuda_acquire_context_t default_acquire = nullptr;
halide_cuda_release_context_t default_release = nullptr;
halide_cuda_get_stream_t default_get_stream = nullptr;

int acquire_context(void *uc, void **ctx, bool create) {
    const auto *c = static_cast<const CallContext *>(uc);
    if (c && c->cuda_context) {
        *ctx = c->cuda_context;
        return 0;
    }
    return default_acquire(uc, ctx, create);
}
int release_context(void *uc) {
    const auto *c = static_cast<const CallContext *>(uc);
    if (c && c->cuda_context) return 0;  // the caller's context: nothing of ours to release
    return default_release(uc);
}
int get_stream(void *uc, void *ctx, void **stream) {
    const auto *c = static_cast<const CallContext *>(uc);
    if (c && c->cuda_stream) {
        *stream = c->cuda_stream;
        return 0;
    }
    return default_get_stream(uc, ctx, stream);
}

void install_cuda_hooks() {
    static std::once_flag once;
    std::call_once(once, [] {
        default_acquire = halide_set_cuda_acquire_context(acquire_context);
        default_release = halide_set_cuda_release_context(release_context);
        default_get_stream = halide_set_cuda_get_stream(get_stream);
    });
}
#endif

}  // namespace

void require_backend(Backend b) {
    install_halide_handlers();
    const Probe &p = probe(b);
    if (!p.ok) fail(ErrorCode::unsupported, "backend", p.why);
#if defined(CONVGEN_GPU_CUDA)
    if (b == Backend::cuda) install_cuda_hooks();
#endif
    static std::once_flag reuse;
    // Host-memory runs free their device scratch after each call; let Halide cache it.
    std::call_once(reuse, [] { halide_reuse_device_allocations(nullptr, true); });
}

const halide_device_interface_t *device_interface(Backend b) {
#if defined(CONVGEN_GPU_CUDA)
    if (b == Backend::cuda) return halide_cuda_device_interface();
#endif
#if defined(CONVGEN_GPU_OPENCL)
    if (b == Backend::opencl) return halide_opencl_device_interface();
#endif
    fail(ErrorCode::unsupported, "backend",
         std::string("this convgen was built without ") + to_string(b) + " kernels");
}

CallContext call_context(const GpuOptions &o) {
    CallContext c;
    if (o.backend != Backend::cuda) return c;
    c.cuda_context = o.cuda_context;
    c.cuda_stream = o.cuda_stream;
    if (!c.cuda_context && o.cuda_current_context) {
        using current_t = int (*)(void **);
        static const auto cu_current = reinterpret_cast<current_t>(
            dlsym(dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD), "cuCtxGetCurrent"));
        if (!cu_current || cu_current(&c.cuda_context) != 0 || !c.cuda_context) {
            fail(ErrorCode::invalid_argument, "options.cuda_current_context",
                 "options.cuda_current_context is set but no CUDA context is current on this "
                 "thread");
        }
    }
    return c;
}

CallBuffer::CallBuffer(const float *data, const TensorDesc &d, Backend b, Memory m, void *uc,
                       bool is_input)
    : view(data, d), backend(b), memory(m), uc(uc) {
    halide_buffer_t *buf = view.raw();
    if (m == Memory::host) {
        if (is_input) buf->flags |= halide_buffer_flag_host_dirty;
        return;
    }
    buf->host = nullptr;
    const uint64_t handle = reinterpret_cast<uintptr_t>(data);
    int rc = -1;
#if defined(CONVGEN_GPU_CUDA)
    if (b == Backend::cuda) rc = halide_cuda_wrap_device_ptr(uc, buf, handle);
#endif
#if defined(CONVGEN_GPU_OPENCL)
    if (b == Backend::opencl) rc = halide_opencl_wrap_cl_mem(uc, buf, handle);
#endif
    (void)handle;
    check_kernel_result(rc, std::string("(wrapping a ") + to_string(b) + " device pointer)");
    wrapped = true;
}

void CallBuffer::finish(bool is_output) {
    if (memory != Memory::host || !is_output) return;
    halide_buffer_t *buf = view.raw();
    if (buf->device && (buf->flags & halide_buffer_flag_device_dirty)) {
        check_kernel_result(halide_copy_to_host(uc, buf), "(copying the output to the host)");
    }
}

CallBuffer::~CallBuffer() {
    halide_buffer_t *buf = view.raw();
    if (wrapped) {
#if defined(CONVGEN_GPU_CUDA)
        if (backend == Backend::cuda) halide_cuda_detach_device_ptr(uc, buf);
#endif
#if defined(CONVGEN_GPU_OPENCL)
        if (backend == Backend::opencl) halide_opencl_detach_cl_mem(uc, buf);
#endif
    } else if (buf->device) {
        halide_device_free(uc, buf);  // host-memory run: the device scratch Halide allocated
    }
}

}  // namespace detail

bool available(Backend b, std::string *why) {
    const detail::Probe &p = detail::probe(b);
    const bool built = compiled(b);
    if (why) {  // always set: a caller's earlier message must not survive a success
        *why = !p.ok   ? p.why
               : built ? std::string()
                       : std::string("convgen was built without ") + to_string(b) + " kernels";
    }
    return p.ok && built;
}

int cuda_compute_capability() { return detail::probe(Backend::cuda).capability; }

struct DeviceBuffer::Impl {
    halide_dimension_t dim{};
    halide_buffer_t buf{};
    detail::CallContext uc;
    Backend backend;
};

DeviceBuffer::DeviceBuffer(size_t floats, const GpuOptions &options)
    : impl_(std::make_unique<Impl>()), floats_(floats) {
    check_positive("floats", static_cast<int64_t>(floats));
    convgen::detail::checked_elements("floats", {static_cast<int64_t>(floats)});
    detail::require_backend(options.backend);
    impl_->backend = options.backend;
    impl_->uc = detail::call_context(options);
    impl_->dim = halide_dimension_t(0, static_cast<int32_t>(floats), 1);
    impl_->buf.type = halide_type_t(halide_type_float, 32);
    impl_->buf.dimensions = 1;
    impl_->buf.dim = &impl_->dim;
    check_kernel_result(halide_device_malloc(&impl_->uc, &impl_->buf,
                                             detail::device_interface(options.backend)),
                        "(allocating device memory)");
}

DeviceBuffer::~DeviceBuffer() {
    if (impl_ && impl_->buf.device) halide_device_free(&impl_->uc, &impl_->buf);
}

float *DeviceBuffer::handle() const {
    uintptr_t h = 0;
#if defined(CONVGEN_GPU_CUDA)
    if (impl_->backend == Backend::cuda) h = halide_cuda_get_device_ptr(&impl_->uc, &impl_->buf);
#endif
#if defined(CONVGEN_GPU_OPENCL)
    if (impl_->backend == Backend::opencl) h = halide_opencl_get_cl_mem(&impl_->uc, &impl_->buf);
#endif
    return reinterpret_cast<float *>(h);
}

void DeviceBuffer::upload(const float *src) {
    check_not_null("src", src);
    halide_buffer_t &b = impl_->buf;
    b.host = reinterpret_cast<uint8_t *>(const_cast<float *>(src));
    b.flags = halide_buffer_flag_host_dirty;
    const int rc = halide_copy_to_device(&impl_->uc, &b, detail::device_interface(impl_->backend));
    b.host = nullptr;
    b.flags = 0;
    check_kernel_result(rc, "(copying to the device)");
}

void DeviceBuffer::download(float *dst) const {
    check_not_null("dst", dst);
    halide_buffer_t &b = impl_->buf;
    b.host = reinterpret_cast<uint8_t *>(dst);
    b.flags = halide_buffer_flag_device_dirty;
    const int rc = halide_copy_to_host(&impl_->uc, &b);
    b.host = nullptr;
    b.flags = 0;
    check_kernel_result(rc, "(copying to the host)");
}

void release_cuda_context(void *cuda_context) {
    check_not_null("cuda_context", cuda_context);
    detail::require_backend(Backend::cuda);
#if defined(CONVGEN_GPU_CUDA)
    // Halide's device_release on the caller's context (our acquire hook hands it over): syncs,
    // frees the unused allocations it kept, unloads that context's modules; it destroys only a
    // context of Halide's own.
    detail::CallContext uc;
    uc.cuda_context = cuda_context;
    halide_device_release(&uc, halide_cuda_device_interface());
#endif
}

void synchronize(const GpuOptions &options) {
    DeviceBuffer one(1, options);
    check_kernel_result(halide_device_sync(&one.impl_->uc, &one.impl_->buf), "(synchronize)");
}

}  // namespace convgen::gpu
