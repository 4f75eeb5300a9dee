#include "database.h"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <stdexcept>

#include <unistd.h>

#include <fmt/core.h>

#include "Halide.h"

namespace convgen::tune {

using nlohmann::ordered_json;

std::string host_cpu_model() {
    std::ifstream f("/proc/cpuinfo");
    std::string line;
    while (std::getline(f, line)) {
        if (line.rfind("model name", 0) == 0) {
            const auto colon = line.find(':');
            if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
        }
    }
    return "unknown";
}

std::string host_machine() {
    std::ifstream f("/proc/cpuinfo");
    std::string line, family = "?", model = "?", stepping = "?", flags;
    auto value = [&line]() {
        const auto colon = line.find(':');
        if (colon == std::string::npos) return std::string();
        const auto start = line.find_first_not_of(" \t", colon + 1);
        return start == std::string::npos ? std::string() : line.substr(start);
    };
    while (std::getline(f, line)) {
        if (line.rfind("cpu family", 0) == 0) family = value();
        else if (line.rfind("model\t", 0) == 0 || line.rfind("model :", 0) == 0) model = value();
        else if (line.rfind("stepping", 0) == 0) stepping = value();
        else if (line.rfind("flags", 0) == 0) flags = " " + value() + " ";
        if (line.empty() && !flags.empty()) break;  // the first CPU is enough
    }
    std::string isa;
    for (const char *feature : {"sse4_1", "avx2", "fma", "avx512f", "avx512_bf16", "avx512_fp16",
                                "amx_tile", "asimd", "sve"}) {
        if (flags.find(std::string(" ") + feature + " ") != std::string::npos) {
            isa += (isa.empty() ? "" : " ") + std::string(feature);
        }
    }
    const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return fmt::format("{}, family {} model {} stepping {}, {}, {} CPUs", host_cpu_model(), family,
                       model, stepping, isa.empty() ? "no listed ISA features" : isa, cpus);
}

namespace {
// A measurement of this (problem, isa, knobs, threads) taken on `machine`.
bool same_key(const ordered_json &m, const Task &t, const std::string &knobs, int threads,
              const std::string &machine) {
    return m["problem"] == t.key() && m["isa"] == t.isa && m["knobs"] == knobs &&
           m.value("threads", 1) == threads && m.value("machine", "") == machine;
}
}  // namespace

namespace {

ordered_json read_json(const std::string &path, const char *what) {
    std::ifstream f(path);
    if (!f) return ordered_json();
    try {
        return ordered_json::parse(f);
    } catch (const std::exception &e) {
        throw std::runtime_error(path + ": not a " + what + ": " + e.what());
    }
}

void check_arch(const ordered_json &j, const std::string &path, const std::string &arch) {
    if (j.is_object() && j.value("target_arch", arch) != arch) {
        throw std::runtime_error(path + " holds target_arch " + j["target_arch"].get<std::string>() +
                                 ", not " + arch);
    }
}

// Writes `text` to `path` through a temporary file and a rename.
void write_atomically(const std::string &path, const std::string &text) {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream f(tmp);
        if (!f) throw std::runtime_error("cannot write " + tmp);
        f << text;
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        throw std::runtime_error("cannot replace " + path);
    }
}

}  // namespace

std::string Database::cache_path_for(const std::string &path) {
    const std::string ext = ".json";
    const bool json = path.size() > ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0;
    return (json ? path.substr(0, path.size() - ext.size()) : path) + ".measurements.json";
}

Database::Database(std::string path, std::string target_arch)
    : path_(std::move(path)), cache_path_(cache_path_for(path_)), machine_(host_machine()) {
    ordered_json variants_file = read_json(path_, "tuning database");
    ordered_json cache_file = read_json(cache_path_, "measurement cache");
    check_arch(variants_file, path_, target_arch);
    check_arch(cache_file, cache_path_, target_arch);
    // The variants as on disk; "" (write at the first save) when the file is missing or still
    // in the one-file format.
    if (variants_file.is_object() && !variants_file.contains("measurements")) {
        saved_variants_ = variants_file.value("variants", ordered_json::array()).dump();
    }
    if (variants_file.is_null()) variants_file = ordered_json::object();
    ordered_json measurements = ordered_json::array();
    if (cache_file.is_object()) measurements = cache_file.value("measurements", ordered_json::array());
    // The one-file format kept the measurements beside the variants: move them.
    for (const auto &m : variants_file.value("measurements", ordered_json::array())) {
        measurements.push_back(m);
    }
    // Fixed key order, so the file reads top-down: what, where, then the data.
    ordered_json out;
    out["_comment"] =
        "Written by convgen-tune (tuner/). 'variants' has kernels.json's variant schema plus "
        "isas, shape and tuning: the build compiles each, and the runtime picks it for exactly "
        "that shape and thread count on the machine class it was tuned on. A variant is written "
        "only when its knobs beat the hand schedule by the tuner's margin in a back-to-back "
        "re-measurement. The measurements are in the cache beside this file "
        "(<name>.measurements.json), which the build does not read.";
    out["target_arch"] = target_arch;
    out["machine"] = variants_file.value("machine", "");
    out["halide_version"] = variants_file.value("halide_version", "");
    out["date"] = variants_file.value("date", "");
    out["variants"] = variants_file.value("variants", ordered_json::array());
    out["measurements"] = measurements;
    db_ = std::move(out);
}

ordered_json::iterator Database::find_measurement(const Task &t, const std::string &knobs,
                                                  int threads) {
    auto &m = db_["measurements"];
    for (auto it = m.begin(); it != m.end(); ++it) {
        if (same_key(*it, t, knobs, threads, machine_)) return it;
    }
    return m.end();
}

std::optional<double> Database::cached(const Task &t, const std::string &knobs,
                                       int threads) const {
    for (const auto &m : db_["measurements"]) {
        if (same_key(m, t, knobs, threads, machine_) && m.contains("ms")) {
            return m["ms"].get<double>();
        }
    }
    return std::nullopt;
}

bool Database::failed(const Task &t, const std::string &knobs, int threads) const {
    for (const auto &m : db_["measurements"]) {
        if (same_key(m, t, knobs, threads, machine_) && m.contains("error")) {
            return true;
        }
    }
    return false;
}

std::vector<std::pair<std::string, double>> Database::measured(const Task &t,
                                                               int threads) const {
    std::vector<std::pair<std::string, double>> out;
    for (const auto &m : db_["measurements"]) {
        if (m["problem"] == t.key() && m["isa"] == t.isa && m.value("threads", 1) == threads &&
            m.value("machine", "") == machine_ && m.contains("ms")) {
            out.emplace_back(m["knobs"].get<std::string>(), m["ms"].get<double>());
        }
    }
    return out;
}

void Database::record(const Task &t, const std::string &knobs, int threads, double ms,
                      const std::string &error, bool hand) {
    ordered_json m;
    m["problem"] = t.key();
    m["op"] = t.op;
    m["isa"] = t.isa;
    m["threads"] = threads;
    m["knobs"] = knobs;
    if (error.empty()) {
        m["ms"] = std::round(ms * 1e6) / 1e6;
    } else {
        m["error"] = error.substr(0, 300);
    }
    if (hand) m["hand"] = true;
    m["machine"] = machine_;
    auto it = find_measurement(t, knobs, threads);
    if (it != db_["measurements"].end()) {
        *it = m;
    } else {
        db_["measurements"].push_back(m);
    }
}

void Database::set_variant(const Task &t, const std::optional<Result> &r) {
    auto &vs = db_["variants"];
    const std::string name = t.variant_name();
    double earlier_seconds = 0;  // tuning time of the runs this one resumed
    for (auto it = vs.begin(); it != vs.end(); ++it) {
        // One entry per layer and ISA: the name does not repeat the ISA, "isas" holds it.
        if ((*it)["name"] == name && it->value("isas", ordered_json::array()) ==
                                         ordered_json::array({t.isa})) {
            earlier_seconds = it->value("/tuning/seconds"_json_pointer, 0.0);
            vs.erase(it);
            break;
        }
    }
    if (!r) return;
    const auto &p = t.problem;
    ordered_json v;
    v["name"] = name;
    v["op"] = t.op;
    if (t.spelling().windowed) {
        v["kernel"] = t.kernel();
        v["stride"] = t.stride();
        v["dilation"] = t.dilation();
    }
    if (t.spelling().multiplier) v["multiplier"] = t.multiplier();
    v["schedule"] = "tuned";
    v["knobs"] = r->knobs;
    v["isas"] = {t.isa};
    ordered_json shape;
    shape["c_in"] = p.c;
    shape["h"] = p.h;
    shape["w"] = p.w;
    if (t.spelling().own_outputs) shape["c_out"] = p.o;
    v["shape"] = shape;
    auto round = [](double x, double unit) { return std::round(x / unit) * unit; };
    ordered_json tuning;
    tuning["problem"] = t.key();
    tuning["hand_ms"] = round(r->hand_ms, 1e-6);
    tuning["tuned_ms"] = round(r->tuned_ms, 1e-6);
    tuning["speedup"] = round(r->hand_ms / r->tuned_ms, 1e-3);
    tuning["evaluations"] = r->evaluations;
    tuning["seconds"] = round(earlier_seconds + r->seconds, 0.1);
    tuning["threads"] = r->threads;
    tuning["machine_class"] = r->machine_class;
    v["tuning"] = tuning;
    vs.push_back(v);
}

namespace {
// dump(2), except that each measurement takes one line: the cache grows to hundreds of them.
std::string pretty(const ordered_json &db) {
    std::string s = "{\n";
    bool first = true;
    for (const auto &[key, value] : db.items()) {
        s += first ? "" : ",\n";
        first = false;
        s += "  " + ordered_json(key).dump() + ": ";
        if (key == "measurements" && !value.empty()) {
            s += "[\n";
            for (size_t i = 0; i < value.size(); i++) {
                s += "    " + value[i].dump() + (i + 1 < value.size() ? ",\n" : "\n");
            }
            s += "  ]";
        } else {
            std::string v = value.dump(2);
            for (size_t pos = 0; (pos = v.find('\n', pos)) != std::string::npos; pos += 3) {
                v.replace(pos, 1, "\n  ");
            }
            s += v;
        }
    }
    return s + "\n}\n";
}
}  // namespace

void Database::save() {
    ordered_json cache;
    cache["_comment"] =
        "convgen-tune's measurement cache (tuner/database.h): median ms per (problem, isa, "
        "knobs, threads, machine); a run reuses only its own machine's. Not read by the build.";
    cache["target_arch"] = db_["target_arch"];
    cache["measurements"] = db_["measurements"];
    write_atomically(cache_path_, pretty(cache));

    const std::string variants = db_["variants"].dump();
    if (variants == saved_variants_) return;  // unchanged: leave the configure input alone
    db_["machine"] = machine_;
    db_["halide_version"] = fmt::format("{}.{}.{}", HALIDE_VERSION_MAJOR, HALIDE_VERSION_MINOR,
                                        HALIDE_VERSION_PATCH);
    const std::time_t now = std::time(nullptr);
    char date[16];
    std::strftime(date, sizeof date, "%Y-%m-%d", std::gmtime(&now));
    db_["date"] = date;
    ordered_json out = db_;
    out.erase("measurements");
    write_atomically(path_, pretty(out));
    saved_variants_ = variants;
}

}  // namespace convgen::tune
