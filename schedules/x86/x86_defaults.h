// x86 (SSE4.1, AVX2, AVX-512) default knob values for the CPU schedules.
#pragma once

#include <string>

#include "../common/cpu_schedules.h"

namespace convgen::sched::x86 {

// `isa` is "avx512_spr", "avx512", "avx2" or "sse41" (sched::isa_of).
cpu::CpuDefaults defaults(const std::string &isa);

}  // namespace convgen::sched::x86
