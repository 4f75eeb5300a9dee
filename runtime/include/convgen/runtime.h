// Process-wide settings and the catalogue of compiled variants.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "convgen/isa_list.h"  // generated (build tree, installed beside this header)
#include "params.h"

namespace convgen {

// Instruction-set levels the kernels are compiled for, as kernels.json "isa_targets" lists
// them (isa_list.h is generated from it): today neon (AArch64), then sse41, avx2, avx512,
// avx512_spr (x86-64), each architecture's lowest first. A build holds the levels of one
// architecture (native_isas()); levels compare (<, min) only within an architecture.
enum class Isa {
#define CONVGEN_ISA_ENUMERATOR(name, arch) name,
    CONVGEN_ISAS(CONVGEN_ISA_ENUMERATOR)
#undef CONVGEN_ISA_ENUMERATOR
};
const char *to_string(Isa isa);
Isa isa_from_string(const std::string &name);  // a level's name, e.g. "avx2"

// The levels of the architecture this library was built for, lowest first:
// {sse41, avx2, avx512, avx512_spr} on x86-64, {neon} on AArch64.
const std::vector<Isa> &native_isas();
#if defined(__aarch64__)
inline constexpr Isa kHighestIsa = Isa::CONVGEN_HIGHEST_ISA_aarch64;
#else
inline constexpr Isa kHighestIsa = Isa::CONVGEN_HIGHEST_ISA_x86_64;
#endif

// The best level this CPU supports. Throws unsupported if it lacks even the lowest native one
// (SSE4.1 on x86-64; every AArch64 CPU has NEON).
Isa detected_isa();
// Caps the level new operators choose (like oneDNN's DNNL_MAX_CPU_ISA). Default: no cap
// (kHighestIsa). Throws invalid_argument for a level of another architecture.
void set_max_isa(Isa isa);
Isa max_isa();

// Threads of the kernels' thread pool (>= 1), the calling thread included. Applies to the whole
// process and may be called at any time: a change waits for the parallel loop in flight.
// Default: HL_NUM_THREADS if set, else the CPUs this process may run on. Idle workers spin
// for 0.5 ms after each loop (so consecutive layers do not pay a wake-up), then sleep.
// At most kMaxThreads; a count out of range is an invalid_argument and leaves the pool as it was.
inline constexpr int kMaxThreads = 1024;
void set_num_threads(int threads);
int num_threads();

// Diagnostics on stderr, like oneDNN's ONEDNN_VERBOSE: 0 = none (the default), 1 = a line per
// operator created (op, descriptor, the variant and ISA chosen, why others declined), 2 = also
// a line per run() (input and output shapes, variant, ISA, milliseconds). The environment
// variable CONVGEN_VERBOSE sets the level at start; set_verbose changes it at any time (a level
// outside 0..2 is an invalid_argument). Off, it costs a run() one relaxed atomic load.
// gpu:: operators log the same lines with their target (cuda_sm80, opencl) where the ISA
// stands; a run on device memory returns once queued, so its line says "queued" and times the
// launch.
void set_verbose(int level);
int verbose();

// The machine class a tuned variant is tied to: the CPU's micro-architecture, as vendor,
// family and model on x86 ("AuthenticAMD family 25 model 1", the numbers /proc/cpuinfo shows)
// or implementer and part on AArch64 ("arm implementer 0x41 part 0xd0c"). convgen-tune records
// it with every variant it writes (schedules/tuned/<arch>.json, "tuning.machine_class").
const std::string &machine_class();

// Which tuned variants new operators may choose (each for exactly the shape and thread count it
// was tuned for): match (the default) = those tuned on this machine_class(); any = also those
// tuned on another machine; off = none, the hand variants only. The environment variable
// CONVGEN_TUNED=match|any|off sets it at start. implementation() says why a tuned variant was
// or was not taken.
enum class TunedPolicy { match, any, off };
void set_tuned_policy(TunedPolicy policy);
TunedPolicy tuned_policy();
const char *to_string(TunedPolicy policy);

enum class OpKind { conv2d, depthwise, pointwise, separable, inverted_residual };
const char *to_string(OpKind op);

// One compiled variant, as listed in kernels.json or the tuned database
// (schedules/tuned/<arch>.json). Fixed parameters are 0 where any is accepted.
struct VariantInfo {
    OpKind op;
    std::string name;
    int kernel, stride, dilation, multiplier;
    // "hand", "tuned", "naive" (Halide's default schedule) or the Halide autoscheduler that
    // scheduled it: "Mullapudi2016", "Adams2019", "Li2018".
    std::string schedule;
    // false: a benchmark baseline, run only when OperatorOptions::variant names it.
    bool auto_dispatch;
    // A tuned variant is chosen only for the shape it was tuned on (0 = any): input channels,
    // input height and width, output channels (conv2d, pointwise, separable).
    struct Shape {
        int in_channels, height, width, out_channels;
        bool any() const { return !in_channels && !height && !width && !out_channels; }
    } shape;
    // The thread count (set_num_threads) a tuned variant was tuned with and is chosen for
    // (0 = any): its tiling and task sizes are chosen for that parallelism.
    int tuned_threads;
    // The machine_class() a tuned variant was tuned on ("" where its database did not record
    // one: then no machine matches it).
    std::string tuned_machine;
    std::vector<Isa> isas;
    // Declines problems with fewer input channels than this (0 = any): a schedule that pays
    // only on wide reductions (kernels.json "min_in_channels"), before a variant for any.
    int min_in_channels = 0;
};
const std::vector<VariantInfo> &variants();
// Whether a VariantInfo::schedule names a Halide autoscheduler (Mullapudi2016, Adams2019,
// Li2018, Anderson2021): such a benchmark baseline is tiled for the layer its generator
// estimated and may refuse smaller shapes.
bool is_autoscheduled(const std::string &schedule);

// The dispatch rule, one for the CPU and GPU dispatch, the benchmark and the tests: why `v`
// cannot run a problem with this window, channel multiplier and input channels (a parameter
// it fixes at compile time differs, or fewer input channels than its min_in_channels), or ""
// if it can. Pointwise variants fix no window. in_channels 0: not checked.
std::string decline_reason(const VariantInfo &v, const Window &window, int multiplier,
                           int in_channels = 0);
// Whether a tuned variant's shape (VariantInfo::shape, 0 = any) is this problem's.
bool shape_matches(const VariantInfo::Shape &shape, int in_channels, int height, int width,
                   int out_channels);

// When a Separable (automatic path) runs its fused kernel rather than its depthwise and
// pointwise kernels: when any of its target's rules holds (kernels.json "fusion"; 0 = no bound).
struct FusionRule {
    int min_channels = 0;    // intermediate (in_channels x multiplier) and output, at least
    int max_channels = 0;    // intermediate, at most
    int64_t max_pixels = 0;  // a run's output pixels (n x h x w), at most; GPU rules only
    int max_stride = 0;      // the window's stride (its larger axis), at most
    // pixels < 0: not known (the CPU decides at construction; its rules have no max_pixels).
    // stride 0: not known (a bound on it then holds). Inline: convgen-tune asks it too.
    bool holds(int64_t mid_channels, int64_t out_channels, int64_t pixels, int stride = 0) const {
        return broken_by(mid_channels, out_channels, pixels, stride).empty();
    }
    // The first bound a problem breaks ("fewer than 16 channels"), or "" if the rule holds.
    std::string broken_by(int64_t mid, int64_t out, int64_t pixels, int stride = 0) const {
        if (min_channels && (mid < min_channels || out < min_channels))
            return "fewer than " + std::to_string(min_channels) + " channels";
        if (max_channels && mid > max_channels)
            return "more than " + std::to_string(max_channels) + " intermediate channels";
        if (max_pixels && pixels >= 0 && pixels > max_pixels)
            return "more than " + std::to_string(max_pixels) + " output pixels";
        if (max_stride && stride > max_stride) return "stride " + std::to_string(stride);
        return "";
    }
    std::string to_string() const;  // "at most 32 intermediate channels and ..."
};
// The CPU's rules (kernels.json fusion.cpu); the GPU backends' are gpu::fusion_rules.
std::vector<FusionRule> fusion_rules();
// When an InvertedResidual with an expansion conv runs its fused kernel rather than its stages
// (kernels.json fusion.cpu_inverted_residual; intermediate = the expanded channels): when any
// rule holds, or there is none.
std::vector<FusionRule> inverted_residual_fusion_rules();

}  // namespace convgen
