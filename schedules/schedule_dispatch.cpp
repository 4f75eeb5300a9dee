// Routes each op to its CPU schedule with the defaults of the generator's target architecture,
// or, for a GPU target (CUDA, OpenCL), to its GPU schedule.
#include <stdexcept>

#include "schedule.h"
#include "arm/arm_defaults.h"
#include "common/cpu_schedules.h"
#include "gpu/gpu_schedules.h"
#include "x86/x86_defaults.h"

namespace convgen::sched {

std::string isa_of(const Halide::Target &t) {
    using T = Halide::Target;
    if (t.has_feature(T::OpenCL)) return "opencl";
    if (t.has_gpu_feature()) return "cuda";
    if (t.arch == T::ARM) return "neon";
    if (t.arch != T::X86) return "unknown";
    if (t.has_feature(T::AVX512_Skylake)) return "avx512";
    if (t.has_feature(T::AVX2)) return "avx2";
    return "sse41";
}

cpu::CpuDefaults cpu::defaults_for_isa(const std::string &isa) {
    if (isa == "avx512" || isa == "avx2" || isa == "sse41") return x86::defaults(isa);
    if (isa == "neon") return arm::defaults();
    throw std::invalid_argument("no CPU schedule defaults for ISA '" + isa + "'");
}

namespace {
// The CPU defaults of the architecture whose schedules serve this target.
cpu::CpuDefaults defaults_for(const Problem &problem) {
    const Halide::Target &t = problem.target;
    const bool cpu = !t.has_gpu_feature() && (t.arch == Halide::Target::X86 ||
                                              (t.arch == Halide::Target::ARM && t.bits == 64));
    if (!cpu) {
        throw std::invalid_argument("convgen has no schedule yet for target " + t.to_string());
    }
    return cpu::defaults_for_isa(isa_of(t));
}
}  // namespace

void schedule_conv2d(algo::Conv2d &p, const Problem &problem, Knobs &knobs) {
    if (problem.target.has_gpu_feature()) return gpu::schedule_conv2d(p, problem, knobs);
    cpu::schedule_conv2d(p, problem, knobs, defaults_for(problem));
}
void schedule_depthwise(algo::Depthwise &p, const Problem &problem, Knobs &knobs) {
    if (problem.target.has_gpu_feature()) return gpu::schedule_depthwise(p, problem, knobs);
    cpu::schedule_depthwise(p, problem, knobs, defaults_for(problem));
}
void schedule_pointwise(algo::Pointwise &p, const Problem &problem, Knobs &knobs) {
    if (problem.target.has_gpu_feature()) return gpu::schedule_pointwise(p, problem, knobs);
    cpu::schedule_pointwise(p, problem, knobs, defaults_for(problem));
}
void schedule_separable(algo::Separable &p, const Problem &problem, Knobs &knobs) {
    if (problem.target.has_gpu_feature()) return gpu::schedule_separable(p, problem, knobs);
    cpu::schedule_separable(p, problem, knobs, defaults_for(problem));
}

}  // namespace convgen::sched
