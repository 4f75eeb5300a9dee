// convgen::machine_class(): the CPU micro-architecture a tuned variant is tied to. Also
// compiled into convgen-tune and its cross harness, which record it with each tuned variant,
// so the tuner and the runtime cannot disagree on what a machine class is.
#include <fstream>
#include <string>

#include "convgen/runtime.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace convgen {
namespace {

#if defined(__x86_64__) || defined(__i386__)
// Vendor, family and model as Linux's /proc/cpuinfo shows them (extended fields folded in).
std::string detect() {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return "x86 (no cpuid)";
    char vendor[13] = {};
    const unsigned words[3] = {b, d, c};
    for (int i = 0; i < 12; i++) vendor[i] = char(words[i / 4] >> (8 * (i % 4)));
    if (!__get_cpuid(1, &a, &b, &c, &d)) return std::string(vendor);
    unsigned family = (a >> 8) & 0xf, model = (a >> 4) & 0xf;
    if (family == 0xf) family += (a >> 20) & 0xff;
    if (family >= 6) model += ((a >> 16) & 0xf) << 4;
    return std::string(vendor) + " family " + std::to_string(family) + " model " +
           std::to_string(model);
}
#else
// The first core's implementer and part (MIDR fields), as /proc/cpuinfo shows them.
std::string detect() {
    std::ifstream f("/proc/cpuinfo");
    std::string line, implementer, part;
    auto value = [&line] {
        const auto colon = line.find(':');
        if (colon == std::string::npos) return std::string();
        const auto start = line.find_first_not_of(" \t", colon + 1);
        return start == std::string::npos ? std::string() : line.substr(start);
    };
    while (std::getline(f, line) && (implementer.empty() || part.empty())) {
        if (line.rfind("CPU implementer", 0) == 0) implementer = value();
        if (line.rfind("CPU part", 0) == 0) part = value();
    }
    if (implementer.empty() || part.empty()) return "aarch64 (core not reported)";
    return "arm implementer " + implementer + " part " + part;
}
#endif

}  // namespace

const std::string &machine_class() {
    static const std::string cls = detect();
    return cls;
}

}  // namespace convgen
