// The per-target tuning database, in two files:
//   <name>.json               a kernels.json "variants" fragment the build compiles (one entry
//                             per tuned shape that beat hand); format fixed by the build
//                             (cmake/ConvgenVariants.cmake). A configure input, so it is
//                             rewritten only when its variants change.
//   <name>.measurements.json  every measurement taken, so a later run resumes without
//                             re-measuring: the cache, never read by the build.
// See README, Autotuning.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "task.h"

namespace convgen::tune {

struct Result {  // one task's outcome, for its variant entry
    double hand_ms = 0, tuned_ms = 0;
    std::string knobs;
    int evaluations = 0;
    double seconds = 0;
    int threads = 1;
    std::string machine_class;  // convgen::machine_class() of what measured it
};

class Database {
public:
    // Loads `path` and its measurement cache if they exist, else starts empty. (A `path` that
    // still holds measurements, the one-file format, has them moved to the cache.)
    Database(std::string path, std::string target_arch);
    // The measurement cache beside a database file: x86_64.json -> x86_64.measurements.json.
    static std::string cache_path_for(const std::string &path);
    // What runs the measurements: the host (host_machine()) by default, a board for cross
    // runs. Every measurement records it, and only the same machine's are reused: another
    // CPU's timings say nothing about this one.
    void set_machine(const std::string &m) { machine_ = m; }

    // A cached median, if this (problem, isa, knobs, threads) was measured on this machine.
    std::optional<double> cached(const Task &t, const std::string &knobs, int threads) const;
    // Records a measurement (replacing an earlier one of the same key); error non-empty =
    // the candidate failed and is recorded so it is not retried.
    void record(const Task &t, const std::string &knobs, int threads, double ms,
                const std::string &error, bool hand);
    bool failed(const Task &t, const std::string &knobs, int threads) const;
    // Every successful measurement of the task: (knobs, ms).
    std::vector<std::pair<std::string, double>> measured(const Task &t, int threads) const;

    // Writes (or, with no result, removes) the task's variant entry; its tuning.seconds adds
    // this run's to those of the entry it replaces (the runs it resumed).
    void set_variant(const Task &t, const std::optional<Result> &r);

    // Writes the cache, and the variants file (stamped with machine, Halide version and date)
    // if its variants changed; each atomically.
    void save();

    const nlohmann::ordered_json &json() const { return db_; }

private:
    nlohmann::ordered_json::iterator find_measurement(const Task &t, const std::string &knobs,
                                                      int threads);
    std::string path_, cache_path_, machine_;
    nlohmann::ordered_json db_;  // the variants file's fields, plus "measurements"
    std::string saved_variants_;  // the variants as on disk (dump()), to skip unchanged writes
};

// "model name" of /proc/cpuinfo (the host), or "unknown".
std::string host_cpu_model();
// The host as measurements are keyed: model name, CPU family / model / stepping, the vector
// ISA features that change which kernels run and how fast, and the CPU count.
std::string host_machine();

}  // namespace convgen::tune
