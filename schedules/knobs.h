// Schedule knobs: the numbers a schedule is allowed to choose (tile sizes, unroll factors,
// compute_at levels). Each schedule reads its knobs by name with a default sized for the ISA;
// the autotuner and schedules/<target>/tuned data override them through the generator parameter
// `knobs`, a comma-separated list of `name:value`, where `isa.name:value` applies to one ISA only
// (e.g. "tile_x:6,avx2.tile_c:3"; not '=', which the generator command line reserves).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace convgen::sched {

// One knob a schedule reads: its name, its default for the target being scheduled, and the
// values the tuner may try (ordered, so a search can step to a neighbour).
struct KnobDecl {
    std::string name;
    int default_value;
    std::vector<int> values;
};

class Knobs {
public:
    Knobs(const std::string &spec, const std::string &isa);

    // The knobs this schedule reads, with their defaults (e.g. cpu::cpu_knobs). Once declared,
    // reading an undeclared knob is an error.
    void declare(std::vector<KnobDecl> knobs);
    // The knob's value if set for this ISA (or for all ISAs), else its declared default.
    int get(const std::string &name);
    // The same, with an explicit fallback (a default that depends on another knob's value,
    // or a schedule without declarations).
    int get(const std::string &name, int fallback);

    // Fails the generator run if a knob was set that no schedule read: a misspelt knob must not
    // silently fall back to its default.
    void check_all_used() const;

    const std::string &isa() const { return isa_; }

private:
    std::string isa_;
    std::map<std::string, int> values_;
    std::set<std::string> used_;
    std::vector<KnobDecl> declared_;
};

}  // namespace convgen::sched
