// The generator of one candidate: the op's registered convgen generator for the task's target,
// with the variant's fixed parameters as cmake/ConvgenVariants.cmake passes them and the
// candidate's knobs. The JIT runner compiles it in process, the cross runner to a library.
#pragma once

#include <string>

#include "Halide.h"
#include "task.h"

namespace convgen::tune {

Halide::Internal::AbstractGeneratorPtr make_candidate_generator(const Task &task,
                                                                const std::string &knobs);

}  // namespace convgen::tune
