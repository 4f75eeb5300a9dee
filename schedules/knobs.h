// Schedule knobs: the numbers a schedule is allowed to choose (tile sizes, unroll factors,
// compute_at levels). Each schedule reads its knobs by name with a default sized for the ISA;
// the autotuner and schedules/<target>/tuned data override them through the generator parameter
// `knobs`, a comma-separated list of `name:value`, where `isa.name:value` applies to one ISA only
// (e.g. "tile_x:6,avx2.tile_c:3"; not '=', which the generator command line reserves).
#pragma once

#include <map>
#include <set>
#include <string>

namespace convgen::sched {

class Knobs {
public:
    Knobs(const std::string &spec, const std::string &isa);

    // The knob's value if set for this ISA (or for all ISAs), else `fallback`.
    int get(const std::string &name, int fallback);

    // Fails the generator run if a knob was set that no schedule read: a misspelt knob must not
    // silently fall back to its default.
    void check_all_used() const;

    const std::string &isa() const { return isa_; }

private:
    std::string isa_;
    std::map<std::string, int> values_;
    std::set<std::string> used_;
};

}  // namespace convgen::sched
