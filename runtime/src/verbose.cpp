// CONVGEN_VERBOSE / set_verbose: one line per operator created and, at level 2, per run().
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "internal.h"

namespace convgen {

namespace {

constexpr int kUnread = -1;
std::atomic<int> g_level{kUnread};

int64_t now_ns() {
    using namespace std::chrono;
    return duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
}

std::string pair(int a, int b) { return std::to_string(a) + "x" + std::to_string(b); }

}  // namespace

namespace detail {

namespace {

std::string describe_padding(const Padding &p) {
    switch (p.mode) {
        case Padding::Mode::same: return "same";
        case Padding::Mode::valid: return "valid";
        case Padding::Mode::explicit_pads: break;
    }
    return "t" + std::to_string(p.top) + "l" + std::to_string(p.left) + "b" +
           std::to_string(p.bottom) + "r" + std::to_string(p.right);
}

}  // namespace

std::string describe_activation(const Activation &a) {
    switch (a.kind) {
        case Activation::Kind::none: return "none";
        case Activation::Kind::relu: return "relu";
        case Activation::Kind::relu6: return "relu6";
        case Activation::Kind::hard_swish: return "hard_swish";
        case Activation::Kind::silu: return "silu";
        case Activation::Kind::clamp: break;
    }
    return "clamp(" + std::to_string(a.min) + "," + std::to_string(a.max) + ")";
}

std::string describe_window(const Window &w) {
    return " k" + pair(w.kernel_h, w.kernel_w) + " s" + pair(w.stride_h, w.stride_w) + " d" +
           pair(w.dilation_h, w.dilation_w) + " pad:" + describe_padding(w.padding);
}

}  // namespace detail

int verbose() {
    int level = g_level.load(std::memory_order_relaxed);
    if (level != kUnread) return level;
    const char *env = std::getenv("CONVGEN_VERBOSE");
    const int from_env = env ? std::clamp(std::atoi(env), 0, 2) : 0;
    g_level.compare_exchange_strong(level, from_env);  // a set_verbose in between wins
    return g_level.load(std::memory_order_relaxed);
}

void set_verbose(int level) {
    if (level < 0 || level > 2) {
        detail::fail(ErrorCode::invalid_argument, "level",
                     "verbose level " + std::to_string(level) + " is not 0, 1 or 2");
    }
    g_level.store(level, std::memory_order_relaxed);
}

namespace detail {

void log_created(OpKind op, const std::string &desc, const std::string &variant,
                 const std::string &where, const std::string &schedule,
                 const std::vector<Implementation::Declined> &declined) {
    if (verbose() < 1) return;
    std::string line = std::string("convgen_verbose,create,") + to_string(op) + "," + desc + "," +
                       variant + "," + where + "," + schedule;
    for (const auto &d : declined) line += ",declined " + d.variant + ": " + d.reason;
    std::fprintf(stderr, "%s\n", line.c_str());
}

RunLog::RunLog(OpKind op, const std::string *variant, const char *where, const TensorDesc &in,
               const TensorDesc &out, bool queued)
    : op_(op), variant_(variant), where_(where), in_(in), out_(out), queued_(queued) {
    if (variant_) start_ns_ = now_ns();
}

RunLog::~RunLog() {
    if (!variant_) return;
    const double ms = double(now_ns() - start_ns_) * 1e-6;
    std::fprintf(stderr, "convgen_verbose,exec,%s,%s->%s,%s,%s,%s%s%.4fms\n", to_string(op_),
                 in_.to_string().c_str(), out_.to_string().c_str(), variant_->c_str(), where_,
                 std::uncaught_exceptions() ? "failed," : "", queued_ ? "queued," : "", ms);
}

}  // namespace detail
}  // namespace convgen
