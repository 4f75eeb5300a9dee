// The knobs of the GPU schedules, declared once: for each op, every knob its schedule reads
// (schedules/gpu/gpu_schedules.cpp), its default and the values a tuner may try. The GPU
// counterpart of schedules/common/cpu_knobs.cpp; one default per knob for CUDA and OpenCL
// (a manifest entry sets either apart with the prefix "cuda." or "opencl.").
#pragma once

#include <string>
#include <vector>

#include "../knobs.h"

namespace convgen::sched::gpu {

// Throws std::invalid_argument for an unknown op.
std::vector<KnobDecl> gpu_knobs(const std::string &op);

}  // namespace convgen::sched::gpu
