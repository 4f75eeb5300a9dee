// convgen_network: runs a chain of convgen operators read from files, for whole-network
// comparisons with other inference runtimes (bench/network_peers.py writes MobileNetV1's body
// and times ONNX Runtime, OpenVINO and LiteRT on the same weights).
//
//   convgen_network DIR [--mode fused|unfused] [--threads T] [--runs R] [--warmup W]
//                       [--seconds S] [--out FILE] [--json] [--verbose] [--max-isa ISA]
//                       [--profile [--peak-gflops G]]
//   convgen_network --self-test     # a tiny network written, read back and checked
//
// DIR holds the network in bench/network_files.h's format (network.txt and raw float32 files):
// a standard conv or a depthwise-separable block per line, each with bias, ReLU6 and
// TensorFlow SAME padding. Activations stay in memory between layers, as a network runtime
// holds them. --mode fused runs each block as one Separable, unfused as Depthwise then Pointwise.
// Timing: W warm-up runs, then at least R timed runs and at least S seconds; prints the median
// and minimum ms of one whole chain (--json: one JSON line), and --out writes the final
// activation (raw float32 NHWC). --max-isa caps the ISA level (convgen::set_max_isa), so two
// levels' kernels can be compared in one binary. --profile also times every operator inside
// the chain (so each one sees the caches the chain leaves it) and prints, per operator, its
// variant, median ms, share of the chain, GFLOP/s and fraction of the FMA limit
// (--peak-gflops per core times the threads; default 93.2, the Zen 3 VM's core), and its time
// when run again at once (data hot in cache): the table that shows where a network's time
// goes, which variant is slow, and what the chain's cold caches cost each operator.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "convgen/convgen.h"
#include "network_files.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using convgen_bench::Network;
using convgen_bench::read_network;
using convgen_bench::same_padding;
using convgen_bench::write_floats;
using Layer = convgen_bench::NetworkLayer;

// 64-byte aligned float storage, as the benchmarks' buffers are.
struct Buffer {
    std::unique_ptr<float[], decltype(&std::free)> data{nullptr, &std::free};
    int64_t size = 0;
    explicit Buffer(int64_t n) : size(n) {
        const size_t bytes = (size_t(n) * sizeof(float) + 63) / 64 * 64;
        data.reset(static_cast<float *>(std::aligned_alloc(64, bytes ? bytes : 64)));
        if (!data) throw std::runtime_error("out of memory");
        std::fill(data.get(), data.get() + n, 0.0f);
    }
    float *get() const { return data.get(); }
};

// One operator call of the chain: what it is, its FLOPs, and the call.
struct Step {
    std::string what;  // "dw [1,112,112,32] -> [1,112,112,32]: variant [isa]"
    int64_t flops = 0;
    std::function<void()> run;
};

// The operators of a network, built once; run() executes the whole chain.
class Chain {
public:
    Chain(const Network &net, bool fused) : input_desc_(convgen::TensorDesc::nhwc(1, net.h, net.w, net.c)) {
        using namespace convgen;
        buffers_.emplace_back(input_desc_.elements());
        std::copy(net.input.begin(), net.input.end(), buffers_.back().get());
        TensorDesc in = input_desc_;
        for (const Layer &l : net.layers) {
            const Window window{l.k, l.k, l.stride, l.stride, 1, 1, Padding::same()};
            const float *x = buffers_.back().get();
            if (in.c != l.c_in) {
                throw std::runtime_error("layer expects " + std::to_string(l.c_in) +
                                         " input channels, gets " + std::to_string(in.c));
            }
            if (l.kind == Layer::Kind::conv) {
                auto op = std::make_shared<Conv2d>(Conv2dDesc{l.c_in, l.c_out, window, Activation::relu6()},
                                                   l.weights[0].data(), l.weights[1].data());
                const TensorDesc out = op->output_desc(in);
                float *y = add_buffer(out);
                add_step("conv", op->implementation(in), in, out, convgen::cost(op->desc(), in, true).flops,
                         [op, x, in, y, out] { op->run({x, in}, {y, out}); });
                in = out;
                continue;
            }
            const SeparableDesc d{l.c_in, 1, l.c_out, window, Activation::relu6(), Activation::relu6()};
            const float *dw_w = l.weights[0].data(), *dw_b = l.weights[1].data();
            const float *pw_w = l.weights[2].data(), *pw_b = l.weights[3].data();
            if (fused) {
                auto op = std::make_shared<Separable>(d, dw_w, dw_b, pw_w, pw_b);
                const TensorDesc out = op->output_desc(in);
                float *y = add_buffer(out);
                add_step("sep", op->implementation(in), in, out, convgen::cost(op->desc(), in, true, true).flops,
                         [op, x, in, y, out] { op->run({x, in}, {y, out}); });
                in = out;
            } else {
                auto dw = std::make_shared<Depthwise>(d.depthwise(), dw_w, dw_b);
                auto pw = std::make_shared<Pointwise>(d.pointwise(), pw_w, pw_b);
                const TensorDesc mid = dw->output_desc(in);
                float *m = add_buffer(mid);
                const TensorDesc out = pw->output_desc(mid);
                float *y = add_buffer(out);
                add_step("dw", dw->implementation(in), in, mid, convgen::cost(dw->desc(), in, true).flops,
                         [dw, x, in, m, mid] { dw->run({x, in}, {m, mid}); });
                add_step("pw", pw->implementation(mid), mid, out, convgen::cost(pw->desc(), mid, true).flops,
                         [pw, m, mid, y, out] { pw->run({m, mid}, {y, out}); });
                in = out;
            }
        }
        output_desc_ = in;
    }

    void run() const {
        for (const Step &step : steps_) step.run();
    }
    const std::vector<Step> &steps() const { return steps_; }
    const float *output() const { return buffers_.back().get(); }
    const convgen::TensorDesc &output_desc() const { return output_desc_; }
    // One line per operator: what it is, its shapes, and the variant and ISA that runs.
    const std::string &description() const { return description_; }

private:
    float *add_buffer(const convgen::TensorDesc &desc) {
        buffers_.emplace_back(desc.elements());
        return buffers_.back().get();
    }
    void add_step(const char *kind, const convgen::Implementation &impl, const convgen::TensorDesc &in,
                  const convgen::TensorDesc &out, int64_t flops, std::function<void()> run) {
        std::string what = std::string(kind) + " " + in.to_string() + " -> " + out.to_string() + ": " +
                           impl.variant + " [" + convgen::to_string(impl.isa) + "]";
        description_ += what + "\n";
        steps_.push_back({std::move(what), flops, std::move(run)});
    }

    convgen::TensorDesc input_desc_, output_desc_;
    std::vector<Buffer> buffers_;  // input, then every activation in network order
    std::vector<Step> steps_;
    std::string description_;
};

struct Timing {
    double median_ms = 0, min_ms = 0;
    int runs = 0;
};

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

Timing time_chain(const Chain &chain, int warmup, int min_runs, double min_seconds) {
    for (int i = 0; i < warmup; ++i) chain.run();
    std::vector<double> ms;
    const auto start = Clock::now();
    while (int(ms.size()) < min_runs ||
           std::chrono::duration<double>(Clock::now() - start).count() < min_seconds) {
        const auto t0 = Clock::now();
        chain.run();
        ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    return {median(ms), *std::min_element(ms.begin(), ms.end()), int(ms.size())};
}

// Times each operator inside whole-chain runs (so every operator meets the caches its
// predecessor leaves, as in the real chain), and once more straight after (its data then hot
// in cache, as a benchmark that repeats one layer sees it), and prints one row per operator.
void print_profile(const Chain &chain, int runs, double peak_gflops_per_core) {
    const auto &steps = chain.steps();
    std::vector<std::vector<double>> ms(steps.size()), hot(steps.size());
    auto time = [](const Step &step) {
        const auto t0 = Clock::now();
        step.run();
        return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    };
    for (int r = 0; r < runs; ++r) {
        for (size_t i = 0; i < steps.size(); ++i) {
            ms[i].push_back(time(steps[i]));
            hot[i].push_back(time(steps[i]));
        }
    }
    std::vector<double> med(steps.size()), med_hot(steps.size());
    double total = 0, total_hot = 0;
    int64_t flops = 0;
    for (size_t i = 0; i < steps.size(); ++i) {
        med[i] = median(ms[i]);
        med_hot[i] = median(hot[i]);
        total += med[i];
        total_hot += med_hot[i];
        flops += steps[i].flops;
    }
    const double peak = peak_gflops_per_core * convgen::num_threads();
    std::printf("%-3s %8s %6s %8s %6s %8s  %s\n", "#", "ms", "share", "GFLOP/s", "%FMA", "hot ms",
                "operator");
    for (size_t i = 0; i < steps.size(); ++i) {
        const double gflops = steps[i].flops / (med[i] * 1e6);
        std::printf("%-3zu %8.3f %5.1f%% %8.1f %5.1f%% %8.3f  %s\n", i, med[i], 100 * med[i] / total,
                    gflops, 100 * gflops / peak, med_hot[i], steps[i].what.c_str());
    }
    const double gflops = flops / (total * 1e6);
    std::printf("sum %8.3f %5.1f%% %8.1f %5.1f%% %8.3f  (medians over %d chain runs; hot: the same "
                "operator again at once; FMA limit %.1f GFLOP/s = %.1f per core x %d threads)\n",
                total, 100.0, gflops, 100 * gflops / peak, total_hot, runs, peak,
                peak_gflops_per_core, convgen::num_threads());
}

// ---- --self-test: a tiny network through the same files, against a naive reference ----------

// NHWC batch 1, in double; groups = c_in for depthwise (weights [k][k][c]), else HWIO.
std::vector<double> reference_conv(const std::vector<double> &x, int h, int w, int c_in,
                                   const std::vector<float> &weights, const std::vector<float> &bias,
                                   int c_out, int k, int stride, bool depthwise, int *oh_out,
                                   int *ow_out) {
    // Padding from network_files.cpp's same_padding(), not from convgen's own resolution.
    const int oh = same_padding(h, k, stride).out, pt = same_padding(h, k, stride).lo;
    const int ow = same_padding(w, k, stride).out, pl = same_padding(w, k, stride).lo;
    std::vector<double> y(size_t(oh) * ow * c_out);
    for (int oy = 0; oy < oh; ++oy) {
        for (int ox = 0; ox < ow; ++ox) {
            for (int co = 0; co < c_out; ++co) {
                double acc = bias[co];
                for (int ky = 0; ky < k; ++ky) {
                    for (int kx = 0; kx < k; ++kx) {
                        const int iy = oy * stride + ky - pt, ix = ox * stride + kx - pl;
                        if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                        const double *px = &x[(size_t(iy) * w + ix) * c_in];
                        if (depthwise) {
                            acc += px[co] * weights[(size_t(ky) * k + kx) * c_in + co];
                        } else {
                            for (int ci = 0; ci < c_in; ++ci) {
                                acc += px[ci] * weights[((size_t(ky) * k + kx) * c_in + ci) * c_out + co];
                            }
                        }
                    }
                }
                y[(size_t(oy) * ow + ox) * c_out + co] = std::min(std::max(acc, 0.0), 6.0);
            }
        }
    }
    *oh_out = oh;
    *ow_out = ow;
    return y;
}

std::vector<double> reference_network(const Network &net) {
    std::vector<double> x(net.input.begin(), net.input.end());
    int h = net.h, w = net.w;
    for (const Layer &l : net.layers) {
        if (l.kind == Layer::Kind::conv) {
            x = reference_conv(x, h, w, l.c_in, l.weights[0], l.weights[1], l.c_out, l.k, l.stride,
                               false, &h, &w);
        } else {
            x = reference_conv(x, h, w, l.c_in, l.weights[0], l.weights[1], l.c_in, l.k, l.stride,
                               true, &h, &w);
            x = reference_conv(x, h, w, l.c_in, l.weights[2], l.weights[3], l.c_out, 1, 1, false,
                               &h, &w);
        }
    }
    return x;
}

// Writes a small network with odd sizes (so SAME pads unevenly) and both a block too narrow to
// fuse (< 16 channels) and blocks that fuse, in the format read_network() reads.
void write_test_network(const fs::path &dir) {
    std::mt19937 gen(7);
    auto values = [&](int64_t count, float scale, float offset) {
        std::uniform_real_distribution<float> dist(-scale, scale);
        std::vector<float> v(static_cast<size_t>(count));
        for (float &x : v) x = offset + dist(gen);
        return v;
    };
    std::ofstream manifest(dir / "network.txt");
    const int h = 37, w = 29, c = 3;
    write_floats(dir / "input.f32", values(h * w * c, 1, 0).data(), h * w * c);
    manifest << "# self-test network\ninput " << h << " " << w << " " << c << " input.f32\n";
    struct Spec {
        const char *kind;
        int c_in, c_out, k, stride;
    };
    const Spec specs[] = {{"conv", 3, 8, 3, 2}, {"sep", 8, 24, 3, 1}, {"sep", 24, 32, 3, 2},
                          {"sep", 32, 32, 3, 1}, {"sep", 32, 48, 3, 2}};
    int i = 0;
    for (const Spec &s : specs) {
        manifest << s.kind << " " << s.c_in << " " << s.c_out << " " << s.k << " " << s.stride;
        std::vector<std::pair<int64_t, float>> tensors;  // element count, weight scale
        if (std::string(s.kind) == "conv") {
            tensors = {{int64_t(s.k) * s.k * s.c_in * s.c_out, std::sqrt(6.0f / (9 * s.c_in))},
                       {s.c_out, 0}};
        } else {
            tensors = {{int64_t(s.k) * s.k * s.c_in, std::sqrt(6.0f / 9)}, {s.c_in, 0},
                       {int64_t(s.c_in) * s.c_out, std::sqrt(6.0f / s.c_in)}, {s.c_out, 0}};
        }
        for (const auto &[count, scale] : tensors) {
            const std::string file = "t" + std::to_string(i++) + ".f32";
            // Biases (scale 0 here) small and positive on average, so few outputs clamp to 0.
            const std::vector<float> v = scale ? values(count, scale, 0) : values(count, 0.1f, 0.1f);
            write_floats(dir / file, v.data(), count);
            manifest << " " << file;
        }
        manifest << "\n";
    }
}

int self_test() {
    const fs::path dir = fs::temp_directory_path() / ("convgen_network_self_test_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    int failures = 0;
    try {
        write_test_network(dir);
        const Network net = read_network(dir);
        const std::vector<double> expected = reference_network(net);
        double scale = 0;
        for (double v : expected) scale = std::max(scale, std::fabs(v));
        for (bool fused : {true, false}) {
            const Chain chain(net, fused);
            chain.run();
            const int64_t n = chain.output_desc().elements();
            double max_err = 0;
            for (int64_t i = 0; i < n; ++i) {
                max_err = std::max(max_err, std::fabs(chain.output()[i] - expected[size_t(i)]));
            }
            const bool ok = n == int64_t(expected.size()) && scale > 0 && max_err <= 1e-4 * scale;
            std::printf("%s %s: output %s, max |error| %.3g (max |reference| %.3g)\n",
                        ok ? "PASS" : "FAIL", fused ? "fused" : "unfused",
                        chain.output_desc().to_string().c_str(), max_err, scale);
            failures += !ok;
        }
    } catch (const std::exception &e) {
        std::printf("FAIL: %s\n", e.what());
        failures++;
    }
    fs::remove_all(dir);
    return failures ? 1 : 0;
}

[[noreturn]] void usage(const char *why) {
    std::fprintf(stderr,
                 "%s\nusage: convgen_network DIR [--mode fused|unfused] [--threads T] [--runs R]\n"
                 "                       [--warmup W] [--seconds S] [--out FILE] [--json] [--verbose]\n"
                 "                       [--max-isa ISA] [--profile [--peak-gflops G]]\n"
                 "       convgen_network --self-test\n",
                 why);
    std::exit(2);
}

}  // namespace

int main(int argc, char **argv) {
    std::string dir, mode = "fused", out, max_isa;
    int threads = 0, runs = 20, warmup = 3;
    double seconds = 0;
    bool json = false, verbose = false, profile = false;
    double peak_gflops = 93.2;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(("missing value after " + a).c_str());
            return argv[++i];
        };
        try {
            if (a == "--self-test") return self_test();
            if (a == "--mode") mode = value();
            else if (a == "--threads") threads = std::stoi(value());
            else if (a == "--runs") runs = std::stoi(value());
            else if (a == "--warmup") warmup = std::stoi(value());
            else if (a == "--seconds") seconds = std::stod(value());
            else if (a == "--out") out = value();
            else if (a == "--json") json = true;
            else if (a == "--verbose") verbose = true;
            else if (a == "--max-isa") max_isa = value();
            else if (a == "--profile") profile = true;
            else if (a == "--peak-gflops") peak_gflops = std::stod(value());
            else if (a.rfind("--", 0) == 0 || !dir.empty()) usage(("unexpected argument " + a).c_str());
            else dir = a;
        } catch (const std::invalid_argument &) {
            usage(("bad number after " + a).c_str());
        }
    }
    if (dir.empty()) usage("no network directory");
    if (mode != "fused" && mode != "unfused") usage("--mode is fused or unfused");
    if (runs < 1 || warmup < 0 || seconds < 0 || !(peak_gflops > 0)) {
        usage("--runs >= 1, --warmup >= 0, --seconds >= 0, --peak-gflops > 0");
    }
    try {
        if (threads > 0) convgen::set_num_threads(threads);
        if (!max_isa.empty()) convgen::set_max_isa(convgen::isa_from_string(max_isa));
        const Network net = read_network(dir);
        const Chain chain(net, mode == "fused");
        if (verbose) std::fputs(chain.description().c_str(), stderr);
        const Timing t = time_chain(chain, warmup, runs, seconds);
        if (profile) print_profile(chain, std::max(runs, t.runs), peak_gflops);
        if (!out.empty()) write_floats(out, chain.output(), chain.output_desc().elements());
        const long peak_rss = convgen_bench::peak_rss_kib();
        if (json) {
            // The operators' lines hold no quotes or backslashes: no escaping needed.
            std::string ops, line;
            std::istringstream lines(chain.description());
            while (std::getline(lines, line)) ops += (ops.empty() ? "\"" : ", \"") + line + "\"";
            std::printf("{\"mode\": \"%s\", \"threads\": %d, \"median_ms\": %.4f, \"min_ms\": %.4f, "
                        "\"runs\": %d, \"peak_rss_kib\": %ld, \"output_shape\": [%lld, %lld, %lld, %lld], "
                        "\"info\": {\"operators\": [%s]}}\n",
                        mode.c_str(), convgen::num_threads(), t.median_ms, t.min_ms, t.runs,
                        peak_rss, (long long)chain.output_desc().n,
                        (long long)chain.output_desc().h, (long long)chain.output_desc().w,
                        (long long)chain.output_desc().c, ops.c_str());
        } else {
            std::printf("convgen %s, %d layers, %d threads: median %.3f ms, min %.3f ms over %d runs; "
                        "output %s; peak RSS %ld KiB\n",
                        mode.c_str(), int(net.layers.size()), convgen::num_threads(), t.median_ms,
                        t.min_ms, t.runs, chain.output_desc().to_string().c_str(), peak_rss);
        }
    } catch (const std::exception &e) {
        std::fprintf(stderr, "convgen_network: %s\n", e.what());
        return 1;
    }
    return 0;
}
