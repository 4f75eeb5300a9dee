// Hand-written x86 schedules (SSE4.1, AVX2, AVX-512), one file per op. Defaults come from the
// register file: AVX-512 has 32 x 16-lane registers, AVX2 16 x 8 lanes, SSE4.1 16 x 4 lanes.
#pragma once

#include "../schedule.h"

namespace convgen::sched::x86 {

void schedule_conv2d(algo::Conv2d &p, const Problem &problem, Knobs &knobs);
void schedule_depthwise(algo::Depthwise &p, const Problem &problem, Knobs &knobs);
void schedule_pointwise(algo::Pointwise &p, const Problem &problem, Knobs &knobs);
void schedule_separable(algo::Separable &p, const Problem &problem, Knobs &knobs);

}  // namespace convgen::sched::x86
