#include "jit_runner.h"
#include "candidate_generator.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <random>
#include <vector>

#include "Halide.h"
#include "convgen/runtime.h"
#include "kernel_abi.h"
#include "weight_layout.h"

namespace convgen::tune {

using Halide::Buffer;

// Buffers in the generators' Halide order: activations (c, x, y, n), weights as the runtime
// packs them (generators/algorithms.h). Random values, fixed seed: every candidate of a task
// sees the same data, so its output must equal the hand schedule's.
struct JitRunner::Data {
    Buffer<float> input, w1, b1, w2, b2, output, expected;
    bool have_expected = false;
    // Recently compiled candidates: the confirmation re-times hand and the winner several
    // times, and a separable pipeline takes seconds to compile.
    std::map<std::string, Halide::Callable> compiled;
    // TimingOptions::cold: copies of the buffers above, made on first use.
    std::vector<std::unique_ptr<Data>> replicas;
    // The memory behind input and output when they are placed off a cache line.
    std::vector<Buffer<float>> storage;
};

namespace {

Buffer<float> random_buffer(std::vector<int> sizes, std::mt19937 &rng, float scale) {
    Buffer<float> b(sizes);
    std::uniform_real_distribution<float> u(-scale, scale);
    b.for_each_value([&](float &v) { v = u(rng); });
    return b;
}

// A buffer `misalign_bytes` past a 64-byte boundary, its memory kept in d.storage; 0: an
// ordinary (aligned) Buffer.
Buffer<float> placed(const std::vector<int> &sizes, int misalign_bytes, JitRunner::Data &d) {
    if (misalign_bytes == 0) return Buffer<float>(sizes);
    size_t elements = 1;
    for (int s : sizes) elements *= size_t(s);
    d.storage.emplace_back(int(elements + 32));
    const auto base = reinterpret_cast<uintptr_t>(d.storage.back().data());
    auto *host = reinterpret_cast<float *>((base + 63) / 64 * 64 + uintptr_t(misalign_bytes));
    return Buffer<float>(host, sizes);
}

std::vector<int> sizes_of(const Buffer<float> &b) {
    std::vector<int> sizes;
    for (int i = 0; i < b.dimensions(); i++) sizes.push_back(b.dim(i).extent());
    return sizes;
}

// A copy of `from` placed as `placed` places it.
Buffer<float> placed_copy(const Buffer<float> &from, int misalign_bytes, JitRunner::Data &d) {
    Buffer<float> b = placed(sizes_of(from), misalign_bytes, d);
    b.copy_from(from);
    return b;
}

std::unique_ptr<JitRunner::Data> make_data(const Task &t, int misalign_bytes) {
    const auto &p = t.problem;
    std::mt19937 rng(1234);
    auto d = std::make_unique<JitRunner::Data>();
    const int mid = t.mid_channels();
    // A pointwise kernel gets short rows as one row, as the runtime calls it.
    const bool one_row = t.op == "pointwise" && abi::pointwise_as_one_row(p.h, p.w);
    const int in_w = one_row ? p.h * p.w : p.w, in_h = one_row ? 1 : p.h;
    d->input = placed_copy(random_buffer({p.c, in_w, in_h, p.n}, rng, 1.0f), misalign_bytes, *d);
    if (t.op == "conv2d") {
        d->w1 =
            random_buffer(abi::cpu_blocked_weight_extents({p.c, p.kw, p.kh}, p.o), rng, 0.2f);
        d->b1 = random_buffer({p.o}, rng, 0.5f);
    } else if (t.op == "pointwise") {
        d->w1 = random_buffer(abi::cpu_blocked_weight_extents({p.c}, p.o), rng, 0.2f);
        d->b1 = random_buffer({p.o}, rng, 0.5f);
    } else {
        d->w1 = random_buffer({mid, p.kw, p.kh}, rng, 0.5f);
        d->b1 = random_buffer({mid}, rng, 0.5f);
        if (t.op == "separable") {
            d->w2 = random_buffer(abi::cpu_blocked_weight_extents({mid}, p.o), rng, 0.2f);
            d->b2 = random_buffer({p.o}, rng, 0.5f);
        }
    }
    const int out_c = t.op == "depthwise" ? mid : p.o;
    d->output = one_row ? placed({out_c, in_w, in_h, p.n}, misalign_bytes, *d)
                        : placed({out_c, p.out_w(), p.out_h(), p.n}, misalign_bytes, *d);
    return d;
}

// Enough copies of d's buffers to fill 64 MiB (at most 512), for cold timing.
void make_replicas(JitRunner::Data &d, int misalign_bytes) {
    auto copy = [](const Buffer<float> &b) { return b.defined() ? b.copy() : Buffer<float>(); };
    auto bytes = [](const Buffer<float> &b) { return b.defined() ? b.size_in_bytes() : size_t(0); };
    const size_t per_copy = bytes(d.input) + bytes(d.w1) + bytes(d.b1) + bytes(d.w2) +
                            bytes(d.b2) + bytes(d.output);
    const size_t copies = std::clamp<size_t>((size_t(64) << 20) / std::max<size_t>(per_copy, 1), 1, 512);
    for (size_t i = 0; i < copies; ++i) {
        auto r = std::make_unique<JitRunner::Data>();
        r->input = placed_copy(d.input, misalign_bytes, *r);
        r->output = placed_copy(d.output, misalign_bytes, *r);
        r->w1 = copy(d.w1), r->b1 = copy(d.b1), r->w2 = copy(d.w2), r->b2 = copy(d.b2);
        d.replicas.push_back(std::move(r));
    }
}

// Sets a call's window arguments (abi/kernel_abi.h) from the task.
template <typename Args>
Args with_window(Args args, const Task &t) {
    return abi::with_window(args, t.problem.stride, t.problem.dilation, t.pad_left(),
                            t.pad_top());
}

// One call of the compiled pipeline, its arguments set by name in the kernel ABI's order.
// threads: the Halide threads the call runs on (TimingOptions::threads).
std::function<int()> bind_call(const Task &t, const Halide::Callable &c, JitRunner::Data &d,
                               int threads) {
    using Buf = Buffer<float>;
    const int m = t.problem.multiplier;
    const float lo = 0.0f, hi = 6.0f;  // ReLU6, as the benchmarks fuse it
    auto bind = [&c](auto args) { return [c, args] { return convgen::abi::call(c, args); }; };
    if (t.op == "conv2d") {
        return bind(with_window(
            convgen::abi::Conv2dArgs<Buf>{.input = d.input, .weights = d.w1, .bias = d.b1,
                                          .act_min = lo, .act_max = hi, .output = d.output},
            t));
    }
    if (t.op == "depthwise") {
        return bind(with_window(
            convgen::abi::DepthwiseArgs<Buf>{.input = d.input, .weights = d.w1, .bias = d.b1,
                                             .channel_multiplier = m, .act_min = lo,
                                             .act_max = hi, .output = d.output},
            t));
    }
    if (t.op == "pointwise") {
        return bind(convgen::abi::PointwiseArgs<Buf>{.input = d.input, .weights = d.w1,
                                                     .bias = d.b1, .act_min = lo,
                                                     .act_max = hi, .threads = threads,
                                                     .output = d.output});
    }
    return bind(with_window(
        convgen::abi::SeparableArgs<Buf>{.input = d.input, .dw_weights = d.w1, .dw_bias = d.b1,
                                         .pw_weights = d.w2, .pw_bias = d.b2,
                                         .channel_multiplier = m, .dw_min = lo, .dw_max = hi,
                                         .pw_min = lo, .pw_max = hi, .output = d.output},
        t));
}

Halide::Callable compile(const Task &task, const std::string &knobs) {
    return make_candidate_generator(task, knobs)->compile_to_callable();
}

double now_ms() {
    using namespace std::chrono;
    return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

JitRunner::JitRunner(TimingOptions options) : options_(options) {}
JitRunner::~JitRunner() = default;

std::string JitRunner::machine_class() const { return convgen::machine_class(); }

Timing JitRunner::measure(const Task &task, const std::string &knobs) {
    auto &slot = data_[task.key() + "/" + task.isa];
    if (!slot) slot = make_data(task, options_.misalign_bytes);
    Data &d = *slot;
    Timing result;
    try {
        auto found = d.compiled.find(knobs);
        if (found == d.compiled.end()) {
            if (d.compiled.size() >= 8) d.compiled.clear();
            found = d.compiled.emplace(knobs, compile(task, knobs)).first;
        }
        const Halide::Callable callable = found->second;
        const auto run = bind_call(task, callable, d, options_.threads);

        // Warm-up, and the correctness check against the hand schedule's output.
        d.output.fill(-1.0f);
        double t0 = now_ms();
        if (run() != 0) throw std::runtime_error("the pipeline returned an error");
        const double first_ms = now_ms() - t0;
        if (!d.have_expected) {
            d.expected = d.output.copy();
            d.have_expected = true;
        } else {
            double worst = 0;
            d.output.for_each_element([&](const int *pos) {
                worst = std::max(worst, double(std::abs(d.output(pos) - d.expected(pos))));
            });
            if (worst > 1e-3) {
                throw std::runtime_error("output differs from the hand schedule's by " +
                                         std::to_string(worst));
            }
        }
        const int iterations =
            std::max(1, int(std::ceil(options_.min_sample_ms / std::max(first_ms, 1e-3))));
        std::vector<std::function<int()>> runs{run};
        if (options_.cold) {
            if (d.replicas.empty()) make_replicas(d, options_.misalign_bytes);
            for (auto &r : d.replicas) {
                runs.push_back(bind_call(task, callable, *r, options_.threads));
            }
        }
        std::vector<double> samples;
        size_t next = 0;
        for (int r = 0; r < options_.repetitions; r++) {
            t0 = now_ms();
            for (int i = 0; i < iterations; i++) runs[next++ % runs.size()]();
            samples.push_back((now_ms() - t0) / iterations);
        }
        std::nth_element(samples.begin(), samples.begin() + samples.size() / 2, samples.end());
        result.ms = samples[samples.size() / 2];
    } catch (const Halide::Error &e) {
        result.error = e.what();
    } catch (const std::exception &e) {
        result.error = e.what();
    }
    return result;
}

}  // namespace convgen::tune
