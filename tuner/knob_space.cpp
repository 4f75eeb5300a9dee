#include "knob_space.h"

#include <sstream>
#include <stdexcept>

#include "common/cpu_schedules.h"
#include "arm/arm_defaults.h"
#include "x86/x86_defaults.h"

namespace convgen::tune {

namespace {
// Value ranges: around every default in schedules/, bounded by what a register file of 32
// vectors can hold (tile_c * (tile_x + 1) + 1 <= registers; see plausible()).
const std::vector<int> kTileC{1, 2, 3, 4, 5, 6};
const std::vector<int> kTileX{1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14};
const std::vector<int> kDwTileC{1, 2, 3, 4};
const std::vector<int> kDwTileX{1, 2, 3, 4, 6, 8};
const std::vector<int> kRows{1, 2, 4, 8, 16, 32};
const std::vector<int> kBool{0, 1};
const std::vector<int> kUnrollCi{1, 2, 4};
}  // namespace

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
    auto add = [this](const std::string &name, const std::vector<int> &values, int hand) {
        knobs_.push_back({name, values});
        hand_[name] = hand;
    };
    // Which op reads which knob, and the default it falls back to: as in cpu_schedules.cpp.
    if (task.op == "conv2d") {
        add("tile_c", kTileC, d.gemm_tile_vectors);
        add("tile_x", kTileX, d.gemm_tile_pixels);
        add("rows_per_task", kRows, 1);
        add("channels_outside_rows", kBool, d.conv_channels_outside_rows);
        add("pack_weights", kBool, d.gemm_pack_weights);
        add("unroll_ci", kUnrollCi, 1);
        if (task.kernel() > 0) add("unroll_taps", kBool, 0);  // read only for a fixed kernel
    } else if (task.op == "depthwise") {
        add("dw_tile_c", kDwTileC, d.dw_tile_vectors);
        add("dw_tile_x", kDwTileX, d.dw_tile_pixels);
        add("rows_per_task", kRows, d.dw_rows_per_task);
        add("channels_outside_rows", kBool, 1);
        add("stage_input", kBool, d.dw_stage_input);
    } else if (task.op == "pointwise") {
        add("tile_c", kTileC, d.gemm_tile_vectors);
        add("tile_x", kTileX, d.gemm_tile_pixels);
        add("rows_per_task", kRows, d.pw_rows_per_task);
        add("channels_outside_rows", kBool, d.pw_channels_outside_rows);
        add("pack_weights", kBool, d.gemm_pack_weights);
    } else if (task.op == "separable") {
        add("tile_c", kTileC, d.gemm_tile_vectors);
        add("tile_x", kTileX, d.gemm_tile_pixels);
        add("dw_tile_c", kDwTileC, d.dw_tile_vectors);
        add("dw_tile_x", kDwTileX, d.dw_tile_pixels);
        add("strip_panels", kBool, d.separable_strip_panels);
        add("rows_per_task", kRows,
            d.separable_strip_panels ? d.separable_strip_rows : d.separable_rows_per_task);
        add("stage_input", kBool, d.dw_stage_input);
    } else {
        throw std::invalid_argument("unknown op '" + task.op + "'");
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
