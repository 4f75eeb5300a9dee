// Google Benchmark suite: convgen's operators on named layer sets (layer_sets.h: tutorial,
// mobilenet_v1, mobilenet_v2) and on layers given as problem strings (problem_string.h).
//
//   convgen_bench                                        # MobileNetV1, ~1 minute on 2 cores
//   convgen_bench --benchmark_filter=c128_128_56_s1      # one block
//   convgen_bench --convgen_layers=tutorial,mobilenet_v2
//   convgen_bench --convgen_problem=sep:n1c128h56w56k3s1o128,dw:n1c32h112w112k3s2
//   convgen_bench --benchmark_out=r.json --benchmark_out_format=json
//   python3 bench/summarize.py r.json [--plot r.png]    # markdown tables of the medians
//
// Every layer runs with bias and ReLU6 fused (batch norm folded). A dw, pw or conv problem runs
// that one operator; an ir problem (an inverted-residual block: mobilenet_v2_blocks,
// efficientnet_lite0_blocks) runs inverted_residual_fused (one InvertedResidual operator, ReLU6
// after the expansion and the depthwise, none after the projection, the residual where the
// shapes allow) and inverted_residual_unfused (its layers as Pointwise, Depthwise, Pointwise
// operators and a plain add loop); a sep problem (each MobileNetV1 block: batch 1, 3x3, SAME)
// runs:
//   depthwise          3x3 depthwise over c_in channels, with the block's stride
//   pointwise          1x1 c_in -> c_out at the depthwise output's resolution
//   separable_unfused  depthwise then pointwise: two operators, intermediate tensor in memory
//   separable_fused    one Separable operator
//   conv2d             the standard 3x3 convolution the block replaces, c_in -> c_out, stride
// each with convgen's thread pool at 1 and 2 threads. On one block, c128_128_56_s1, it also runs every variant that accepts the
// problem (`<op>/c128_128_56_s1/v:<variant>/...`) and the pointwise operator capped at each ISA
// (`pointwise/c128_128_56_s1/isa:<isa>/...`), with the fewest threads.
//
// Names: <op>/<layer>[/<forced>]/threads:<n>/real_time, where <layer> is the set's tag
// (MobileNetV1: c128_128_56_s1 = c_in, c_out, H=W, stride) or the canonical problem string. Counters: GFLOP/s (FLOPs as
// convgen::cost counts them: a multiply-add is 2, bias and activation not counted), %peak
// (against --convgen_peak_gflops per core times the thread count), GB/s and %bw (the compulsory
// bytes of op_bytes() per second, against the bandwidth), FLOP/B (arithmetic intensity, for the
// roofline), and the label names the
// variant(s) and ISA that ran. Time is wall-clock (UseRealTime), as the kernels run on their own
// thread pool. (Debian's libbenchmark prints "Library was built as DEBUG": that is about the
// benchmark library itself, not convgen's kernels.)
//
// Defaults, overridable on the command line (later flags win):
//   --benchmark_repetitions=5 --benchmark_report_aggregates_only=true --benchmark_min_time=0.05
// so each benchmark prints mean, median, stddev and cv of 5 repetitions; read the median.
// convgen's own flags:
//   --convgen_peak_gflops=X   peak GFLOP/s of one core (default: env CONVGEN_PEAK_GFLOPS, else
//                             measured at start-up by peak_probe.h's FMA loop)
//   --convgen_peak_gbps=X     memory bandwidth in GB/s for %bw (default: env CONVGEN_PEAK_GBPS,
//                             else a STREAM triad measured per thread count at start-up)
//   --convgen_probe           print the probed (or given) peaks as JSON and exit
//   --convgen_schedules=S,... also run each layer's ops with the variant of each schedule the
//                             build has (hand, tuned, naive, Mullapudi2016, Adams2019, Li2018;
//                             all; none): <op>/<layer>/sched:<S>/...
//   --convgen_threads=1,2     thread counts to register
//   --convgen_misalign=B,...  also run the main suite with every buffer B bytes past a
//                             64-byte boundary (<op>/<layer>/misalign:B/...); the others are
//                             64-byte aligned
//   --convgen_max_isa=ISA     cap every operator at sse41 | avx2 | avx512 | avx512_spr | neon
//                             (convgen::set_max_isa)
//   --convgen_variant=NAME    force this compiled variant on the benchmarks of its op
//   --convgen_list_variants   print the compiled variants and exit
//   --convgen_layers=SET,...  layer sets to run: tutorial, mobilenet_v1, mobilenet_v2,
//                             mobilenet_v2_blocks, efficientnet_b0, efficientnet_lite0_blocks,
//                             xception (default mobilenet_v1, unless --convgen_problem is given)
//   --convgen_problem=P,...   also run these problem strings (grammar: problem_string.h)
//   --convgen_list_layers     print the selected layers as problem strings and exit
//   --convgen_peers=P,...     also time peers built in (onednn, xnnpack; all; none) on the
//                             selected layers' depthwise, pointwise and conv2d ops, named
//                             <op>/<layer>/peer:<P>/..., bias + ReLU6 fused; oneDNN in its own
//                             layouts, the label naming its implementation (impl_info_str)
//   --convgen_activation=A    the activation convgen's ops fuse: relu6 (default), hard_swish,
//                             silu, relu or none (an ir block: after its expansion and
//                             depthwise; the peers always fuse ReLU6, so only with relu6)
//   --convgen_console=compact|full  one numbered line per benchmark plus a progress line
//                             (compact_reporter.h; default), or Google Benchmark's console
// --benchmark_min_time takes "0.2" or "0.2s" (Debian's Google Benchmark 1.7.1 reads only the
// former; the suffix is dropped on the way).
// The forced-variant and per-ISA benchmarks, and MobileNetV1's body as one chain
// (mobilenet_v1_body/{unfused,fused}: the first conv and the 13 blocks in network order), run
// when mobilenet_v1 is selected; MobileNetV2's body (mobilenet_v2_body/{unfused,fused}: stem
// conv, 17 blocks, head 1x1) when mobilenet_v2_blocks is, EfficientNet-lite0's when
// efficientnet_lite0_blocks is.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <deque>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "convgen/convgen.h"
#include "compact_reporter.h"
#include "convgen_baselines.h"
#include "layer_sets.h"
#include "peak_probe.h"
#include "peer.h"
#include "problem_string.h"
#if CONVGEN_BENCH_ONEDNN
#include "onednn_peer.h"
#endif
#if CONVGEN_BENCH_XNNPACK
#include "xnnpack_peer.h"
#endif

namespace {

using convgen_problems::Problem;
using convgen_problems::ProblemOp;

struct Settings {
    double peak_gflops_per_core = 0;  // 0: measured by the probe at start-up
    double peak_gbps = 0;             // memory bandwidth; 0: probed per thread count
    std::map<int, double> probed_gbps;  // thread count -> probed bandwidth
    std::vector<int> threads = {1, 2};
    std::vector<std::string> schedules;  // --convgen_schedules: hand, tuned, naive, ...
    std::string variant;  // forced on the benchmarks of its op; empty = dispatcher's choice
    std::vector<std::string> layer_sets;  // empty: mobilenet_v1 unless problems are given
    std::vector<Problem> problems;        // from --convgen_problem
    std::vector<std::string> peers;       // --convgen_peers: onednn, xnnpack
    std::vector<int> misalign;            // --convgen_misalign: byte offsets also measured
    convgen::Activation activation = convgen::Activation::relu6();  // --convgen_activation
};

// The peers compiled in.
const std::vector<std::string> &available_peers() {
    static const std::vector<std::string> peers = {
#if CONVGEN_BENCH_ONEDNN
        "onednn",
#endif
#if CONVGEN_BENCH_XNNPACK
        "xnnpack",
#endif
    };
    return peers;
}
Settings g_settings;
std::vector<std::string> g_registered;  // every benchmark's name, in registration order

enum class Op {
    depthwise,
    pointwise,
    separable_unfused,
    separable_fused,
    conv2d,
    inverted_residual_unfused,
    inverted_residual_fused
};

const char *op_name(Op op) {
    switch (op) {
    case Op::depthwise: return "depthwise";
    case Op::pointwise: return "pointwise";
    case Op::separable_unfused: return "separable_unfused";
    case Op::separable_fused: return "separable_fused";
    case Op::conv2d: return "conv2d";
    case Op::inverted_residual_unfused: return "inverted_residual_unfused";
    case Op::inverted_residual_fused: return "inverted_residual_fused";
    }
    return "?";
}

// Fast reproducible fill with values in [-scale, scale).
std::vector<float> random_values(int64_t count, float scale, uint32_t seed) {
    std::vector<float> v(static_cast<size_t>(count));
    uint32_t s = seed * 2654435761u + 1;
    for (float &x : v) {
        s ^= s << 13, s ^= s >> 17, s ^= s << 5;
        x = scale * (static_cast<float>(s >> 8) * (2.0f / 16777216.0f) - 1.0f);
    }
    return v;
}

std::string impl_label(const convgen::Implementation &impl) {
    return impl.variant + "/" + convgen::to_string(impl.isa);
}

// Every buffer a job hands an operator starts `misalign_bytes` past a 64-byte boundary (0:
// cache-line aligned, which std::vector alone does not promise: glibc gives 16 bytes).
constexpr int64_t kBufferSlack = 32;  // floats: room to align and offset
float *placed(std::vector<float> &v, int misalign_bytes) {
    const auto base = reinterpret_cast<uintptr_t>(v.data());
    return reinterpret_cast<float *>((base + 63) / 64 * 64 + uintptr_t(misalign_bytes));
}

// One benchmarked computation: its operators (weights packed once), buffers, and FLOPs.
struct Job {
    std::vector<std::vector<float>> buffers;
    std::function<void()> run;
    int64_t flops = 0;
    int64_t bytes = 0;  // compulsory traffic: every tensor read or written once (see op_bytes)
    std::string label;
};

convgen::Padding padding_of(const Problem &p) {
    switch (p.pad) {
    case Problem::Pad::same: return convgen::Padding::same();
    case Problem::Pad::valid: return convgen::Padding::valid();
    case Problem::Pad::explicit_pads: return convgen::Padding::symmetric(p.pad_value);
    }
    return convgen::Padding::same();
}

// The window of a windowed problem, as convgen's descriptors hold it.
convgen::Window window_of(const Problem &p) {
    return {p.kh, p.kw, p.stride, p.stride, p.dilation, p.dilation, padding_of(p)};
}

// The bytes op must move at least: its input, weights and bias read once, its output written
// once (fp32); the unfused separable block also writes and reads its intermediate, which the
// fused one keeps in cache, and the unfused inverted residual its two (the expanded tensor and
// the depthwise output). The roofline's arithmetic intensity is FLOPs / these bytes.
int64_t op_bytes(Op op, const Problem &p) {
    if (p.op == ProblemOp::ir) {
        const int64_t x = p.expanded, in = int64_t(p.n) * p.h * p.w * p.c;
        const int64_t out = int64_t(p.n) * p.out_h() * p.out_w() * p.o;
        const int64_t weights = (x != p.c ? int64_t(p.c) * x + x : 0) +
                                int64_t(p.kh) * p.kw * x + x + x * p.o + p.o;
        const int64_t expanded = x != p.c ? int64_t(p.n) * p.h * p.w * x : 0;
        const int64_t dw_out = int64_t(p.n) * p.out_h() * p.out_w() * x;
        const int64_t mids = op == Op::inverted_residual_unfused ? 2 * (expanded + dw_out) : 0;
        return (in + weights + mids + out) * int64_t(sizeof(float));
    }
    const int64_t in = int64_t(p.n) * p.h * p.w * p.c, hidden = int64_t(p.c) * p.multiplier;
    const int64_t mid = int64_t(p.n) * p.out_h() * p.out_w() * hidden;
    const int64_t out = int64_t(p.n) * p.out_h() * p.out_w() * p.o;
    const int64_t taps = int64_t(p.kh) * p.kw;
    const int64_t dw = in + taps * hidden + hidden + mid;
    int64_t elements = 0;
    switch (op) {
    case Op::depthwise: elements = dw; break;
    case Op::pointwise:
        elements = p.op == ProblemOp::pw
                       ? in + int64_t(p.c) * p.o + p.o + int64_t(p.n) * p.h * p.w * p.o
                       : mid + hidden * p.o + p.o + out;
        break;
    case Op::separable_unfused: elements = dw + mid + hidden * p.o + p.o + out; break;
    case Op::separable_fused: elements = dw - mid + hidden * p.o + p.o + out; break;
    case Op::conv2d: elements = in + taps * p.c * p.o + p.o + out; break;
    }
    return elements * int64_t(sizeof(float));
}

// An ir problem's block: --convgen_activation (ReLU6) after the expansion and the depthwise,
// none after the projection, the input added where the shapes allow.
convgen::InvertedResidualDesc ir_desc(const Problem &p) {
    using convgen::Activation;
    return {p.c, p.expanded, p.o, window_of(p), g_settings.activation, g_settings.activation,
            Activation::none(), true};
}

// An inverted-residual block layer by layer, as a network runtime without the fused op runs
// it: the expansion Pointwise (where there is one), the Depthwise and the projection Pointwise,
// each tensor in memory between them, then the input added to the output where the block has a
// residual (a plain loop: element-wise adds are not convgen's).
struct UnfusedBlock {
    std::shared_ptr<convgen::Pointwise> expand, project;
    std::shared_ptr<convgen::Depthwise> dw;
    convgen::TensorDesc expanded, dw_out;
    float *expanded_data = nullptr, *dw_data = nullptr;
    bool residual = false;
    std::string label;

    UnfusedBlock(const convgen::InvertedResidualDesc &d, const convgen::TensorDesc &in,
                 const float *ew, const float *eb, const float *dw_w, const float *dw_b,
                 const float *pw_w, const float *pw_b, const convgen::OperatorOptions &options,
                 const std::function<float *(int64_t)> &buffer) {
        using namespace convgen;
        expanded = in;
        if (d.has_expansion()) {
            expand = std::make_shared<Pointwise>(d.expansion(), ew, eb, options);
            expanded = expand->output_desc(in);
            expanded_data = buffer(expanded.elements());
            label = impl_label(expand->implementation(in)) + "+";
        }
        dw = std::make_shared<Depthwise>(d.depthwise(), dw_w, dw_b, options);
        dw_out = dw->output_desc(expanded);
        dw_data = buffer(dw_out.elements());
        project = std::make_shared<Pointwise>(d.projection(), pw_w, pw_b, options);
        residual = d.has_residual();
        label += impl_label(dw->implementation(expanded)) + "+" +
                 impl_label(project->implementation(dw_out)) + (residual ? "+add" : "");
    }
    void run(const convgen::ConstTensor &x, const convgen::Tensor &y) const {
        using namespace convgen;
        ConstTensor dw_in = x;
        if (expand) {
            expand->run(x, Tensor{expanded_data, expanded});
            dw_in = ConstTensor{expanded_data, expanded};
        }
        dw->run(dw_in, Tensor{dw_data, dw_out});
        project->run(ConstTensor{dw_data, dw_out}, y);
        if (residual) {
            const int64_t n = y.desc.elements();
            for (int64_t i = 0; i < n; i++) y.data[i] += x.data[i];
        }
    }
};

// op on problem p: a sep problem runs any op (pointwise at the depthwise's output resolution,
// conv2d c -> o with the same window); a dw, pw or conv problem runs its own op.
std::unique_ptr<Job> make_job(Op op, const Problem &p, const convgen::OperatorOptions &options,
                              int misalign_bytes) {
    using namespace convgen;
    auto job = std::make_unique<Job>();
    auto buffer = [&](int64_t elements, float scale) -> float * {
        job->buffers.push_back(random_values(elements + kBufferSlack, scale,
                                             uint32_t(job->buffers.size() + 1)));
        return placed(job->buffers.back(), misalign_bytes);
    };
    const Window window = window_of(p);
    const int hidden = p.c * p.multiplier;  // depthwise output channels
    const Activation act = g_settings.activation;
    const SeparableDesc sep{p.c, p.multiplier, p.o, window, act, act};
    const TensorDesc in = TensorDesc::nhwc(p.n, p.h, p.w, p.c);
    const TensorDesc mid = TensorDesc::nhwc(p.n, p.out_h(), p.out_w(), hidden);
    const TensorDesc out = TensorDesc::nhwc(p.n, p.out_h(), p.out_w(), p.o);
    const int64_t taps = int64_t(p.kh) * p.kw;
    const float dw_scale = 1.0f / std::sqrt(float(taps));
    // A pw problem's pointwise reads the input; a sep problem's, the depthwise output.
    const bool pw_only = p.op == ProblemOp::pw;
    const PointwiseDesc pw_desc =
        pw_only ? PointwiseDesc{p.c, p.o, act} : sep.pointwise();
    const TensorDesc pw_in = pw_only ? in : mid;
    const TensorDesc pw_out = TensorDesc::nhwc(p.n, pw_in.h, pw_in.w, p.o);
    const float pw_scale = 1.0f / std::sqrt(float(pw_desc.in_channels));
    job->bytes = op_bytes(op, p);

    switch (op) {
    case Op::depthwise: {
        const ConstTensor x{buffer(in.elements(), 1), in};
        const Tensor y{buffer(mid.elements(), 0), mid};
        auto dw = std::make_shared<Depthwise>(sep.depthwise(), buffer(taps * hidden, dw_scale),
                                              buffer(hidden, 0.1f), options);
        job->run = [dw, x, y] { dw->run(x, y); };
        job->flops = cost(sep.depthwise(), in, true).flops;
        job->label = impl_label(dw->implementation(in));
        break;
    }
    case Op::pointwise: {
        const ConstTensor x{buffer(pw_in.elements(), 1), pw_in};
        const Tensor y{buffer(pw_out.elements(), 0), pw_out};
        auto pw = std::make_shared<Pointwise>(
            pw_desc, buffer(int64_t(pw_desc.in_channels) * p.o, pw_scale), buffer(p.o, 0.1f),
            options);
        job->run = [pw, x, y] { pw->run(x, y); };
        job->flops = cost(pw_desc, pw_in, true).flops;
        job->label = impl_label(pw->implementation(pw_in));
        break;
    }
    case Op::separable_unfused: {
        const ConstTensor x{buffer(in.elements(), 1), in};
        float *m = buffer(mid.elements(), 0);
        const Tensor y{buffer(out.elements(), 0), out};
        auto dw = std::make_shared<Depthwise>(sep.depthwise(), buffer(taps * hidden, dw_scale),
                                              buffer(hidden, 0.1f), options);
        auto pw = std::make_shared<Pointwise>(
            sep.pointwise(), buffer(int64_t(hidden) * p.o, pw_scale), buffer(p.o, 0.1f),
            options);
        job->run = [dw, pw, x, m, mid, y] {
            dw->run(x, Tensor{m, mid});
            pw->run(ConstTensor{m, mid}, y);
        };
        job->flops = cost(sep, in, true, true).flops;
        const Implementation a = dw->implementation(in), b = pw->implementation(mid);
        job->label = a.isa == b.isa ? a.variant + "+" + b.variant + "/" + to_string(a.isa)
                                    : impl_label(a) + "+" + impl_label(b);
        break;
    }
    case Op::separable_fused: {
        const ConstTensor x{buffer(in.elements(), 1), in};
        const Tensor y{buffer(out.elements(), 0), out};
        auto s = std::make_shared<Separable>(
            sep, buffer(taps * hidden, dw_scale), buffer(hidden, 0.1f),
            buffer(int64_t(hidden) * p.o, pw_scale), buffer(p.o, 0.1f), options);
        job->run = [s, x, y] { s->run(x, y); };
        job->flops = cost(sep, in, true, true).flops;
        job->label = impl_label(s->implementation(in));
        break;
    }
    case Op::inverted_residual_fused:
    case Op::inverted_residual_unfused: {
        const bool fused = op == Op::inverted_residual_fused;
        const InvertedResidualDesc d = ir_desc(p);
        const int xc = d.expanded_channels;
        const ConstTensor x{buffer(in.elements(), 1), in};
        const Tensor y{buffer(out.elements(), 0), out};
        const float *ew = d.has_expansion() ? buffer(int64_t(p.c) * xc, 1 / std::sqrt(float(p.c)))
                                            : nullptr;
        const float *eb = d.has_expansion() ? buffer(xc, 0.1f) : nullptr;
        const float *dw_w = buffer(taps * xc, dw_scale), *dw_b = buffer(xc, 0.1f);
        const float *pw_w = buffer(int64_t(xc) * p.o, 1 / std::sqrt(float(xc)));
        const float *pw_b = buffer(p.o, 0.1f);
        if (fused) {
            auto op_ = std::make_shared<InvertedResidual>(d, ew, eb, dw_w, dw_b, pw_w, pw_b,
                                                          options);
            job->run = [op_, x, y] { op_->run(x, y); };
            job->label = impl_label(op_->implementation(in));
        } else {
            auto stages = std::make_shared<UnfusedBlock>(
                d, in, ew, eb, dw_w, dw_b, pw_w, pw_b, options,
                [&](int64_t elements) { return buffer(elements, 0); });
            job->run = [stages, x, y] { stages->run(x, y); };
            job->label = stages->label;
        }
        job->flops = cost(d, in, true).flops;
        break;
    }
    case Op::conv2d: {
        const Conv2dDesc desc{p.c, p.o, window, act};
        const ConstTensor x{buffer(in.elements(), 1), in};
        const Tensor y{buffer(out.elements(), 0), out};
        auto c = std::make_shared<Conv2d>(
            desc, buffer(taps * p.c * p.o, 1.0f / std::sqrt(float(taps * p.c))),
            buffer(p.o, 0.1f), options);
        job->run = [c, x, y] { c->run(x, y); };
        job->flops = cost(desc, in, true).flops;
        job->label = impl_label(c->implementation(in));
        break;
    }
    }
    return job;
}

// Google Benchmark calls a benchmark's function once per repetition and per trial iteration
// count; keep the last job so operators are built and weights packed once per benchmark.
struct Spec {
    Op op;
    Problem layer;
    convgen::OperatorOptions options;
    std::string key;  // the name without the thread count
    int threads;
    std::string peer;  // "" = convgen; "onednn"
    std::function<std::unique_ptr<Job>()> factory;  // set: builds the job (network chains)
    int misalign_bytes = 0;  // buffers this far past a 64-byte boundary
};

// FLOPs of op on p, counted as convgen::cost counts them (for the peers).
int64_t op_flops(Op op, const Problem &p) {
    using namespace convgen;
    const Window window = window_of(p);
    const TensorDesc in = TensorDesc::nhwc(p.n, p.h, p.w, p.c);
    switch (op) {
    case Op::depthwise:
        return cost(DepthwiseDesc{p.c, p.multiplier, window, Activation::relu6()}, in, true).flops;
    case Op::pointwise:
        if (p.op == ProblemOp::pw) {
            return cost(PointwiseDesc{p.c, p.o, Activation::relu6()}, in, true).flops;
        }
        return cost(PointwiseDesc{p.c * p.multiplier, p.o, Activation::relu6()},
                    TensorDesc::nhwc(p.n, p.out_h(), p.out_w(), p.c * p.multiplier), true)
            .flops;
    case Op::conv2d:
        return cost(Conv2dDesc{p.c, p.o, window, Activation::relu6()}, in, true).flops;
    default: return 0;
    }
}

[[maybe_unused]] std::unique_ptr<Job> make_peer_job(const std::string &name, Op op,
                                                    const Problem &p, int threads) {
    using convgen_bench::PeerOp;
    [[maybe_unused]] const PeerOp peer_op = op == Op::depthwise   ? PeerOp::depthwise
                                            : op == Op::pointwise ? PeerOp::pointwise
                                                                  : PeerOp::conv;
    convgen_bench::PeerJob peer;
#if CONVGEN_BENCH_ONEDNN
    if (name == "onednn") peer = convgen_bench::make_onednn_job(peer_op, p);
#endif
#if CONVGEN_BENCH_XNNPACK
    if (name == "xnnpack") peer = convgen_bench::make_xnnpack_job(peer_op, p, threads);
#endif
    (void)threads;
    if (!peer.run) throw std::runtime_error("peer " + name + " not built in");
    auto job = std::make_unique<Job>();
    auto resources = peer.resources;
    job->run = [run = peer.run, resources] { run(); };
    job->flops = op_flops(op, p);
    job->bytes = op_bytes(op, p);
    job->label = peer.label;
    return job;
}

Job &job_for(const Spec &spec) {
    static std::string key;
    static std::unique_ptr<Job> job;
    if (!job || key != spec.key) {
        job.reset();  // free the previous job's buffers first
        job = spec.factory         ? spec.factory()
              : spec.peer.empty() ? make_job(spec.op, spec.layer, spec.options, spec.misalign_bytes)
                                  : make_peer_job(spec.peer, spec.op, spec.layer, spec.threads);
        key = spec.key;
    }
    return *job;
}

// The memory bandwidth a run on `threads` threads can reach: given, or probed.
double peak_gbps(int threads) {
    if (g_settings.peak_gbps > 0) return g_settings.peak_gbps;
    auto it = g_settings.probed_gbps.find(threads);
    if (it == g_settings.probed_gbps.end()) {
        it = g_settings.probed_gbps.emplace(threads, convgen_bench::probe_bandwidth_gbps(threads))
                 .first;
    }
    return it->second;
}

void run_benchmark(benchmark::State &state, const Spec &spec) {
    Job *job = nullptr;
    try {
        convgen::set_num_threads(spec.threads);
#if CONVGEN_BENCH_ONEDNN
        convgen_bench::onednn_set_num_threads(spec.threads);
#endif
        job = &job_for(spec);
        job->run();  // warm up: caches, thread pool
    } catch (const std::exception &e) {  // convgen::Error, or a peer's (dnnl::error)
        state.SkipWithError(e.what());
        return;
    }
    // GFLOP/s from the wall time of the timed loop itself (the same interval UseRealTime
    // reports), as plain counters so the median aggregate is the median GFLOP/s.
    const auto start = std::chrono::steady_clock::now();
    for (auto _ : state) job->run();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double gflops = job->flops * 1e-9 * double(state.iterations()) / seconds;
    const double gbps = job->bytes * 1e-9 * double(state.iterations()) / seconds;
    state.counters["GFLOP/s"] = gflops;
    state.counters["%peak"] = 100.0 * gflops / (g_settings.peak_gflops_per_core * spec.threads);
    state.counters["GB/s"] = gbps;
    state.counters["%bw"] = 100.0 * gbps / peak_gbps(spec.threads);
    state.counters["FLOP/B"] = job->bytes ? double(job->flops) / double(job->bytes) : 0.0;
    state.SetLabel(job->label);
}

void add(Op op, const Problem &layer, const std::string &forced,
         const convgen::OperatorOptions &options, int threads, const std::string &peer = "",
         int misalign_bytes = 0) {
    const std::string key =
        std::string(op_name(op)) + "/" + layer.tag() + (forced.empty() ? "" : "/" + forced);
    const Spec spec{op, layer, options, key, threads, peer, {}, misalign_bytes};
    const std::string name = key + "/threads:" + std::to_string(threads);
    static std::set<std::string> registered;  // a layer in two sets runs once
    if (!registered.insert(name).second) return;
    g_registered.push_back(name);
    auto *b = benchmark::RegisterBenchmark(
        name.c_str(), [spec](benchmark::State &s) { run_benchmark(s, spec); });
    b->UseRealTime()->Unit(benchmark::kMicrosecond);
    // The naive schedule is a floor, 10-1000x slower (its fused separable recomputes the
    // depthwise for every output channel): one repetition says enough.
    if (forced == "sched:naive") b->Repetitions(1);
}

bool variant_is_op(const std::string &variant, convgen::OpKind op) {
    for (const auto &v : convgen::variants()) {
        if (v.name == variant) return v.op == op;
    }
    return false;
}

// Whether the layer's benchmarks include op: a sep problem runs every op, a dw, pw or conv
// problem its own.
bool layer_runs(const Problem &layer, Op op) {
    switch (layer.op) {
    case ProblemOp::sep: return true;
    case ProblemOp::dw: return op == Op::depthwise;
    case ProblemOp::pw: return op == Op::pointwise;
    case ProblemOp::conv: return op == Op::conv2d;
    case ProblemOp::ir:
        return op == Op::inverted_residual_unfused || op == Op::inverted_residual_fused;
    }
    return false;
}

// The selected layers: the named sets, then the problem strings.
std::vector<Problem> selected_layers() {
    std::vector<std::string> sets = g_settings.layer_sets;
    if (sets.empty() && g_settings.problems.empty()) sets = {"mobilenet_v1"};
    std::vector<Problem> out;
    for (const std::string &set : sets) {
        for (const Problem &p : convgen_problems::layer_set(set)) out.push_back(p);
    }
    for (const Problem &p : g_settings.problems) out.push_back(p);
    return out;
}

bool mobilenet_v1_selected() {
    const auto &sets = g_settings.layer_sets;
    return (sets.empty() && g_settings.problems.empty()) ||
           std::find(sets.begin(), sets.end(), "mobilenet_v1") != sets.end();
}

void register_main_suite(int threads) {
    using convgen::OpKind;
    const std::pair<Op, OpKind> ops[] = {{Op::depthwise, OpKind::depthwise},
                                         {Op::pointwise, OpKind::pointwise},
                                         {Op::separable_unfused, OpKind::separable},
                                         {Op::separable_fused, OpKind::separable},
                                         {Op::conv2d, OpKind::conv2d},
                                         {Op::inverted_residual_unfused, OpKind::inverted_residual},
                                         {Op::inverted_residual_fused, OpKind::inverted_residual}};
    for (const Problem &layer : selected_layers()) {
        for (const auto &[op, kind] : ops) {
            if (!layer_runs(layer, op)) continue;
            convgen::OperatorOptions options;
            if (op != Op::separable_unfused && op != Op::inverted_residual_unfused && variant_is_op(g_settings.variant, kind)) {
                options.variant = g_settings.variant;
            }
            add(op, layer, "", options, threads);
            for (int bytes : g_settings.misalign) {
                add(op, layer, "misalign:" + std::to_string(bytes), options, threads, "", bytes);
            }
        }
    }
}

// Every variant that accepts one block, and the pointwise op at every ISA this CPU has.
void register_forced(int threads) {
    using convgen::OpKind;
    const Problem layer = convgen_problems::layer_set("mobilenet_v1")[2];  // c128_128_56_s1
    const std::pair<Op, OpKind> windowed[] = {{Op::depthwise, OpKind::depthwise},
                                              {Op::separable_fused, OpKind::separable},
                                              {Op::conv2d, OpKind::conv2d}};
    for (const auto &[op, kind] : windowed) {
        for (const auto &v : convgen::variants()) {
            if (v.op != kind ||
                !convgen::decline_reason(v, window_of(layer), layer.multiplier, layer.c)
                     .empty()) {
                continue;
            }
            convgen::OperatorOptions options;
            options.variant = v.name;
            add(op, layer, "v:" + v.name, options, threads);
        }
    }
    for (convgen::Isa isa : convgen::native_isas()) {
        if (isa > convgen::detected_isa()) continue;
        convgen::OperatorOptions options;
        options.max_isa = isa;
        add(Op::pointwise, layer, std::string("isa:") + convgen::to_string(isa), options, threads);
    }
}

const std::vector<std::string> kAllSchedules = {"hand",          "tuned",     "naive",
                                                 "Mullapudi2016", "Adams2019", "Li2018"};

// The variant of `kind` scheduled by `schedule` that would run `op` of `layer` on `threads`
// threads, or "" if the build has none: the window must fit its fixed parameters, and a tuned
// variant's shape and thread count must be the layer's (for a sep layer's pointwise: the
// depthwise output).
std::string variant_for(Op op, convgen::OpKind kind, const Problem &layer,
                        const std::string &schedule, int threads) {
    const bool pw_of_sep = op == Op::pointwise && layer.op == ProblemOp::sep;
    const int c_in = pw_of_sep ? layer.c * layer.multiplier : layer.c;
    const int h = pw_of_sep ? layer.out_h() : layer.h, w = pw_of_sep ? layer.out_w() : layer.w;
    const int c_out = op == Op::depthwise ? layer.c * layer.multiplier : layer.o;
    for (const auto &v : convgen::variants()) {
        if (v.op != kind || v.schedule != schedule) continue;
        if (schedule == "hand" && !(v.auto_dispatch && v.shape.any())) continue;
        // The runtime's own rule (convgen::decline_reason, shape_matches).
        if (!convgen::decline_reason(v, window_of(layer), layer.multiplier, c_in).empty()) {
            continue;
        }
        if (v.tuned_threads && v.tuned_threads != threads) continue;
        if (!convgen::shape_matches(v.shape, c_in, h, w, c_out)) continue;
        return v.name;
    }
    return "";
}

// Each schedule of --convgen_schedules on every selected layer, where the build has a variant
// for it: <op>/<layer>/sched:<schedule>/threads:<n>, the variant in the label.
void register_schedules(int threads) {
    using convgen::OpKind;
    const std::pair<Op, OpKind> ops[] = {{Op::depthwise, OpKind::depthwise},
                                         {Op::pointwise, OpKind::pointwise},
                                         {Op::separable_fused, OpKind::separable},
                                         {Op::conv2d, OpKind::conv2d}};
    for (const Problem &layer : selected_layers()) {
        for (const auto &[op, kind] : ops) {
            if (!layer_runs(layer, op)) continue;
            for (const std::string &schedule : g_settings.schedules) {
                convgen::OperatorOptions options;
                options.variant = variant_for(op, kind, layer, schedule, threads);
                if (options.variant.empty()) continue;
                add(op, layer, "sched:" + schedule, options, threads);
            }
        }
    }
}

// The peers on every selected layer: the ops of the main suite that are one convolution
// (depthwise, pointwise, conv2d), named <op>/<layer>/peer:<name>/threads:<n>.
void register_peers(int threads) {
    for (const Problem &layer : selected_layers()) {
        for (Op op : {Op::depthwise, Op::pointwise, Op::conv2d}) {
            if (!layer_runs(layer, op)) continue;
            for (const std::string &peer : g_settings.peers) {
                add(op, layer, "peer:" + peer, {}, threads, peer);
            }
        }
    }
}

// A network's body as one inference (network order, every activation tensor in memory
// between layers as a network runtime would hold it): its convs and 1x1s as themselves, each
// separable block fused (Separable) or unfused (Depthwise then Pointwise), each
// inverted-residual block fused (InvertedResidual) or unfused (UnfusedBlock).
std::unique_ptr<Job> make_body_job(const std::vector<Problem> &body, bool fused) {
    using namespace convgen;
    auto job = std::make_unique<Job>();
    auto buffer = [&](int64_t elements, float scale) -> float * {
        job->buffers.push_back(random_values(elements + kBufferSlack, scale,
                                             uint32_t(job->buffers.size() + 1)));
        return placed(job->buffers.back(), 0);
    };
    std::vector<std::function<void()>> steps;
    const Problem &first = body.front();
    TensorDesc in = TensorDesc::nhwc(1, first.h, first.w, first.c);
    const float *x = buffer(in.elements(), 1);
    for (const Problem &p : body) {
        const Window window = window_of(p);
        const float dw_scale = 1.0f / std::sqrt(float(p.kh * p.kw)),
                    pw_scale = 1.0f / std::sqrt(float(p.c));
        const TensorDesc out = p.op == ProblemOp::pw ? TensorDesc::nhwc(1, in.h, in.w, p.o)
                                                      : output_desc(window, p.o, in);
        float *y = buffer(out.elements(), 0);
        if (p.op == ProblemOp::conv) {
            const Conv2dDesc d{p.c, p.o, window, g_settings.activation};
            auto op = std::make_shared<Conv2d>(
                d, buffer(int64_t(p.kh) * p.kw * p.c * p.o, 1.0f / std::sqrt(9.0f * p.c)),
                buffer(p.o, 0.1f));
            steps.push_back([op, x, in, y, out] { op->run({x, in}, {y, out}); });
            job->flops += cost(d, in, true).flops;
            job->bytes += op_bytes(Op::conv2d, p);
        } else if (p.op == ProblemOp::pw) {
            const PointwiseDesc d{p.c, p.o, g_settings.activation};
            auto op = std::make_shared<Pointwise>(d, buffer(int64_t(p.c) * p.o, pw_scale),
                                                  buffer(p.o, 0.1f));
            steps.push_back([op, x, in, y, out] { op->run({x, in}, {y, out}); });
            job->flops += cost(d, in, true).flops;
            job->bytes += op_bytes(Op::pointwise, p);
        } else if (p.op == ProblemOp::ir) {
            const InvertedResidualDesc d = ir_desc(p);
            const int xc = d.expanded_channels;
            const float *ew = d.has_expansion() ? buffer(int64_t(p.c) * xc, pw_scale) : nullptr;
            const float *eb = d.has_expansion() ? buffer(xc, 0.1f) : nullptr;
            const float *dw_w = buffer(int64_t(p.kh) * p.kw * xc, dw_scale);
            const float *dw_b = buffer(xc, 0.1f);
            const float *pw_w = buffer(int64_t(xc) * p.o, 1.0f / std::sqrt(float(xc)));
            const float *pw_b = buffer(p.o, 0.1f);
            if (fused) {
                auto op = std::make_shared<InvertedResidual>(d, ew, eb, dw_w, dw_b, pw_w, pw_b);
                steps.push_back([op, x, in, y, out] { op->run({x, in}, {y, out}); });
            } else {
                auto op = std::make_shared<UnfusedBlock>(
                    d, in, ew, eb, dw_w, dw_b, pw_w, pw_b, OperatorOptions{},
                    [&](int64_t elements) { return buffer(elements, 0); });
                steps.push_back([op, x, in, y, out] { op->run({x, in}, {y, out}); });
            }
            job->flops += cost(d, in, true).flops;
            job->bytes += op_bytes(fused ? Op::inverted_residual_fused
                                         : Op::inverted_residual_unfused, p);
        } else {
            const SeparableDesc d{p.c, 1, p.o, window, g_settings.activation,
                                  g_settings.activation};
            const float *dw_w = buffer(9LL * p.c, dw_scale), *dw_b = buffer(p.c, 0.1f);
            const float *pw_w = buffer(int64_t(p.c) * p.o, pw_scale), *pw_b = buffer(p.o, 0.1f);
            if (fused) {
                auto op = std::make_shared<Separable>(d, dw_w, dw_b, pw_w, pw_b);
                steps.push_back([op, x, in, y, out] { op->run({x, in}, {y, out}); });
            } else {
                auto dw = std::make_shared<Depthwise>(d.depthwise(), dw_w, dw_b);
                auto pw = std::make_shared<Pointwise>(d.pointwise(), pw_w, pw_b);
                const TensorDesc mid = dw->output_desc(in);
                float *m = buffer(mid.elements(), 0);
                steps.push_back([dw, pw, x, in, m, mid, y, out] {
                    dw->run({x, in}, {m, mid});
                    pw->run({m, mid}, {y, out});
                });
            }
            job->flops += cost(d, in, true, true).flops;
            job->bytes += op_bytes(fused ? Op::separable_fused : Op::separable_unfused, p);
        }
        x = y;
        in = out;
    }
    job->run = [steps] {
        for (const auto &step : steps) step();
    };
    job->label = std::to_string(body.size()) + " layers, " + (fused ? "fused" : "unfused");
    return job;
}

// A body chain per selected network: <network>_body/{unfused,fused}/threads:<n>.
void register_body(const std::string &network, const std::vector<Problem> &body, int threads) {
    for (bool fused : {false, true}) {
        Spec spec{fused ? Op::separable_fused : Op::separable_unfused, Problem{}, {}, "",
                  threads, "", [body, fused] { return make_body_job(body, fused); }};
        spec.key = network + "_body/" + (fused ? "fused" : "unfused");
        const std::string name = spec.key + "/threads:" + std::to_string(threads);
        g_registered.push_back(name);
        benchmark::RegisterBenchmark(name.c_str(),
                                     [spec](benchmark::State &s) { run_benchmark(s, spec); })
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
    }
}

bool set_selected(const std::string &name) {
    const auto &sets = g_settings.layer_sets;
    return std::find(sets.begin(), sets.end(), name) != sets.end();
}

// Thread counts ascending; the forced-variant benchmarks with the fewest; the peers last (their
// OpenMP threads spin a while after each run, which would slow convgen's own benchmarks).
void register_all() {
    std::vector<int> threads = g_settings.threads;
    std::sort(threads.begin(), threads.end());
    threads.erase(std::unique(threads.begin(), threads.end()), threads.end());
    for (int t : threads) {
        register_main_suite(t);
        register_schedules(t);
        if (t == threads.front() && mobilenet_v1_selected()) register_forced(t);
        if (mobilenet_v1_selected()) {
            register_body("mobilenet_v1", convgen_problems::mobilenet_v1_body(), t);
        }
        if (set_selected("mobilenet_v2_blocks")) {
            register_body("mobilenet_v2", convgen_problems::mobilenet_v2_body(), t);
        }
        if (set_selected("efficientnet_lite0_blocks")) {
            register_body("efficientnet_lite0", convgen_problems::efficientnet_lite0_body(), t);
        }
    }
    for (int t : threads) register_peers(t);
}

// The registered benchmarks the filter selects (Google Benchmark's rule: empty or "all" = every
// one, a leading '-' negates), for the compact console's progress count; -1 if the filter is
// not a regex std::regex reads.
long count_selected(const std::string &filter, size_t &name_width) {
    std::string pattern = filter.empty() || filter == "all" ? "." : filter;
    const bool negated = pattern[0] == '-';
    if (negated) pattern = pattern.substr(1);
    try {
        const std::regex re(pattern);
        long n = 0;
        for (const std::string &name : g_registered) {
            if (std::regex_search(name + "/real_time", re) != negated) {
                n++;
                name_width = std::max(name_width, name.size());
            }
        }
        return n;
    } catch (const std::regex_error &) {
        return -1;
    }
}

std::vector<int> parse_int_list(const char *s) {
    std::vector<int> out;
    while (*s) {
        char *end = nullptr;
        const long v = std::strtol(s, &end, 10);
        if (end == s || v < 1) {
            std::fprintf(stderr, "expected a comma-separated list of positive integers: %s\n", s);
            std::exit(2);
        }
        out.push_back(static_cast<int>(v));
        s = *end == ',' ? end + 1 : end;
    }
    return out;
}

}  // namespace

int main(int argc, char **argv) {
    convgen::register_baselines();  // the autoscheduled and naive variants, for v:/sched:
    if (const char *env = std::getenv("CONVGEN_PEAK_GFLOPS")) {
        g_settings.peak_gflops_per_core = std::atof(env);
    }
    if (const char *env = std::getenv("CONVGEN_PEAK_GBPS")) g_settings.peak_gbps = std::atof(env);
    // Defaults first, so that the user's own --benchmark_* flags (later) override them.
    std::vector<char *> args = {argv[0]};
    std::string defaults[] = {"--benchmark_repetitions=5", "--benchmark_report_aggregates_only=true",
                              "--benchmark_min_time=0.05"};
    for (auto &d : defaults) args.push_back(d.data());
    bool list_layers = false, probe_only = false, compact_console = true;
    std::deque<std::string> rewritten;  // storage for arguments changed on the way through
    try {
        for (int i = 1; i < argc; ++i) {
            const std::string a = argv[i];
            auto value = [&](const char *flag) -> const char * {
                const size_t n = std::strlen(flag);
                return a.compare(0, n, flag) == 0 && a.size() > n && a[n] == '='
                           ? argv[i] + n + 1
                           : nullptr;
            };
            if (const char *v = value("--convgen_peak_gflops")) {
                g_settings.peak_gflops_per_core = std::atof(v);
            } else if (const char *v = value("--convgen_peak_gbps")) {
                g_settings.peak_gbps = std::atof(v);
            } else if (const char *v = value("--convgen_schedules")) {
                const std::string list = v;
                for (size_t start = 0, comma;; start = comma + 1) {
                    comma = list.find(',', start);
                    const std::string sched = list.substr(start, comma - start);
                    const bool known = std::find(kAllSchedules.begin(), kAllSchedules.end(),
                                                 sched) != kAllSchedules.end();
                    if (sched == "all") {
                        g_settings.schedules = kAllSchedules;
                    } else if (known) {
                        g_settings.schedules.push_back(sched);
                    } else if (sched != "none") {
                        std::fprintf(stderr, "unknown schedule '%s' (hand, tuned, naive, "
                                             "Mullapudi2016, Adams2019, Li2018, all, none)\n",
                                     sched.c_str());
                        return 2;
                    }
                    if (comma == std::string::npos) break;
                }
            } else if (const char *v = value("--convgen_misalign")) {
                g_settings.misalign = parse_int_list(v);
                for (int bytes : g_settings.misalign) {
                    if (bytes % 4 != 0 || bytes >= 64) {
                        std::fprintf(stderr, "--convgen_misalign: byte offsets of whole floats "
                                             "below 64 (e.g. 4,16,32)\n");
                        return 2;
                    }
                }
            } else if (a == "--convgen_probe") {
                probe_only = true;
            } else if (const char *v = value("--convgen_threads")) {
                g_settings.threads = parse_int_list(v);
            } else if (const char *v = value("--convgen_max_isa")) {
                convgen::set_max_isa(convgen::isa_from_string(v));
            } else if (const char *v = value("--convgen_variant")) {
                g_settings.variant = v;
            } else if (const char *v = value("--convgen_layers")) {
                std::string list = v;
                for (size_t start = 0, comma;; start = comma + 1) {
                    comma = list.find(',', start);
                    const std::string set = list.substr(start, comma - start);
                    convgen_problems::layer_set(set);  // throws for an unknown name
                    g_settings.layer_sets.push_back(set);
                    if (comma == std::string::npos) break;
                }
            } else if (const char *v = value("--convgen_problem")) {
                for (const Problem &p : convgen_problems::parse_problem_list(v)) {
                    g_settings.problems.push_back(p);
                }
            } else if (const char *v = value("--convgen_peers")) {
                const std::string list = v;
                g_settings.peers.clear();
                for (size_t start = 0, comma;; start = comma + 1) {
                    comma = list.find(',', start);
                    const std::string peer = list.substr(start, comma - start);
                    const auto &have = available_peers();
                    if (peer == "all") {
                        g_settings.peers = have;
                    } else if (std::find(have.begin(), have.end(), peer) != have.end()) {
                        g_settings.peers.push_back(peer);
                    } else if (peer == "onednn" || peer == "xnnpack") {
                        std::fprintf(stderr, "convgen_bench was built without %s (not found "
                                             "at configure time)\n", peer.c_str());
                        return 2;
                    } else if (peer != "none") {
                        std::fprintf(stderr, "unknown peer '%s' (onednn, xnnpack, all, none)\n",
                                     peer.c_str());
                        return 2;
                    }
                    if (comma == std::string::npos) break;
                }
            } else if (const char *v = value("--convgen_activation")) {
                const std::map<std::string, convgen::Activation> known = {
                    {"relu6", convgen::Activation::relu6()},
                    {"hard_swish", convgen::Activation::hard_swish()},
                    {"silu", convgen::Activation::silu()},
                    {"relu", convgen::Activation::relu()},
                    {"none", convgen::Activation::none()}};
                const auto it = known.find(v);
                if (it == known.end()) {
                    std::fprintf(stderr, "--convgen_activation: relu6, hard_swish, silu, relu "
                                         "or none\n");
                    return 2;
                }
                g_settings.activation = it->second;
            } else if (const char *v = value("--convgen_console")) {
                if (std::strcmp(v, "compact") != 0 && std::strcmp(v, "full") != 0) {
                    std::fprintf(stderr, "--convgen_console: compact or full\n");
                    return 2;
                }
                compact_console = std::strcmp(v, "compact") == 0;
            } else if (const char *v = value("--benchmark_min_time");
                       v && *v && v[std::strlen(v) - 1] == 's') {
                // Google Benchmark 1.8 takes "0.2s"; Debian 12's 1.7.1 only "0.2" (seconds).
                // Both read a bare number as seconds, so the suffix is dropped.
                rewritten.push_back(a.substr(0, a.size() - 1));
                args.push_back(rewritten.back().data());
            } else if (a == "--convgen_list_layers") {
                list_layers = true;
            } else if (a == "--convgen_list_variants") {
                for (const auto &v : convgen::variants()) {
                    std::printf("%-10s %-24s kernel=%d stride=%d dilation=%d multiplier=%d isas:",
                                convgen::to_string(v.op), v.name.c_str(), v.kernel, v.stride,
                                v.dilation, v.multiplier);
                    for (auto isa : v.isas) std::printf(" %s", convgen::to_string(isa));
                    std::printf("\n");
                }
                return 0;
            } else {
                args.push_back(argv[i]);
            }
        }
        if (g_settings.activation.kind != convgen::Activation::Kind::relu6 &&
            !g_settings.peers.empty()) {
            std::fprintf(stderr, "--convgen_peers: the peers fuse ReLU6 only; leave them out "
                                 "with another --convgen_activation\n");
            return 2;
        }
        if (g_settings.peak_gflops_per_core < 0 || g_settings.peak_gbps < 0) {
            std::fprintf(stderr, "peak GFLOP/s and GB/s must be > 0 (0 = probe)\n");
            return 2;
        }
        // The probe runs once, before any benchmark, while the machine is as quiet as it gets.
        const bool flops_probed = !(g_settings.peak_gflops_per_core > 0);
        if (flops_probed) {
            g_settings.peak_gflops_per_core = convgen_bench::probe_fma_gflops_per_core();
            if (!(g_settings.peak_gflops_per_core > 0)) {
                std::fprintf(stderr, "this CPU has no FMA to probe; give --convgen_peak_gflops\n");
                return 2;
            }
        }
        if (!(g_settings.peak_gbps > 0)) {
            for (int t : g_settings.threads) peak_gbps(t);
        }
        if (probe_only) {
            std::printf("{\"fma_gflops_per_core\": %.1f, \"bandwidth_gbps\": {",
                        g_settings.peak_gflops_per_core);
            const char *sep = "";
            for (int t : g_settings.threads) {
                std::printf("%s\"%d\": %.1f", sep, t, peak_gbps(t));
                sep = ", ";
            }
            std::printf("}}\n");
            return 0;
        }
        if (!g_settings.variant.empty()) {
            bool known = false;
            for (const auto &v : convgen::variants()) known = known || v.name == g_settings.variant;
            if (!known) {
                std::fprintf(stderr, "unknown variant '%s' (see --convgen_list_variants)\n",
                             g_settings.variant.c_str());
                return 2;
            }
        }
        if (list_layers) {
            for (const Problem &p : selected_layers()) {
                std::printf("%s%s%s\n", p.to_string().c_str(), p.name.empty() ? "" : "  tag ",
                            p.name.c_str());
            }
            return 0;
        }
#if CONVGEN_BENCH_ONEDNN
        if (std::find(g_settings.peers.begin(), g_settings.peers.end(), "onednn") !=
            g_settings.peers.end()) {
            convgen_bench::onednn_start(g_settings.threads);
        }
#endif
        register_all();
    } catch (const convgen_problems::ProblemError &e) {
        std::fprintf(stderr, "convgen_bench: %s\n", e.what());
        return 2;
    } catch (const convgen::Error &e) {
        std::fprintf(stderr, "convgen error: %s\n", e.what());
        return 2;
    } catch (const std::invalid_argument &e) {  // onednn_start
        std::fprintf(stderr, "convgen_bench: %s\n", e.what());
        return 2;
    }

    int n = static_cast<int>(args.size());
    args.push_back(nullptr);
    benchmark::Initialize(&n, args.data());
    if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
    auto number = [](double v) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.1f", v);
        return std::string(buf);
    };
    benchmark::AddCustomContext("convgen.peak_gflops_per_core",
                                number(g_settings.peak_gflops_per_core));
    for (int t : g_settings.threads) {
        benchmark::AddCustomContext("convgen.peak_gbps.threads:" + std::to_string(t),
                                    number(peak_gbps(t)));
    }
    benchmark::AddCustomContext("convgen.detected_isa",
                                convgen::to_string(convgen::detected_isa()));
#if CONVGEN_BENCH_ONEDNN
    benchmark::AddCustomContext("convgen.onednn_version", convgen_bench::onednn_version());
#endif
    std::string peers;
    for (const std::string &p : available_peers()) peers += (peers.empty() ? "" : ",") + p;
    benchmark::AddCustomContext("convgen.peers_built_in", peers.empty() ? "none" : peers);
    // The compact console unless the console's format is changed (--benchmark_format=json...).
    bool console_format = true;
    for (int i = 1; i < n; ++i) {
        console_format = console_format && std::strncmp(args[i], "--benchmark_format=", 19) != 0;
    }
    if (compact_console && console_format) {
        size_t name_width = 0;
        const long total = count_selected(benchmark::GetBenchmarkFilter(), name_width);
        convgen_bench::CompactReporter reporter(total > 0 ? size_t(total) : 0, name_width);
        benchmark::RunSpecifiedBenchmarks(&reporter);
    } else {
        benchmark::RunSpecifiedBenchmarks();
    }
    benchmark::Shutdown();
    return 0;
}
