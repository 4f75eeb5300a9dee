// Small pieces every convgen generator shares: the variant parameters that turn run-time scalars
// into compile-time constants, and the hand-off to the schedule layer.
#pragma once

#include <string>

#include "Halide.h"
#include "algorithms.h"
#include "../schedules/schedule.h"

namespace convgen::gen {

// A variant fixes a window parameter at compile time when its GeneratorParam is > 0; otherwise
// the pipeline reads the run-time scalar. Fixed variants keep the scalar inputs so that every
// variant of an op has the same signature (the runtime validates that they agree).
inline Halide::Expr fixed_or(int fixed, const Halide::Expr &runtime) {
    return fixed > 0 ? Halide::Expr(fixed) : runtime;
}

// All convgen buffers start at 0 in every dimension and are dense in channels.
template <typename Buf>
void require_zero_min(Buf &b) {
    for (int i = 0; i < b.dimensions(); i++) b.dim(i).set_min(0);
}

// Names the schedule layer's ISA for this target and runs the given schedule with the knobs.
template <typename Pipeline, typename ScheduleFn>
void apply_schedule(ScheduleFn schedule, Pipeline &p, sched::Problem problem,
                    const Halide::Target &target, const std::string &knob_spec) {
    problem.target = target;
    sched::Knobs knobs(knob_spec, sched::isa_of(target));
    schedule(p, problem, knobs);
    knobs.check_all_used();
}

}  // namespace convgen::gen
