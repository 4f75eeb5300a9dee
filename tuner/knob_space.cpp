#include "knob_space.h"

#include <sstream>
#include <stdexcept>

#include "common/cpu_knobs.h"
#include "arm/arm_defaults.h"
#include "x86/x86_defaults.h"

namespace convgen::tune {

KnobSpace::KnobSpace(const Task &task) {
    sched::cpu::CpuDefaults d;
    if (task.isa == "neon") {
        d = sched::arm::defaults();
        registers_ = 32;
    } else if (task.isa == "avx512" || task.isa == "avx2" || task.isa == "sse41") {
        d = sched::x86::defaults(task.isa);
        registers_ = task.isa == "avx512" ? 32 : 16;
    } else {
        // The hook for GPU targets: their schedules read other knobs (see README, Autotuning).
        throw std::invalid_argument("no knob space for ISA '" + task.isa + "'");
    }
    // The schedule's own declaration of the knobs it reads, their defaults and values.
    for (const auto &k : sched::cpu::cpu_knobs(task.op, d, task.kernel() > 0)) {
        knobs_.push_back({k.name, k.values});
        hand_[k.name] = k.default_value;
    }
}

bool KnobSpace::plausible(const Config &c) const {
    auto get = [&c](const char *k) {
        const auto it = c.find(k);
        return it == c.end() ? 0 : it->second;
    };
    // GEMM tile: tile_c * tile_x accumulators + tile_c weight vectors + the broadcast input,
    // which LLVM keeps in a register (tools/asm_report.py: 4x7 on AVX-512 spills).
    if (get("tile_c") && get("tile_c") * (get("tile_x") + 1) + 1 > registers_) return false;
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
