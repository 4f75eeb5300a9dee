// The activation branch of schedules without a register-tile ladder (schedule.h).
#include "schedule.h"

namespace convgen::sched {

void branch_on_activations(Halide::Func output, const Halide::Expr &identity_only) {
    if (!identity_only.defined() || Halide::Internal::is_const_one(identity_only)) return;
    // Func::specialize would append the branch after the schedule's own specialisations,
    // where it would test the kinds only when none of those holds: insert it first instead.
    Halide::Internal::Definition &def = output.function().definition();
    Halide::Internal::Specialization fast;
    fast.condition = identity_only;
    fast.definition = def.get_copy();
    auto &specs = def.specializations();
    specs.insert(specs.begin(), std::move(fast));
}

}  // namespace convgen::sched
