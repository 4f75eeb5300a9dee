// onednn_network: the network convgen_network runs (bench/network_files.h format), run by
// oneDNN 3 (the PyPI wheels onednn / onednn-devel), for bench/network_peers.py's comparison.
// Its own executable: convgen_bench links Debian's oneDNN 2.6, whose symbols have the same names.
//
//   onednn_network DIR [--threads T] [--runs R] [--warmup W] [--seconds S] [--out FILE] [--json]
//
// Each layer is one convolution_forward primitive (the depthwise a grouped convolution), bias
// and ReLU6 (an eltwise_clip post-op) fused, padding explicit = SAME's. oneDNN chooses every
// activation and weight layout (format_tag::any); the NHWC input is reordered into the first
// layer's layout and the last layer's output back to NHWC inside the timed run, as the other
// runtimes' layout changes are; the weights are reordered once, outside it.
//
// The PyPI build is a SYCL one: its CPU engine is a SYCL CPU device, which needs the Intel
// OpenCL CPU runtime of the wheels' dependencies (OCL_ICD_FILENAMES, set here to the library
// found at build time unless the environment sets it), and its threads are TBB's, which follow
// the process's CPU affinity: --threads T pins the process to T of the CPUs it may use.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "cpu_affinity.h"
#include "network_files.h"

namespace {

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;
using Clock = std::chrono::steady_clock;

memory filled(const memory::desc &md, const engine &eng, const float *data) {
    memory m(md, eng);
    float *p = m.map_data<float>();
    std::memcpy(p, data, md.get_size());
    m.unmap_data(p);
    return m;
}

struct Step {
    primitive prim;
    std::unordered_map<int, memory> args;
};

}  // namespace

int main(int argc, char **argv) {
    std::string dir, out;
    int threads = 0, runs = 20, warmup = 3;
    double seconds = 0;
    bool json = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool has_value = i + 1 < argc;
        if (a == "--threads" && has_value) threads = std::atoi(argv[++i]);
        else if (a == "--runs" && has_value) runs = std::max(1, std::atoi(argv[++i]));
        else if (a == "--warmup" && has_value) warmup = std::atoi(argv[++i]);
        else if (a == "--seconds" && has_value) seconds = std::atof(argv[++i]);
        else if (a == "--out" && has_value) out = argv[++i];
        else if (a == "--json") json = true;
        else if (a.rfind("--", 0) != 0 && dir.empty()) dir = a;
        else {
            std::fprintf(stderr, "usage: onednn_network DIR [--threads T] [--runs R] [--warmup W] "
                                 "[--seconds S] [--out FILE] [--json]\n");
            return 2;
        }
    }
    if (dir.empty()) {
        std::fprintf(stderr, "onednn_network: no network directory\n");
        return 2;
    }
#ifdef CONVGEN_ONEDNN3_OCL_ICD
    setenv("OCL_ICD_FILENAMES", CONVGEN_ONEDNN3_OCL_ICD, 0);
#endif
    if (threads > 0) convgen_bench::pin_to_first_cpus(threads);
    try {
        const convgen_bench::Network net = convgen_bench::read_network(dir);
        engine eng(engine::kind::cpu, 0);
        stream strm(eng);
        std::vector<Step> steps;
        std::vector<std::string> impls;
        post_ops ops;
        ops.append_eltwise(algorithm::eltwise_clip, 0.0f, 6.0f);
        primitive_attr attr;
        attr.set_post_ops(ops);

        const memory::desc in_md({1, net.c, net.h, net.w}, dt::f32, tag::nhwc);
        const memory input = filled(in_md, eng, net.input.data());
        memory cur = input;
        int h = net.h, w = net.w;
        // One convolution: weights given in `wtag` (the user's layout), src in whatever layout
        // the previous layer left it.
        auto conv = [&](int c_in, int c_out, int k, int stride, int groups, const std::vector<float> &wts,
                        tag wtag, const std::vector<float> &bias) {
            const auto ph = convgen_bench::same_padding(h, k, stride);
            const auto pw = convgen_bench::same_padding(w, k, stride);
            const memory::dims wdims = groups > 1 ? memory::dims{groups, c_out / groups, c_in / groups, k, k}
                                                  : memory::dims{c_out, c_in, k, k};
            const memory::desc src_any({1, c_in, h, w}, dt::f32, tag::any);
            const memory::desc w_any(wdims, dt::f32, tag::any);
            const memory::desc b_md({c_out}, dt::f32, tag::a);
            const memory::desc dst_any({1, c_out, ph.out, pw.out}, dt::f32, tag::any);
            convolution_forward::primitive_desc pd(
                eng, prop_kind::forward_inference, algorithm::convolution_direct, src_any, w_any, b_md,
                dst_any, {stride, stride}, {ph.lo, pw.lo}, {ph.hi, pw.hi}, attr);
            if (pd.src_desc() != cur.get_desc()) {
                memory src(pd.src_desc(), eng);
                steps.push_back({reorder(cur, src), {{DNNL_ARG_FROM, cur}, {DNNL_ARG_TO, src}}});
                impls.push_back("reorder to the next conv's layout");
                cur = src;
            }
            memory user_w = filled(memory::desc(wdims, dt::f32, wtag), eng, wts.data());
            memory weights(pd.weights_desc(), eng);
            reorder(user_w, weights).execute(strm, user_w, weights);
            const memory b = filled(b_md, eng, bias.data());
            memory dst(pd.dst_desc(), eng);
            steps.push_back({convolution_forward(pd), {{DNNL_ARG_SRC, cur}, {DNNL_ARG_WEIGHTS, weights},
                                                       {DNNL_ARG_BIAS, b}, {DNNL_ARG_DST, dst}}});
            impls.push_back(pd.impl_info_str());
            cur = dst;
            h = ph.out, w = pw.out;
        };
        for (const auto &l : net.layers) {
            if (l.kind == convgen_bench::NetworkLayer::Kind::conv) {
                conv(l.c_in, l.c_out, l.k, l.stride, 1, l.weights[0], tag::hwio, l.weights[1]);
            } else {
                // Depthwise [k][k][c] is g,o,i,h,w = c,1,1,k,k stored h,w,(i,)g(,o): hwigo.
                conv(l.c_in, l.c_in, l.k, l.stride, l.c_in, l.weights[0], tag::hwigo, l.weights[1]);
                conv(l.c_in, l.c_out, 1, 1, 1, l.weights[2], tag::hwio, l.weights[3]);
            }
        }
        const int c_out = net.layers.back().c_out;
        const memory output(memory::desc({1, c_out, h, w}, dt::f32, tag::nhwc), eng);
        steps.push_back({reorder(cur, output), {{DNNL_ARG_FROM, cur}, {DNNL_ARG_TO, output}}});
        strm.wait();

        auto run = [&] {
            for (Step &s : steps) s.prim.execute(strm, s.args);
            strm.wait();
        };
        for (int i = 0; i < warmup; ++i) run();
        std::vector<double> ms;
        const auto start = Clock::now();
        while (int(ms.size()) < runs || std::chrono::duration<double>(Clock::now() - start).count() < seconds) {
            const auto t0 = Clock::now();
            run();
            ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        }
        std::sort(ms.begin(), ms.end());
        const size_t n = ms.size();
        const double median = n % 2 ? ms[n / 2] : 0.5 * (ms[n / 2 - 1] + ms[n / 2]);
        if (!out.empty()) {
            float *p = output.map_data<float>();
            convgen_bench::write_floats(out, p, int64_t(c_out) * h * w);
            output.unmap_data(p);
        }
        cpu_set_t cpus;
        sched_getaffinity(0, sizeof cpus, &cpus);
        const dnnl_version_t *v = dnnl_version();
        const long peak_rss = convgen_bench::peak_rss_kib();
        if (json) {
            std::string list;
            for (const std::string &s : impls) list += (list.empty() ? "\"" : ", \"") + s + "\"";
            std::printf("{\"median_ms\": %.4f, \"min_ms\": %.4f, \"runs\": %zu, \"threads\": %d, "
                        "\"peak_rss_kib\": %ld, \"output_shape\": [1, %d, %d, %d], \"info\": {\"version\": "
                        "\"%d.%d.%d\", \"cpus\": %d, \"primitives\": [%s]}}\n",
                        median, ms.front(), n, CPU_COUNT(&cpus), peak_rss, h, w, c_out, v->major,
                        v->minor, v->patch, CPU_COUNT(&cpus), list.c_str());
        } else {
            std::printf("oneDNN %d.%d.%d, %zu primitives, %d CPUs: median %.3f ms, min %.3f ms over %zu runs\n",
                        v->major, v->minor, v->patch, steps.size(), CPU_COUNT(&cpus), median, ms.front(), n);
            for (const std::string &s : impls) std::printf("  %s\n", s.c_str());
        }
    } catch (const std::exception &e) {
        std::fprintf(stderr, "onednn_network: %s\n", e.what());
        return 1;
    }
    return 0;
}
