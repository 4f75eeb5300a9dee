// ISA detection and capping, thread count, tuned-variant policy, names.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "op_traits.h"
#include "thread_pool.h"

namespace convgen {

namespace {
std::atomic<int> g_max_isa{static_cast<int>(kHighestIsa)};
constexpr int kUnreadPolicy = -1;
std::atomic<int> g_tuned_policy{kUnreadPolicy};

// Asks the Halide runtime whether this CPU has every feature the ISA's kernels were built with
// (the same test Halide's own multi-target wrapper makes). No feature: the architecture's base.
bool cpu_supports(std::initializer_list<halide_target_feature_t> features) {
    if (features.size() == 0) return true;
    uint64_t bits[(halide_target_feature_end + 63) / 64] = {};
    for (auto f : features) bits[f / 64] |= uint64_t(1) << (f % 64);
    return halide_default_can_use_target_features(sizeof(bits) / sizeof(bits[0]), bits) != 0;
}

// Whether this library is built for an architecture of kernels.json isa_targets.
#if defined(__aarch64__)
constexpr bool kBuiltFor_aarch64 = true, kBuiltFor_x86_64 = false;
#else
constexpr bool kBuiltFor_aarch64 = false, kBuiltFor_x86_64 = true;
#endif

// Every level, in enum order.
constexpr Isa kAllIsas[] = {
#define CONVGEN_ISA_VALUE(name, arch) Isa::name,
    CONVGEN_ISAS(CONVGEN_ISA_VALUE)
#undef CONVGEN_ISA_VALUE
};
}  // namespace

const char *to_string(Isa isa) {
    switch (isa) {
#define CONVGEN_ISA_NAME(name, arch) \
    case Isa::name: return #name;
        CONVGEN_ISAS(CONVGEN_ISA_NAME)
#undef CONVGEN_ISA_NAME
    }
    return "?";
}

Isa isa_from_string(const std::string &name) {
    std::string names;
    for (Isa i : kAllIsas) {
        if (name == to_string(i)) return i;
        names += (names.empty() ? "" : ", ") + std::string(to_string(i));
    }
    detail::fail(ErrorCode::invalid_argument, "isa",
                 "isa = '" + name + "' is not one of " + names);
}

namespace detail {
void require_native_isa(Isa isa, const char *field) {
    for (Isa i : native_isas()) {
        if (i == isa) return;
    }
    std::string names;
    for (Isa i : native_isas()) names += std::string(names.empty() ? "" : ", ") + to_string(i);
    fail(ErrorCode::invalid_argument, field,
         std::string(field) + " = " + to_string(isa) + " is not an ISA of this build's " +
             "architecture (" + names + ")");
}
}  // namespace detail

const char *to_string(OpKind op) {
    const char *name = "?";
    detail::any_op([&](auto op_traits) {
        if (decltype(op_traits)::kind != op) return false;
        name = decltype(op_traits)::name;
        return true;
    });
    return name;
}

Isa detected_isa() {
    // The highest level of this architecture whose Halide target features the CPU has
    // (kernels.json isa_targets, highest first).
    static const int detected = [] {
#define CONVGEN_ISA_TARGET(name, arch, target, ...)                             \
    if (kBuiltFor_##arch && cpu_supports({__VA_ARGS__})) return static_cast<int>(Isa::name);
#include "convgen_isa_targets.inc"
#undef CONVGEN_ISA_TARGET
        return -1;
    }();
    if (detected < 0) {
        detail::fail(ErrorCode::unsupported, "cpu",
                     std::string("this CPU lacks ") + to_string(native_isas().front()) +
                         ", the lowest ISA convgen is compiled for");
    }
    return static_cast<Isa>(detected);
}

void set_max_isa(Isa isa) {
    detail::require_native_isa(isa, "isa");
    g_max_isa = static_cast<int>(isa);
}
Isa max_isa() { return static_cast<Isa>(g_max_isa.load()); }

void set_num_threads(int threads) {
    if (threads < 1) {
        detail::fail(ErrorCode::invalid_argument, "threads",
                     "threads = " + std::to_string(threads) + " must be >= 1");
    }
    // Every pool thread is started (and given scratch blocks) up front: refuse a count no
    // machine needs rather than start it, or cap it silently.
    if (threads > kMaxThreads) {
        detail::fail(ErrorCode::invalid_argument, "threads",
                     "threads = " + std::to_string(threads) + " exceeds convgen's maximum of " +
                         std::to_string(kMaxThreads));
    }
    detail::set_pool_threads(threads);
}

int num_threads() { return detail::pool_threads(); }

const char *to_string(TunedPolicy policy) {
    switch (policy) {
    case TunedPolicy::match: return "match";
    case TunedPolicy::any: return "any";
    case TunedPolicy::off: return "off";
    }
    return "?";
}

void set_tuned_policy(TunedPolicy policy) {
    if (policy != TunedPolicy::match && policy != TunedPolicy::any && policy != TunedPolicy::off) {
        detail::fail(ErrorCode::invalid_argument, "policy",
                     "tuned policy " + std::to_string(static_cast<int>(policy)) +
                         " is not match, any or off");
    }
    g_tuned_policy.store(static_cast<int>(policy));
}

TunedPolicy tuned_policy() {
    int policy = g_tuned_policy.load();
    if (policy != kUnreadPolicy) return static_cast<TunedPolicy>(policy);
    int from_env = static_cast<int>(TunedPolicy::match);
    if (const char *env = std::getenv("CONVGEN_TUNED"); env && *env) {
        bool known = false;
        for (TunedPolicy p : {TunedPolicy::match, TunedPolicy::any, TunedPolicy::off}) {
            if (std::strcmp(env, to_string(p)) == 0) from_env = static_cast<int>(p), known = true;
        }
        if (!known) {
            std::fprintf(stderr, "convgen: CONVGEN_TUNED=%s is not match, any or off; using match\n",
                         env);
        }
    }
    g_tuned_policy.compare_exchange_strong(policy, from_env);  // a set_tuned_policy in between wins
    return static_cast<TunedPolicy>(g_tuned_policy.load());
}

std::string Implementation::to_string() const {
    std::string s = variant + " [" + convgen::to_string(isa) + ", " + schedule + " schedule]";
    if (!reason.empty()) s += "\n  chosen: " + reason;
    for (const auto &d : declined) s += "\n  declined " + d.variant + ": " + d.reason;
    return s;
}

}  // namespace convgen
