// Routes each op to the schedule for the generator's target architecture.
#include <stdexcept>

#include "schedule.h"
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
void require_x86(const Problem &problem) {
    if (problem.target.arch != Halide::Target::X86 || problem.target.has_gpu_feature()) {
        throw std::invalid_argument("convgen has no schedule yet for target " +
                                    problem.target.to_string());
    }
}
}  // namespace

void schedule_conv2d(algo::Conv2d &p, const Problem &problem, Knobs &knobs) {
    require_x86(problem);
    x86::schedule_conv2d(p, problem, knobs);
}
void schedule_depthwise(algo::Depthwise &p, const Problem &problem, Knobs &knobs) {
    require_x86(problem);
    x86::schedule_depthwise(p, problem, knobs);
}
void schedule_pointwise(algo::Pointwise &p, const Problem &problem, Knobs &knobs) {
    require_x86(problem);
    x86::schedule_pointwise(p, problem, knobs);
}
void schedule_separable(algo::Separable &p, const Problem &problem, Knobs &knobs) {
    require_x86(problem);
    x86::schedule_separable(p, problem, knobs);
}

}  // namespace convgen::sched
