// The dispatch table, generated from kernels.json, and the choice of variant and ISA.
#include <algorithm>
#include <sstream>
#include <type_traits>

#include "op_traits.h"

// Every shipped per-ISA entry point's header, as Halide generated it, and a check that its
// function has the type abi/kernel_abi.h derives for its op: a generator whose arguments no
// longer match the ABI's types fails here, at build time.
#include "convgen_kernel_headers.inc"
#define CONVGEN_KERNEL CONVGEN_CHECK_KERNEL_TYPE
#include "convgen_kernels.inc"
#undef CONVGEN_KERNEL

namespace convgen {

namespace {

// The variants and their kernels: the shipped tables, plus whatever register_variants added
// (the benchmark baselines, at start-up).
struct Tables {
    std::vector<VariantInfo> variants;
    std::vector<detail::KernelEntry> kernels;
    std::vector<Isa> shipped_isas;
};

Tables &tables() {
    static Tables *t = [] {
        auto *t = new Tables;  // never destroyed: operators may be created during exit
        detail::register_variants(
            {
#define CONVGEN_VARIANT CONVGEN_VARIANT_ROW
#include "convgen_variants.inc"
#undef CONVGEN_VARIANT
            },
            {
#define CONVGEN_KERNEL CONVGEN_KERNEL_ROW
#include "convgen_kernels.inc"
#undef CONVGEN_KERNEL
            },
            t);
        for (const auto &k : t->kernels) t->shipped_isas.push_back(k.isa);
        std::sort(t->shipped_isas.begin(), t->shipped_isas.end());
        t->shipped_isas.erase(std::unique(t->shipped_isas.begin(), t->shipped_isas.end()),
                              t->shipped_isas.end());
        return t;
    }();
    return *t;
}

const detail::KernelEntry *find_kernel(const std::string &variant, Isa isa) {
    for (const auto &k : tables().kernels) {
        if (variant == k.variant && k.isa == isa) return &k;
    }
    return nullptr;
}

// Whether a tuned variant's channel counts are this operator's (its height and width are
// matched per input in run()).
bool channels_match(const VariantInfo::Shape &shape, const detail::DispatchKey &key) {
    return shape_matches(shape, key.in_channels, 0, 0, key.out_channels);
}

}  // namespace

bool is_autoscheduled(const std::string &schedule) {
    for (const char *s : {"Mullapudi2016", "Adams2019", "Li2018", "Anderson2021"}) {
        if (schedule == s) return true;
    }
    return false;
}

namespace detail {
std::string key_decline_reason(const VariantInfo &v, const DispatchKey &key) {
    if (std::string reason = decline_reason(v, key.window, key.multiplier, key.in_channels);
        !reason.empty()) {
        return reason;
    }
    if (key.identity_activations || !is_autoscheduled(v.schedule)) return "";
    return "an autoscheduled baseline takes clamp activations only (none, relu, relu6, clamp), "
           "not hard_swish or silu";
}
}  // namespace detail

std::string decline_reason(const VariantInfo &v, const Window &w, int multiplier,
                           int in_channels) {
    if (in_channels > 0 && in_channels < v.min_in_channels) {
        return std::to_string(in_channels) + " input channels are fewer than its " +
               std::to_string(v.min_in_channels);
    }
    if (v.op == OpKind::pointwise) return "";
    auto pair = [](int a, int b) { return std::to_string(a) + "x" + std::to_string(b); };
    if (v.kernel && (w.kernel_h != v.kernel || w.kernel_w != v.kernel)) {
        return "kernel " + pair(w.kernel_h, w.kernel_w) + " is not its " +
               pair(v.kernel, v.kernel);
    }
    if (v.stride && (w.stride_h != v.stride || w.stride_w != v.stride)) {
        return "stride " + pair(w.stride_h, w.stride_w) + " is not its " +
               pair(v.stride, v.stride);
    }
    if (v.dilation && (w.dilation_h != v.dilation || w.dilation_w != v.dilation)) {
        return "dilation " + pair(w.dilation_h, w.dilation_w) + " is not its " +
               pair(v.dilation, v.dilation);
    }
    if (v.multiplier && multiplier != v.multiplier) {
        return "channel multiplier " + std::to_string(multiplier) + " is not its " +
               std::to_string(v.multiplier);
    }
    return "";
}

// 0 on either side = any (height and width 0: the caller matches them later).
bool shape_matches(const VariantInfo::Shape &s, int in_channels, int height, int width,
                   int out_channels) {
    auto fits = [](int fixed, int value) { return !fixed || !value || fixed == value; };
    return fits(s.in_channels, in_channels) && fits(s.height, height) && fits(s.width, width) &&
           fits(s.out_channels, out_channels);
}

// The ISA levels this build compiled kernels for (kernels.json's isa_targets of the target
// architecture), lowest first.
const std::vector<Isa> &native_isas() { return tables().shipped_isas; }

const std::vector<VariantInfo> &variants() { return tables().variants; }

namespace detail {

std::vector<Isa> parse_isas(const char *names) {
    std::vector<Isa> isas;
    std::istringstream words(names);
    for (std::string name; words >> name;) isas.push_back(isa_from_string(name));
    return isas;
}

void register_variants(std::vector<VariantInfo> variants, const std::vector<KernelEntry> &kernels,
                       void *into) {
    Tables &t = into ? *static_cast<Tables *>(into) : tables();
    for (const auto &info : variants) {
        for (const auto &v : t.variants) {
            if (v.name == info.name) return;  // registered before: nothing to add
        }
    }
    for (auto &info : variants) t.variants.push_back(std::move(info));
    t.kernels.insert(t.kernels.end(), kernels.begin(), kernels.end());
}

std::string kernel_abi_mismatch(OpKind op, const halide_filter_metadata_t *metadata,
                                bool user_context) {
    std::string why = "unknown op";
    any_op([&](auto op_traits) {
        using Traits = decltype(op_traits);
        if (Traits::kind != op) return false;
        why = abi::metadata_mismatch<Traits::template Args>(metadata, user_context);
        return true;
    });
    return why;
}

void check_kernel_abi(OpKind op, const halide_filter_metadata_t *metadata,
                      const std::string &kernel, bool user_context) {
    const std::string why = kernel_abi_mismatch(op, metadata, user_context);
    if (!why.empty()) {
        fail(ErrorCode::kernel_failed, "",
             "kernel " + kernel + " does not match the " + to_string(op) + " ABI: " + why);
    }
}

const Choice &Selection::for_input(const TensorDesc &input, int threads) const {
    if (shaped.empty()) return *this;
    for (const auto &s : shaped) {
        if ((!s.height || s.height == input.h) && (!s.width || s.width == input.w) &&
            (!s.threads || s.threads == threads)) {
            return s;
        }
    }
    return *this;
}

namespace {

std::string tuned_input(const VariantInfo &v) {
    std::string s = "input " + std::to_string(v.shape.height) + "x" + std::to_string(v.shape.width);
    if (v.tuned_threads) {
        s += " at " + std::to_string(v.tuned_threads) + (v.tuned_threads == 1 ? " thread" : " threads");
    }
    return s;
}

std::string isa_names(const std::vector<Isa> &isas) {
    std::string s;
    for (Isa i : isas) s += (s.empty() ? "" : "/") + std::string(to_string(i));
    return s.empty() ? "another architecture" : s;
}

std::string tuned_on(const VariantInfo &v) {
    return v.tuned_machine.empty() ? std::string("an unrecorded machine class") : v.tuned_machine;
}

// Why the tuned-variant policy keeps `v` out, or "".
std::string tuned_policy_refusal(const VariantInfo &v, TunedPolicy policy) {
    if (policy == TunedPolicy::off) return "tuned variants are off (tuned_policy() is off)";
    if (policy == TunedPolicy::match && v.tuned_machine != machine_class()) {
        return "tuned on " + tuned_on(v) + ", not this machine (" + machine_class() +
               "); CONVGEN_TUNED=any would use it";
    }
    return "";
}

}  // namespace

Selection select_kernel(OpKind op, const DispatchKey &key, const OperatorOptions &options) {
    install_halide_handlers();
    require_native_isa(options.max_isa, "options.max_isa");
    const Isa isa = std::min({detected_isa(), max_isa(), options.max_isa});
    const TunedPolicy policy = tuned_policy();  // once per operator, like the ISA
    const bool forced = !options.variant.empty();
    if (options.threads < 0 || options.threads > kMaxThreads) {
        fail(ErrorCode::invalid_argument, "options.threads",
             "options.threads = " + std::to_string(options.threads) + " is not 0 (the pool's) or 1.." +
                 std::to_string(kMaxThreads));
    }
    Selection s;
    s.parallel = {options.threads, options.executor};
    bool known = !forced, chosen = false;
    for (const auto &v : variants()) {
        if (v.op != op) continue;
        if (forced && v.name != options.variant) continue;
        const bool tuned = !forced && !v.shape.any();
        // Baselines run only when named; tuned variants only for their channels (and, in run(),
        // their input size).
        if (!forced && (!v.auto_dispatch || (tuned && !channels_match(v.shape, key)))) continue;
        if (chosen && !tuned) continue;
        known = true;
        const std::string reason = key_decline_reason(v, key);
        // This entry's own levels: a tuned layer may have a sibling of the same name for
        // another ISA.
        const bool has_isa = std::find(v.isas.begin(), v.isas.end(), isa) != v.isas.end();
        const KernelEntry *entry =
            reason.empty() && has_isa ? find_kernel(v.name, isa) : nullptr;
        if (entry) check_kernel_abi(op, entry->metadata(), v.name + "_" + to_string(isa));
        void *kernel = entry ? entry->fn : nullptr;
        if (tuned) {
            // Tuned for this operator's channels: say why it does or does not run.
            if (!reason.empty()) continue;  // tuned for another window: not this operator's
            std::string refusal = tuned_policy_refusal(v, policy);
            if (!kernel) refusal = "tuned for " + isa_names(v.isas) + ", not " + to_string(isa);
            if (!refusal.empty()) {
                s.impl.declined.push_back({v.name, refusal});
                continue;
            }
            Selection::Shaped t;
            t.kernel = kernel;
            t.impl = {v.name, isa, v.schedule, {}, ""};
            t.impl.reason = "tuned for this " + tuned_input(v) + " on " + tuned_on(v) +
                            (v.tuned_machine == machine_class() ? " (this machine)"
                                                                : ", not this machine (CONVGEN_TUNED=any)");
            t.height = v.shape.height;
            t.width = v.shape.width;
            t.threads = v.tuned_threads;
            s.shaped.push_back(t);
            s.impl.declined.push_back({v.name, "runs instead only for " + tuned_input(v)});
            continue;
        }
        if (!reason.empty()) {
            s.impl.declined.push_back({v.name, reason});
        } else if (!kernel) {
            s.impl.declined.push_back({v.name, std::string("not compiled for ") + to_string(isa)});
        } else {
            s.kernel = kernel;
            s.impl.variant = v.name;
            s.impl.isa = isa;
            s.impl.schedule = v.schedule;
            chosen = true;
        }
    }
    if (chosen) return s;
    if (!known) {
        fail(ErrorCode::unsupported, "options.variant",
             "options.variant = '" + options.variant + "' is not a compiled " + to_string(op) +
                 " variant");
    }
    std::string why;
    for (const auto &d : s.impl.declined) why += "; " + d.variant + ": " + d.reason;
    fail(ErrorCode::unsupported, "options.variant",
         std::string("no compiled ") + to_string(op) + " variant accepts this problem" + why);
}

}  // namespace detail
}  // namespace convgen
