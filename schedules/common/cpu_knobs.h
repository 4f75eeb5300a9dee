// The knobs of the CPU schedules, declared once: for each op, every knob its schedule reads
// (schedules/common/cpu_schedules.cpp), the default a target's CpuDefaults gives it, and the
// values convgen-tune may try. The schedules read their knobs through this declaration
// (Knobs::declare), and the tuner's search space is this declaration (tuner/knob_space.cpp),
// so neither restates the other.
#pragma once

#include <string>
#include <vector>

#include "../knobs.h"
#include "cpu_schedules.h"

namespace convgen::sched::cpu {

// What a variant fixes at compile time, as kernels.json's fields (0: read at run time). A
// fixed window (kernel) is where unroll_taps and dw_unroll_rows_max_k are read; the depthwise
// tiles' defaults depend on the window, stride and multiplier (CpuDefaults says how).
struct FixedParams {
    int kernel = 0, stride = 0, multiplier = 0;
};

// Throws std::invalid_argument for an unknown op.
std::vector<KnobDecl> cpu_knobs(const std::string &op, const CpuDefaults &d,
                                const FixedParams &fixed);

}  // namespace convgen::sched::cpu
