// The GPU dispatch table, generated from kernels.json (gpu_targets x gpu_variants) by
// cmake/ConvgenGpuVariants.cmake, and the choice of variant and target. Variants are tried in
// the manifest's order (specialised first, generic last; baselines only when named), with the
// CPU dispatch's rule for fixed parameters. The table carries each variant's own description:
// GPU-only variants (autoscheduler baselines, schedule alternatives) have no CPU entry.
#include <algorithm>
#include <type_traits>

#include "gpu_internal.h"

// Each shipped kernel's generated header, and its type checked against abi/kernel_abi.h at
// build time.
#include "convgen_gpu_kernel_headers.inc"
#define CONVGEN_GPU_KERNEL CONVGEN_CHECK_GPU_KERNEL_TYPE
#include "convgen_gpu_kernels.inc"
#undef CONVGEN_GPU_KERNEL

namespace convgen::gpu {

namespace detail {

// The shipped table plus what register_gpu_kernels added (the baselines, at start-up).
std::vector<GpuKernelEntry> &kernel_table() {
    static auto *k = new std::vector<GpuKernelEntry>{
#define CONVGEN_GPU_KERNEL CONVGEN_GPU_KERNEL_ROW
#include "convgen_gpu_kernels.inc"
#undef CONVGEN_GPU_KERNEL
    };
    return *k;
}

void register_gpu_kernels(const std::vector<GpuKernelEntry> &entries) {
    auto &table = kernel_table();
    for (const auto &e : entries) {
        for (const auto &k : table) {
            if (k.variant.name == e.variant.name && k.target == std::string(e.target)) return;
        }
    }
    table.insert(table.end(), entries.begin(), entries.end());
}

}  // namespace detail

namespace {

using detail::GpuKernelEntry;
const std::vector<GpuKernelEntry> &kernels() { return detail::kernel_table(); }

// The backend's variants in manifest order, each with its targets.
std::vector<GpuVariantInfo> variants_of(Backend b) {
    std::vector<GpuVariantInfo> out;
    for (const auto &k : kernels()) {
        if (k.backend != b) continue;
        auto it = std::find_if(out.begin(), out.end(),
                               [&](const GpuVariantInfo &v) { return v.variant.name == k.variant.name; });
        if (it == out.end()) it = out.insert(out.end(), GpuVariantInfo{k.variant, {}});
        it->targets.push_back(k.target);
    }
    return out;
}

// "cuda_sm86" -> 86; 0 for targets without a capability.
int capability_of(const std::string &target) {
    const auto at = target.find("_sm");
    return at == std::string::npos ? 0 : std::stoi(target.substr(at + 3));
}

}  // namespace

const char *to_string(Backend b) { return b == Backend::cuda ? "cuda" : "opencl"; }

bool compiled(Backend b) {
    for (const auto &k : kernels())
        if (k.backend == b) return true;
    return false;
}

std::vector<GpuVariantInfo> variants(Backend b) { return variants_of(b); }

std::string GpuImplementation::to_string() const {
    std::string s = variant + " on " + gpu::to_string(backend) + " (" + target + ", " +
                    schedule + " schedule)";
    for (const auto &d : declined) s += "; declined " + d.variant + ": " + d.reason;
    return s;
}

namespace detail {

GpuSelection select_gpu_kernel(OpKind op, const DispatchKey &key, const GpuOptions &options) {
    require_backend(options.backend);  // says so if the backend is not compiled in
    const int capability = options.backend == Backend::cuda ? cuda_compute_capability() : 0;
    GpuSelection s;
    s.impl.backend = options.backend;
    bool known = options.variant.empty();
    for (const auto &[v, targets] : variants_of(options.backend)) {
        if (v.op != op) continue;
        std::vector<const GpuKernelEntry *> mine;
        for (const auto &k : kernels())
            if (k.backend == options.backend && v.name == k.variant.name) mine.push_back(&k);
        if (!options.variant.empty() && v.name != options.variant) {
            s.impl.declined.push_back({v.name, "not the variant requested in options"});
            continue;
        }
        // Baselines (autoscheduled, schedule alternatives) run only when named.
        if (options.variant.empty() && !v.auto_dispatch) continue;
        known = true;
        if (const std::string reason = key_decline_reason(v, key); !reason.empty()) {
            s.impl.declined.push_back({v.name, reason});
            continue;
        }
        // CUDA: the newest PTX the device can run (PTX JIT-compiles forward, never back).
        const GpuKernelEntry *best = nullptr;
        for (const auto *k : mine) {
            const int c = capability_of(k->target);
            if (!options.target.empty() && options.target != k->target) continue;
            if (options.backend == Backend::cuda && c > capability) continue;
            if (!best || c > capability_of(best->target)) best = k;
        }
        if (!best) {
            s.impl.declined.push_back(
                {v.name, !options.target.empty() && options.backend != Backend::cuda
                             ? "not compiled for target '" + options.target + "'"
                             : "not compiled for target '" + options.target +
                                   "' or it is above the device's compute capability " +
                                   std::to_string(capability / 10) + "." +
                                   std::to_string(capability % 10)});
            continue;
        }
        convgen::detail::check_kernel_abi(op, best->metadata(),
                                          "gpu " + v.name + "_" + best->target, true);
        s.kernel = best->fn;
        s.impl.variant = v.name;
        s.impl.target = best->target;
        s.impl.schedule = v.schedule;
        return s;
    }
    if (!known) {
        convgen::detail::fail(ErrorCode::unsupported, "options.variant",
                              "options.variant = '" + options.variant + "' is not a compiled " +
                                  to_string(options.backend) + " " + convgen::to_string(op) +
                                  " variant");
    }
    std::string why;
    for (const auto &d : s.impl.declined) why += "; " + d.variant + ": " + d.reason;
    convgen::detail::fail(ErrorCode::unsupported, "options.variant",
                          std::string("no compiled ") + to_string(options.backend) + " " +
                              convgen::to_string(op) + " variant accepts this problem" + why);
}

}  // namespace detail
}  // namespace convgen::gpu
