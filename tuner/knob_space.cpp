#include "knob_space.h"

#include <sstream>
#include <stdexcept>

#include "common/cpu_knobs.h"
#include "common/cpu_schedules.h"
#include "common/register_tiles.h"

namespace convgen::tune {

KnobSpace::KnobSpace(const Task &task) {
    // The schedules' own facts for the ISA: its defaults and its register file. A GPU target
    // has neither (its schedules read other knobs; see README, Autotuning).
    const sched::cpu::CpuDefaults d = sched::cpu::defaults_for_isa(task.isa);
    registers_ = sched::vector_registers(task.isa);
    // The schedule's own declaration of the knobs it reads, their defaults and values.
    const sched::cpu::FixedParams fixed{task.kernel(), task.stride(), task.multiplier()};
    for (const auto &k : sched::cpu::cpu_knobs(task.op, d, fixed)) {
        knobs_.push_back({k.name, k.values});
        hand_[k.name] = k.default_value;
    }
    // The runtime's hand variant for the problem may set some (kernels.json "knobs").
    for (const auto &[name, value] : parse(task.hand_knobs)) {
        if (!hand_.count(name)) {
            throw std::invalid_argument("kernels.json knob '" + name + "' is not one of " +
                                        task.op + "'s");
        }
        hand_[name] = value;
    }
}

bool KnobSpace::plausible(const Config &c) const {
    auto get = [&c](const char *k) {
        const auto it = c.find(k);
        return it == c.end() ? 0 : it->second;
    };
    // GEMM tile: tile_c * tile_x accumulators + tile_c weight vectors + the broadcast input,
    // which LLVM keeps in a register (tools/asm_report.py: 4x7 on AVX-512 spills).
    if (get("tile_c") && sched::gemm_tile_registers(get("tile_c"), get("tile_x")) > registers_) {
        return false;
    }
    // The pointwise op's alternative tile: the same arithmetic, and both or neither set.
    if ((get("alt_tile_c") > 0) != (get("alt_tile_x") > 0)) return false;
    if (get("alt_tile_c") &&
        sched::gemm_tile_registers(get("alt_tile_c"), get("alt_tile_x")) > registers_) {
        return false;
    }
    if (get("alt_tile_wide_c") &&
        sched::gemm_tile_registers(get("alt_tile_wide_c"), get("alt_tile_x")) > registers_) {
        return false;
    }
    // Depthwise tile: accumulators only; the taps' weights may stream.
    if (get("dw_tile_c") && get("dw_tile_c") * get("dw_tile_x") > registers_) return false;
    return true;
}

std::string KnobSpace::to_string(const Config &c) {
    std::string s;
    for (const auto &[k, v] : c) s += (s.empty() ? "" : ",") + k + ":" + std::to_string(v);
    return s;
}

Config KnobSpace::parse(const std::string &s) {
    Config c;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, ',')) {
        const auto colon = item.find(':');
        if (colon == std::string::npos) throw std::invalid_argument("bad knob '" + item + "'");
        c[item.substr(0, colon)] = std::stoi(item.substr(colon + 1));
    }
    return c;
}

}  // namespace convgen::tune
