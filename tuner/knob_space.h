// The knobs each op's schedule reads (schedules/common/cpu_schedules.cpp), their legal values,
// and the hand schedule's choice of each, so the search can start from hand and move away
// from it one knob at a time. A Config always names every knob its op reads: the knob string
// then means the same thing even if the hand defaults change later.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "task.h"

namespace convgen::tune {

using Config = std::map<std::string, int>;  // knob name -> value

struct KnobDomain {
    std::string name;
    std::vector<int> values;  // ordered, so a mutation can step to a neighbour
};

class KnobSpace {
public:
    explicit KnobSpace(const Task &task);

    const std::vector<KnobDomain> &knobs() const { return knobs_; }
    // The hand schedule's values (schedules/<arch>/*_defaults.cpp) for this op and ISA.
    const Config &hand() const { return hand_; }
    // Cheap legality filter: register tiles that cannot fit the register file spill, so the
    // search does not spend compile time on them.
    bool plausible(const Config &c) const;
    // Canonical "name:value,..." (sorted by name), the generator's `knobs` parameter.
    static std::string to_string(const Config &c);
    static Config parse(const std::string &s);

private:
    std::vector<KnobDomain> knobs_;
    Config hand_;
    int registers_ = 16;
};

}  // namespace convgen::tune
