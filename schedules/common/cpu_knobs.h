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

// `fixed_kernel`: the variant fixes the window size at compile time (unroll_taps is read
// only then); `unit_stride`: it fixes stride 1 (the depthwise op's own tile,
// dw_op_tile_pixels, is the default only where both hold). Throws std::invalid_argument for
// an unknown op.
std::vector<KnobDecl> cpu_knobs(const std::string &op, const CpuDefaults &d, bool fixed_kernel,
                                bool unit_stride = false);

}  // namespace convgen::sched::cpu
