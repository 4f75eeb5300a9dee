// cuDNN on the same layers as convgen_cuda_bench, for comparison: MobileNetV1's separable
// blocks at batch 1 and 32, NHWC fp32, TF32 disabled (CUDNN_FMA_MATH on every convolution, and
// NVIDIA_TF32_OVERRIDE=0), each stage one cudnnConvolutionBiasActivationForward: the depthwise
// as a grouped convolution (groups = channels), the pointwise as a 1x1 convolution. Bias is
// fused; the activation is ReLU, because that call accepts no other (convgen fuses ReLU6, a
// clamp costing the same). Padding is symmetric 1 (TensorFlow SAME pads stride-2 layers 0/1;
// output sizes and work are identical). The fastest algorithm is picked per layer with
// cudnnFindConvolutionForwardAlgorithm; timing as in convgen_cuda_bench (CUDA events, median).
//
//   cudnn_separable_bench [--batches=1,32] [--iters=50] [--reps=7] [--problem=sep:...] [--csv]
//
// Without a CUDA device it prints "no CUDA device" and exits with status 2.
#include <cuda_runtime.h>
#include <cudnn.h>

#include "common.h"

using gpubench::row;

namespace {

const char kUsage[] =
    "usage: cudnn_separable_bench [--batches=1,32] [--iters=50] [--reps=7] "
    "[--problem=sep:n1c128h56k3s1o128,...] [--csv]\n";

#define GPUBENCH_CUDA(call)                                                                  \
    do {                                                                                     \
        const cudaError_t e_ = (call);                                                       \
        if (e_ != cudaSuccess)                                                               \
            throw std::runtime_error(std::string(#call) + ": " + cudaGetErrorString(e_));    \
    } while (0)

struct RuntimeTimer : gpubench::StreamTimer {
    cudaStream_t stream;
    cudaEvent_t a{}, b{};
    explicit RuntimeTimer(cudaStream_t s) : stream(s) {
        GPUBENCH_CUDA(cudaEventCreate(&a));
        GPUBENCH_CUDA(cudaEventCreate(&b));
    }
    ~RuntimeTimer() override { cudaEventDestroy(a), cudaEventDestroy(b); }
    void start() override { GPUBENCH_CUDA(cudaEventRecord(a, stream)); }
    void stop() override { GPUBENCH_CUDA(cudaEventRecord(b, stream)); }
    double elapsed_ms() override {
        GPUBENCH_CUDA(cudaEventSynchronize(b));
        float ms = 0;
        GPUBENCH_CUDA(cudaEventElapsedTime(&ms, a, b));
        return ms;
    }
    void sync() override { GPUBENCH_CUDA(cudaStreamSynchronize(stream)); }
};

#define CUDNN(call)                                                                          \
    do {                                                                                     \
        const cudnnStatus_t s_ = (call);                                                     \
        if (s_ != CUDNN_STATUS_SUCCESS)                                                      \
            throw std::runtime_error(std::string(#call) + ": " + cudnnGetErrorString(s_));   \
    } while (0)

// One convolution stage: x [n, c, h, w] NHWC -> y, filter [k, c/groups, r, s], bias, ReLU.
struct Stage {
    cudnnTensorDescriptor_t x{}, y{}, b{};
    cudnnFilterDescriptor_t f{};
    cudnnConvolutionDescriptor_t conv{};
    cudnnActivationDescriptor_t act{};
    cudnnConvolutionFwdAlgo_t algo{};
    size_t workspace = 0;
    float *w = nullptr, *bias = nullptr, *ws = nullptr;
    int out_c = 0, out_h = 0, out_w = 0;

    Stage(cudnnHandle_t h, int n, int c, int hh, int ww, int k, int r, int groups, int stride,
          int pad, float *x_dev, float *y_dev_scratch) {
        CUDNN(cudnnCreateTensorDescriptor(&x));
        CUDNN(cudnnCreateTensorDescriptor(&y));
        CUDNN(cudnnCreateTensorDescriptor(&b));
        CUDNN(cudnnCreateFilterDescriptor(&f));
        CUDNN(cudnnCreateConvolutionDescriptor(&conv));
        CUDNN(cudnnCreateActivationDescriptor(&act));
        CUDNN(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, n, c, hh, ww));
        CUDNN(cudnnSetFilter4dDescriptor(f, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NHWC, k, c / groups, r, r));
        CUDNN(cudnnSetConvolution2dDescriptor(conv, pad, pad, stride, stride, 1, 1,
                                              CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
        CUDNN(cudnnSetConvolutionGroupCount(conv, groups));
        CUDNN(cudnnSetConvolutionMathType(conv, CUDNN_FMA_MATH));  // no TF32, no tensor cores
        int on, oc;
        CUDNN(cudnnGetConvolution2dForwardOutputDim(conv, x, f, &on, &oc, &out_h, &out_w));
        out_c = oc;
        CUDNN(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, on, oc, out_h, out_w));
        CUDNN(cudnnSetTensor4dDescriptor(b, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, 1, oc, 1, 1));
        CUDNN(cudnnSetActivationDescriptor(act, CUDNN_ACTIVATION_RELU, CUDNN_NOT_PROPAGATE_NAN, 0.0));
        const auto wv = gpubench::random_floats(size_t(k) * (c / groups) * r * r, 11, 0.2f);
        const auto bv = gpubench::random_floats(oc, 12);
        GPUBENCH_CUDA(cudaMalloc(&w, wv.size() * sizeof(float)));
        GPUBENCH_CUDA(cudaMalloc(&bias, bv.size() * sizeof(float)));
        GPUBENCH_CUDA(cudaMemcpy(w, wv.data(), wv.size() * sizeof(float), cudaMemcpyHostToDevice));
        GPUBENCH_CUDA(cudaMemcpy(bias, bv.data(), bv.size() * sizeof(float), cudaMemcpyHostToDevice));
        // The fastest algorithm that runs here (Find times them; workspace up to 256 MB).
        cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
        int found = 0;
        CUDNN(cudnnFindConvolutionForwardAlgorithm(h, x, f, conv, y, CUDNN_CONVOLUTION_FWD_ALGO_COUNT,
                                                   &found, perf));
        bool ok = false;
        for (int i = 0; i < found && !ok; i++) {
            if (perf[i].status != CUDNN_STATUS_SUCCESS || perf[i].memory > (256u << 20)) continue;
            algo = perf[i].algo;
            workspace = perf[i].memory;
            ok = true;
        }
        if (!ok) throw std::runtime_error("cuDNN found no usable forward algorithm");
        if (workspace) GPUBENCH_CUDA(cudaMalloc(&ws, workspace));
        (void)x_dev, (void)y_dev_scratch;
    }
    ~Stage() {
        cudaFree(w), cudaFree(bias), cudaFree(ws);
        cudnnDestroyTensorDescriptor(x), cudnnDestroyTensorDescriptor(y), cudnnDestroyTensorDescriptor(b);
        cudnnDestroyFilterDescriptor(f), cudnnDestroyConvolutionDescriptor(conv);
        cudnnDestroyActivationDescriptor(act);
    }
    void run(cudnnHandle_t h, const float *in, float *out) const {
        const float one = 1.0f, zero = 0.0f;
        CUDNN(cudnnConvolutionBiasActivationForward(h, &one, x, in, f, w, conv, algo, ws, workspace,
                                                    &zero, y, out, b, bias, act, y, out));
    }
};

// The forward algorithm cudnnFind chose, by name.
std::string algo_name(cudnnConvolutionFwdAlgo_t a) {
    switch (a) {
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM: return "implicit_gemm";
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM: return "implicit_precomp_gemm";
    case CUDNN_CONVOLUTION_FWD_ALGO_GEMM: return "gemm";
    case CUDNN_CONVOLUTION_FWD_ALGO_DIRECT: return "direct";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT: return "fft";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING: return "fft_tiling";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD: return "winograd";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED: return "winograd_nonfused";
    default: return "algo_" + std::to_string(int(a));
    }
}

void bench_layer(cudnnHandle_t h, const convgen_problems::Problem &p, int n,
                 const gpubench::Args &args, cudaStream_t stream) {
    const int mid = p.c * p.multiplier;
    float *x = nullptr, *m = nullptr, *y = nullptr;
    const auto xv = gpubench::random_floats(size_t(n) * p.h * p.w * p.c, 5);
    GPUBENCH_CUDA(cudaMalloc(&x, xv.size() * sizeof(float)));
    GPUBENCH_CUDA(cudaMemcpy(x, xv.data(), xv.size() * sizeof(float), cudaMemcpyHostToDevice));
    const size_t mid_elems = size_t(n) * p.out_h() * p.out_w() * mid;
    GPUBENCH_CUDA(cudaMalloc(&m, mid_elems * sizeof(float)));
    GPUBENCH_CUDA(cudaMalloc(&y, size_t(n) * p.out_h() * p.out_w() * p.o * sizeof(float)));
    {
        const int pad = (p.kh - 1) / 2;
        Stage dw(h, n, p.c, p.h, p.w, mid, p.kh, p.c, p.stride, pad, x, m);
        Stage pw(h, n, mid, dw.out_h, dw.out_w, p.o, 1, 1, 1, 0, m, y);
        const auto f = gpubench::flops(p, n);
        RuntimeTimer timer(stream);
        const double t_dw = gpubench::time_us(timer, args.iters, args.reps, [&] { dw.run(h, x, m); });
        const double t_pw = gpubench::time_us(timer, args.iters, args.reps, [&] { pw.run(h, m, y); });
        const double t_both = gpubench::time_us(timer, args.iters, args.reps,
                                                [&] { dw.run(h, x, m), pw.run(h, m, y); });
        const std::string a = algo_name(dw.algo), b = algo_name(pw.algo);
        row(args.csv, "cudnn", p, n, "unfused", t_both, f.dw + f.pw, a + " + " + b);
        row(args.csv, "cudnn", p, n, "dw", t_dw, f.dw, a);
        row(args.csv, "cudnn", p, n, "pw", t_pw, f.pw, b);
    }
    cudaFree(x), cudaFree(m), cudaFree(y);
}

}  // namespace

int main(int argc, char **argv) {
    setenv("NVIDIA_TF32_OVERRIDE", "0", 1);  // before any CUDA library initialises
    try {
        const gpubench::Args args = gpubench::parse_args(argc, argv, kUsage);
        int count = 0;
        if (const cudaError_t e = cudaGetDeviceCount(&count); e != cudaSuccess || count == 0) {
            std::fprintf(stderr, "cudnn_separable_bench: no CUDA device (%s)\n",
                         e != cudaSuccess ? cudaGetErrorString(e) : "the driver reports none");
            return 2;
        }
        GPUBENCH_CUDA(cudaSetDevice(0));
        cudaDeviceProp prop{};
        GPUBENCH_CUDA(cudaGetDeviceProperties(&prop, 0));
        if (!args.csv)
            std::printf("device: %s (compute capability %d.%d), cuDNN %zu\n", prop.name, prop.major,
                        prop.minor, cudnnGetVersion());
        cudaStream_t stream;
        GPUBENCH_CUDA(cudaStreamCreate(&stream));
        cudnnHandle_t h;
        CUDNN(cudnnCreate(&h));
        CUDNN(cudnnSetStream(h, stream));
        for (int n : args.batches)
            for (const auto &p : args.layers) bench_layer(h, p, n, args, stream);
        cudnnDestroy(h);
        cudaStreamDestroy(stream);
        return 0;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "cudnn_separable_bench: %s\n", e.what());
    }
    return 1;
}
