// Routes each op to the schedule for the generator's target architecture.
#include <stdexcept>

#include "schedule.h"
#include "arm/arm_schedules.h"
#include "x86/x86_schedules.h"

namespace convgen::sched {

std::string isa_of(const Halide::Target &t) {
    using T = Halide::Target;
    if (t.has_gpu_feature()) return "cuda";
    if (t.arch == T::ARM) return "neon";
    if (t.arch != T::X86) return "unknown";
    if (t.has_feature(T::AVX512_Skylake)) return "avx512";
    if (t.has_feature(T::AVX2)) return "avx2";
    return "sse41";
}

namespace {
enum class Arch { x86, arm };

// The CPU architecture whose schedules serve this target.
Arch arch_of(const Problem &problem) {
    const Halide::Target &t = problem.target;
    if (!t.has_gpu_feature()) {
        if (t.arch == Halide::Target::X86) return Arch::x86;
        if (t.arch == Halide::Target::ARM && t.bits == 64) return Arch::arm;
    }
    throw std::invalid_argument("convgen has no schedule yet for target " + t.to_string());
}
}  // namespace

void schedule_conv2d(algo::Conv2d &p, const Problem &problem, Knobs &knobs) {
    if (arch_of(problem) == Arch::arm) return arm::schedule_conv2d(p, problem, knobs);
    x86::schedule_conv2d(p, problem, knobs);
}
void schedule_depthwise(algo::Depthwise &p, const Problem &problem, Knobs &knobs) {
    if (arch_of(problem) == Arch::arm) return arm::schedule_depthwise(p, problem, knobs);
    x86::schedule_depthwise(p, problem, knobs);
}
void schedule_pointwise(algo::Pointwise &p, const Problem &problem, Knobs &knobs) {
    if (arch_of(problem) == Arch::arm) return arm::schedule_pointwise(p, problem, knobs);
    x86::schedule_pointwise(p, problem, knobs);
}
void schedule_separable(algo::Separable &p, const Problem &problem, Knobs &knobs) {
    if (arch_of(problem) == Arch::arm) return arm::schedule_separable(p, problem, knobs);
    x86::schedule_separable(p, problem, knobs);
}

}  // namespace convgen::sched
