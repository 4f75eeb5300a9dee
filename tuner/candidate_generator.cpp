#include "candidate_generator.h"

#include <stdexcept>

namespace convgen::tune {

Halide::Internal::AbstractGeneratorPtr make_candidate_generator(const Task &task,
                                                                const std::string &knobs) {
    auto gen = Halide::Internal::GeneratorRegistry::create(
        "convgen_" + task.op, Halide::GeneratorContext(Halide::Target(task.halide_target)));
    if (!gen) throw std::runtime_error("no generator convgen_" + task.op);
    if (task.spelling().windowed) {
        gen->set_generatorparam_value("kernel", std::to_string(task.kernel()));
        gen->set_generatorparam_value("stride", std::to_string(task.stride()));
        gen->set_generatorparam_value("dilation", std::to_string(task.dilation()));
    }
    if (task.spelling().multiplier) {
        gen->set_generatorparam_value("multiplier", std::to_string(task.multiplier()));
    }
    gen->set_generatorparam_value("knobs", knobs);
    return gen;
}

}  // namespace convgen::tune
