// convgen on an NVIDIA GPU: MobileNetV1's depthwise-separable blocks (bias and ReLU6 fused) at
// batch 1 and 32, the fused separable kernel against depthwise then pointwise (unfused, the
// intermediate in global memory), timed with CUDA events on the caller's stream in the CUDA
// runtime's primary context (GpuOptions::cuda_current_context + cuda_stream), device memory,
// after warm_up() (the PTX JIT and the weights' upload are excluded).
//
//   convgen_cuda_bench [--batches=1,32] [--iters=50] [--reps=7] [--problem=sep:...] [--csv]
//
// Without a CUDA device it prints "no CUDA device" and exits with status 2.
#include <convgen/convgen.h>
#include <convgen/gpu.h>

#include "common.h"

using namespace convgen;
using gpubench::row;

namespace {

const char kUsage[] =
    "usage: convgen_cuda_bench [--batches=1,32] [--iters=50] [--reps=7] "
    "[--problem=sep:n1c128h56k3s1o128,...] [--csv]\n";

struct DeviceArray {
    float *p = nullptr;
    explicit DeviceArray(size_t n, const std::vector<float> *init = nullptr) {
        GPUBENCH_CUDA(cudaMalloc(&p, n * sizeof(float)));
        if (init) GPUBENCH_CUDA(cudaMemcpy(p, init->data(), n * sizeof(float), cudaMemcpyHostToDevice));
    }
    ~DeviceArray() { cudaFree(p); }
};

void bench_layer(const convgen_bench::Problem &p, int n, const gpubench::Args &args,
                 cudaStream_t stream) {
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
    o.cuda_current_context = true;  // the CUDA runtime's primary context, where cudaMalloc allocates
    o.cuda_stream = stream;
    gpu::Separable fused(d, dw_w.data(), dw_b.data(), pw_w.data(), pw_b.data(), o);
    gpu::Depthwise dw(d.depthwise(), dw_w.data(), dw_b.data(), o);
    gpu::Pointwise pw(d.pointwise(), pw_w.data(), pw_b.data(), o);

    const TensorDesc in = TensorDesc::nhwc(n, p.h, p.w, p.c);
    const TensorDesc mid_desc = dw.output_desc(in);
    const TensorDesc out = fused.output_desc(in);
    const auto x = gpubench::random_floats(in.elements(), 5);
    DeviceArray dx(in.elements(), &x), dmid(mid_desc.elements()), dy(out.elements());
    fused.warm_up(in);
    dw.warm_up(in);
    pw.warm_up(mid_desc);

    const auto f = gpubench::flops(p, n);
    static bool printed = false;
    if (!printed && !args.csv) {
        std::printf("fused: %s\nunfused: %s + %s\n", fused.implementation().to_string().c_str(),
                    dw.implementation().variant.c_str(), pw.implementation().variant.c_str());
        printed = true;
    }
    auto run_fused = [&] { fused.run({dx.p, in}, {dy.p, out}); };
    auto run_dw = [&] { dw.run({dx.p, in}, {dmid.p, mid_desc}); };
    auto run_pw = [&] { pw.run({dmid.p, mid_desc}, {dy.p, out}); };
    const double t_fused = gpubench::time_us(stream, args.iters, args.reps, run_fused);
    const double t_dw = gpubench::time_us(stream, args.iters, args.reps, run_dw);
    const double t_pw = gpubench::time_us(stream, args.iters, args.reps, run_pw);
    const double t_unfused =
        gpubench::time_us(stream, args.iters, args.reps, [&] { run_dw(), run_pw(); });
    row(args.csv, "convgen", p, n, "fused", t_fused, f.dw + f.pw);
    row(args.csv, "convgen", p, n, "unfused", t_unfused, f.dw + f.pw);
    row(args.csv, "convgen", p, n, "dw", t_dw, f.dw);
    row(args.csv, "convgen", p, n, "pw", t_pw, f.pw);
}

}  // namespace

int main(int argc, char **argv) {
    try {
        const gpubench::Args args = gpubench::parse_args(argc, argv, kUsage);
        gpubench::require_device("convgen_cuda_bench");
        std::string why;
        if (!gpu::available(gpu::Backend::cuda, &why)) {
            std::fprintf(stderr, "convgen_cuda_bench: %s\n", why.c_str());
            return 2;
        }
        GPUBENCH_CUDA(cudaSetDevice(0));
        GPUBENCH_CUDA(cudaFree(nullptr));  // makes the primary context current
        cudaDeviceProp prop{};
        GPUBENCH_CUDA(cudaGetDeviceProperties(&prop, 0));
        if (!args.csv) std::printf("device: %s (compute capability %d.%d)\n", prop.name, prop.major, prop.minor);
        cudaStream_t stream;
        GPUBENCH_CUDA(cudaStreamCreate(&stream));
        for (int n : args.batches)
            for (const auto &p : args.layers) bench_layer(p, n, args, stream);
        cudaStreamDestroy(stream);
        return 0;
    } catch (const convgen::Error &e) {
        std::fprintf(stderr, "convgen_cuda_bench: convgen error (%s): %s\n", e.field().c_str(), e.what());
    } catch (const std::exception &e) {
        std::fprintf(stderr, "convgen_cuda_bench: %s\n", e.what());
    }
    return 1;
}
