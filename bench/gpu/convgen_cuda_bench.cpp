// convgen on an NVIDIA GPU: MobileNetV1's depthwise-separable blocks (bias and ReLU6 fused) at
// batch 1 and 32, the fused separable kernel against depthwise then pointwise (unfused, the
// intermediate in global memory), timed with CUDA events on the caller's stream in the device's
// primary context (GpuOptions::cuda_current_context + cuda_stream), device memory, after
// warm_up() (the PTX JIT and the weights' upload are excluded).
// It talks to the driver API only, through libcuda.so.1 (dlopen), as convgen itself does: it
// needs no CUDA toolkit at build or run time and runs on any driver that runs the PTX.
//
//   convgen_cuda_bench [--batches=1,32] [--iters=50] [--reps=7] [--problem=sep:...] [--csv]
//                      [--variants]
//
// Stages: fused (the fused kernel, forced), unfused (depthwise then pointwise operators), dw,
// pw, and auto (a Separable as the runtime chooses, GpuOptions::separable_path automatic).
// --variants also times the GPU-only variants of kernels.json (gpu_variants.variants) that
// accept the layer: the fused schedule alternatives (stage fused:<suffix>) and the
// autoschedulers' baselines (fused:, dw:, pw:<schedule>); an autoscheduled variant whose tiles
// exceed the layer refuses it, reported on stderr.
//
// Without a CUDA device it prints "no CUDA device" and exits with status 2.
#include <convgen/convgen.h>
#include <convgen/gpu.h>

#include <dlfcn.h>

#include <cstdint>
#include <type_traits>

#include "common.h"

using namespace convgen;
using gpubench::row;

namespace {

const char kUsage[] =
    "usage: convgen_cuda_bench [--batches=1,32] [--iters=50] [--reps=7] "
    "[--problem=sep:n1c128h56k3s1o128,...] [--csv] [--variants]\n";

// The driver API functions used here (CUDA's C ABI: handles are pointers, CUdeviceptr 64-bit).
struct Cuda {
    using R = int;
    R (*init)(unsigned);
    R (*device_count)(int *);
    R (*device_name)(char *, int, int);
    R (*device_attribute)(int *, int, int);
    R (*primary_retain)(void **, int);
    R (*set_current)(void *);
    R (*stream_create)(void **, unsigned);
    R (*stream_sync)(void *);
    R (*event_create)(void **, unsigned);
    R (*event_record)(void *, void *);
    R (*event_sync)(void *);
    R (*event_elapsed)(float *, void *, void *);
    R (*mem_alloc)(uint64_t *, size_t);
    R (*mem_free)(uint64_t);
    R (*htod)(uint64_t, const void *, size_t);
    R (*error_string)(int, const char **);

    // Loads libcuda.so.1; on failure `why` says so and the pointers are null.
    explicit Cuda(std::string &why) {
        void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL);
        if (!lib) {
            why = dlerror();
            return;
        }
        auto load = [&](auto &fn, const char *name) {
            fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(lib, name));
            if (!fn) why = std::string("libcuda.so.1 lacks ") + name;
        };
        load(init, "cuInit"), load(device_count, "cuDeviceGetCount");
        load(device_name, "cuDeviceGetName"), load(device_attribute, "cuDeviceGetAttribute");
        load(primary_retain, "cuDevicePrimaryCtxRetain"), load(set_current, "cuCtxSetCurrent");
        load(stream_create, "cuStreamCreate"), load(stream_sync, "cuStreamSynchronize");
        load(event_create, "cuEventCreate"), load(event_record, "cuEventRecord");
        load(event_sync, "cuEventSynchronize"), load(event_elapsed, "cuEventElapsedTime");
        load(mem_alloc, "cuMemAlloc_v2"), load(mem_free, "cuMemFree_v2");
        load(htod, "cuMemcpyHtoD_v2"), load(error_string, "cuGetErrorString");
    }
    void check(int rc, const char *what) const {
        if (rc == 0) return;
        const char *msg = nullptr;
        if (error_string) error_string(rc, &msg);
        throw std::runtime_error(std::string(what) + ": " + (msg ? msg : "CUDA error ") +
                                 " (" + std::to_string(rc) + ")");
    }
};

struct DriverTimer : gpubench::StreamTimer {
    const Cuda &cu;
    void *stream, *a = nullptr, *b = nullptr;
    DriverTimer(const Cuda &cu, void *stream) : cu(cu), stream(stream) {
        cu.check(cu.event_create(&a, 0), "cuEventCreate");
        cu.check(cu.event_create(&b, 0), "cuEventCreate");
    }
    void start() override { cu.check(cu.event_record(a, stream), "cuEventRecord"); }
    void stop() override { cu.check(cu.event_record(b, stream), "cuEventRecord"); }
    double elapsed_ms() override {
        cu.check(cu.event_sync(b), "cuEventSynchronize");
        float ms = 0;
        cu.check(cu.event_elapsed(&ms, a, b), "cuEventElapsedTime");
        return ms;
    }
    void sync() override { cu.check(cu.stream_sync(stream), "cuStreamSynchronize"); }
};

struct DeviceArray {
    const Cuda &cu;
    uint64_t p = 0;
    DeviceArray(const Cuda &cu, size_t n, const std::vector<float> *init = nullptr) : cu(cu) {
        cu.check(cu.mem_alloc(&p, n * sizeof(float)), "cuMemAlloc");
        if (init) cu.check(cu.htod(p, init->data(), n * sizeof(float)), "cuMemcpyHtoD");
    }
    ~DeviceArray() { cu.mem_free(p); }
    float *ptr() const { return reinterpret_cast<float *>(p); }
};

void bench_layer(const Cuda &cu, const convgen_problems::Problem &p, int n,
                 const gpubench::Args &args, void *stream) {
    SeparableDesc d;
    d.in_channels = p.c;
    d.multiplier = p.multiplier;
    d.out_channels = p.o;
    d.window = Window{p.kh, p.kw, p.stride, p.stride, p.dilation, p.dilation, Padding::same()};
    d.dw_activation = Activation::relu6();
    d.activation = Activation::relu6();
    const int mid = p.c * p.multiplier;
    const auto dw_w = gpubench::random_floats(size_t(p.kh) * p.kw * mid, 1, 0.3f);
    const auto dw_b = gpubench::random_floats(mid, 2);
    const auto pw_w = gpubench::random_floats(size_t(mid) * p.o, 3, 0.1f);
    const auto pw_b = gpubench::random_floats(p.o, 4);

    gpu::GpuOptions o;
    o.backend = gpu::Backend::cuda;
    o.cuda_current_context = true;  // the primary context, current on this thread, where the
                                    // buffers below are allocated
    o.cuda_stream = stream;
    gpu::GpuOptions forced = o;
    forced.separable_path = gpu::GpuOptions::SeparablePath::fused;
    gpu::Separable fused(d, dw_w.data(), dw_b.data(), pw_w.data(), pw_b.data(), forced);
    gpu::Separable automatic(d, dw_w.data(), dw_b.data(), pw_w.data(), pw_b.data(), o);
    gpu::Depthwise dw(d.depthwise(), dw_w.data(), dw_b.data(), o);
    gpu::Pointwise pw(d.pointwise(), pw_w.data(), pw_b.data(), o);

    const TensorDesc in = TensorDesc::nhwc(n, p.h, p.w, p.c);
    const TensorDesc mid_desc = dw.output_desc(in);
    const TensorDesc out = fused.output_desc(in);
    const auto x = gpubench::random_floats(in.elements(), 5);
    DeviceArray dx(cu, in.elements(), &x), dmid(cu, mid_desc.elements()), dy(cu, out.elements());
    fused.warm_up(in);
    automatic.warm_up(in);
    dw.warm_up(in);
    pw.warm_up(mid_desc);

    const auto f = gpubench::flops(p, n);
    static bool printed = false;
    if (!printed && !args.csv) {
        std::printf("fused: %s\nunfused: %s + %s\n", fused.implementation().to_string().c_str(),
                    dw.implementation().variant.c_str(), pw.implementation().variant.c_str());
        printed = true;
    }
    auto run_fused = [&] { fused.run({dx.ptr(), in}, {dy.ptr(), out}); };
    auto run_dw = [&] { dw.run({dx.ptr(), in}, {dmid.ptr(), mid_desc}); };
    auto run_pw = [&] { pw.run({dmid.ptr(), mid_desc}, {dy.ptr(), out}); };
    DriverTimer timer(cu, stream);
    const double t_fused = gpubench::time_us(timer, args.iters, args.reps, run_fused);
    const double t_dw = gpubench::time_us(timer, args.iters, args.reps, run_dw);
    const double t_pw = gpubench::time_us(timer, args.iters, args.reps, run_pw);
    const double t_unfused =
        gpubench::time_us(timer, args.iters, args.reps, [&] { run_dw(), run_pw(); });
    const double t_auto = gpubench::time_us(timer, args.iters, args.reps, [&] {
        automatic.run({dx.ptr(), in}, {dy.ptr(), out});
    });
    const auto variant = [](const auto &op) { return op.implementation().variant; };
    row(args.csv, "convgen", p, n, "fused", t_fused, f.dw + f.pw, variant(fused));
    row(args.csv, "convgen", p, n, "unfused", t_unfused, f.dw + f.pw,
        variant(dw) + " + " + variant(pw));
    row(args.csv, "convgen", p, n, "dw", t_dw, f.dw, variant(dw));
    row(args.csv, "convgen", p, n, "pw", t_pw, f.pw, variant(pw));
    row(args.csv, "convgen", p, n, "auto", t_auto, f.dw + f.pw,
        automatic.implementation(in).variant);
    if (!args.variants) return;

    // The GPU-only variants that take this layer, each on the same buffers.
    for (const auto &[v, targets] : gpu::variants(gpu::Backend::cuda)) {
        if (v.auto_dispatch) continue;
        gpu::GpuOptions named = forced;
        named.variant = v.name;
        // fused:<what follows the fixed parameters> for hand alternatives, else <op>:<schedule>
        const std::string kind = v.op == OpKind::separable   ? "fused"
                                 : v.op == OpKind::depthwise ? "dw"
                                 : v.op == OpKind::pointwise ? "pw"
                                                             : "";
        if (kind.empty()) continue;
        std::string label = v.schedule;
        if (v.schedule == "hand") label = v.name.substr(v.name.find("_m1_") + 4);
        try {
            double t = 0, flop = 0;
            if (v.op == OpKind::separable) {
                gpu::Separable op(d, dw_w.data(), dw_b.data(), pw_w.data(), pw_b.data(), named);
                op.warm_up(in);
                t = gpubench::time_us(timer, args.iters, args.reps,
                                      [&] { op.run({dx.ptr(), in}, {dy.ptr(), out}); });
                flop = f.dw + f.pw;
            } else if (v.op == OpKind::depthwise) {
                gpu::Depthwise op(d.depthwise(), dw_w.data(), dw_b.data(), named);
                op.warm_up(in);
                t = gpubench::time_us(timer, args.iters, args.reps,
                                      [&] { op.run({dx.ptr(), in}, {dmid.ptr(), mid_desc}); });
                flop = f.dw;
            } else {
                gpu::Pointwise op(d.pointwise(), pw_w.data(), pw_b.data(), named);
                op.warm_up(mid_desc);
                t = gpubench::time_us(timer, args.iters, args.reps,
                                      [&] { op.run({dmid.ptr(), mid_desc}, {dy.ptr(), out}); });
                flop = f.pw;
            }
            row(args.csv, "convgen", p, n, kind + ":" + label, t, flop, v.name);
        } catch (const convgen::Error &e) {
            // Declined (fixed parameters) or refused (an autoscheduler's tile exceeds the layer).
            if (e.code() == ErrorCode::unsupported) continue;
            std::fprintf(stderr, "%s on %s n=%d: %s\n", v.name.c_str(), p.tag().c_str(), n,
                         e.what());
        }
    }
}

}  // namespace

int main(int argc, char **argv) {
    try {
        const gpubench::Args args = gpubench::parse_args(argc, argv, kUsage);
        std::string why;
        Cuda cu(why);
        int count = 0;
        if (why.empty()) {
            if (int rc = cu.init(0); rc != 0) {
                const char *msg = nullptr;
                cu.error_string(rc, &msg);
                why = std::string("cuInit: ") + (msg ? msg : "error " + std::to_string(rc));
            } else if (cu.device_count(&count) != 0 || count == 0) {
                why = "the driver reports none";
            }
        }
        if (!why.empty()) {
            std::fprintf(stderr, "convgen_cuda_bench: no CUDA device (%s)\n", why.c_str());
            return 2;
        }
        if (!gpu::available(gpu::Backend::cuda, &why)) {
            std::fprintf(stderr, "convgen_cuda_bench: %s\n", why.c_str());
            return 2;
        }
        void *ctx = nullptr, *stream = nullptr;
        cu.check(cu.primary_retain(&ctx, 0), "cuDevicePrimaryCtxRetain");
        cu.check(cu.set_current(ctx), "cuCtxSetCurrent");
        cu.check(cu.stream_create(&stream, 0), "cuStreamCreate");
        if (!args.csv) {
            char name[256] = {};
            int major = 0, minor = 0;
            cu.device_name(name, sizeof(name), 0);
            cu.device_attribute(&major, 75, 0);  // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
            cu.device_attribute(&minor, 76, 0);
            std::printf("device: %s (compute capability %d.%d)\n", name, major, minor);
        }
        for (int n : args.batches)
            for (const auto &p : args.layers) bench_layer(cu, p, n, args, stream);
        return 0;
    } catch (const convgen::Error &e) {
        std::fprintf(stderr, "convgen_cuda_bench: convgen error (%s): %s\n", e.field().c_str(), e.what());
    } catch (const std::exception &e) {
        std::fprintf(stderr, "convgen_cuda_bench: %s\n", e.what());
    }
    return 1;
}
