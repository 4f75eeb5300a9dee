// AArch64 NEON (ASIMD) default knob values for the CPU schedules. One ARM ISA, "neon"
// (= Halide's arm-64-linux): the optional arm_dot_prod and arm_fp16 features only speed up int8
// and fp16 arithmetic, and every convgen kernel is fp32.
#pragma once

#include "../common/cpu_schedules.h"

namespace convgen::sched::arm {

cpu::CpuDefaults defaults();

}  // namespace convgen::sched::arm
