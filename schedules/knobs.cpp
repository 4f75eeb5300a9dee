#include "knobs.h"

#include <sstream>
#include <stdexcept>

namespace convgen::sched {

Knobs::Knobs(const std::string &spec, const std::string &isa) : isa_(isa) {
    std::stringstream ss(spec);
    std::string item;
    while (std::getline(ss, item, ',')) {
        if (item.empty()) continue;
        const auto eq = item.find(':');
        if (eq == std::string::npos) {
            throw std::invalid_argument("knob '" + item + "' is not of the form name:value");
        }
        std::string name = item.substr(0, eq);
        const int value = std::stoi(item.substr(eq + 1));
        const auto dot = name.find('.');
        if (dot != std::string::npos) {
            if (name.substr(0, dot) != isa_) continue;  // another ISA's knob
            values_[name.substr(dot + 1)] = value;       // ISA-specific beats generic, in any order
            continue;
        }
        values_.emplace(name, value);
    }
}

void Knobs::declare(std::vector<KnobDecl> knobs) { declared_ = std::move(knobs); }

int Knobs::get(const std::string &name) {
    for (const auto &k : declared_) {
        if (k.name == name) return get(name, k.default_value);
    }
    throw std::logic_error("schedule reads knob '" + name + "', which it does not declare");
}

int Knobs::get(const std::string &name, int fallback) {
    if (!declared_.empty()) {
        bool known = false;
        for (const auto &k : declared_) known = known || k.name == name;
        if (!known) {
            throw std::logic_error("schedule reads knob '" + name + "', which it does not declare");
        }
    }
    used_.insert(name);
    const auto it = values_.find(name);
    return it == values_.end() ? fallback : it->second;
}

void Knobs::check_all_used() const {
    for (const auto &[name, value] : values_) {
        if (!used_.count(name)) {
            throw std::invalid_argument("schedule knob '" + name + "' is not read by this schedule");
        }
    }
}

}  // namespace convgen::sched
