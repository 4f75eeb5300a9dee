// convgen-tune: searches the schedule knobs of convgen's ops per layer shape and ISA, and
// writes the winners into the per-target database the AOT build compiles (database.h).
//   convgen-tune --layers mobilenet_v1 --budget 60
//   convgen-tune --problem sep:n1c128h56w56k3s1o128 --ops separable --budget 30
//   convgen-tune --target aarch64 --problem dw:n1c32h16w16k3s1
//       --run-command 'qemu-aarch64-static -L /usr/aarch64-linux-gnu {}'
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "Halide.h"
#include "convgen/runtime.h"
#include "cross_runner.h"
#include "database.h"
#include "jit_runner.h"
#include "layer_sets.h"
#include "schedule.h"
#include "search.h"
#include "task.h"

using namespace convgen::tune;

namespace {

// kernels.json's isa_targets.<arch>: ISA name -> Halide target string (one list, no copy).
// kernels.json fusion.cpu: when a CPU Separable runs its fused kernel (any rule holds), as the
// runtime's own FusionRule, so the tuner asks the same rule.
std::vector<convgen::FusionRule> cpu_fusion_rules(const std::string &manifest) {
    std::ifstream f(manifest);
    if (!f) throw std::runtime_error("cannot read " + manifest);
    const auto json = nlohmann::json::parse(f);
    std::vector<convgen::FusionRule> rules;
    for (const auto &r : json.at("fusion").at("cpu")) {
        convgen::FusionRule rule;
        rule.min_channels = r.value("min_channels", 0);
        rule.max_channels = r.value("max_channels", 0);
        rule.max_stride = r.value("max_stride", 0);
        rules.push_back(rule);
    }
    return rules;
}

// Why the CPU runs this separable problem unfused (no rule holds), or "" where it fuses. A
// tuned fused variant for such a shape is never picked, so it is not tuned.
std::string runs_unfused(const std::vector<convgen::FusionRule> &rules,
                         const convgen_problems::Problem &p) {
    std::string why;
    for (const convgen::FusionRule &rule : rules) {
        const std::string broken = rule.broken_by(int64_t(p.c) * p.multiplier, p.o, -1, p.stride);
        if (broken.empty()) return "";
        why += (why.empty() ? "" : ", and ") + broken;
    }
    return why.empty() ? "" : why + " (kernels.json fusion.cpu): the CPU runs it unfused";
}

// The "knobs" of the first shipped hand variant in kernels.json that would take the task's
// problem (the runtime's order: its op, the task's ISA among its isas, each parameter it fixes
// the problem's, at least its min_in_channels), or "": the knobs hand is measured with.
std::string hand_variant_knobs(const nlohmann::json &manifest, const Task &t) {
    for (const auto &v : manifest.at("variants")) {
        if (v.value("op", "") != t.op || v.value("schedule", "") != "hand" ||
            !v.value("dispatch", true)) {
            continue;
        }
        if (v.contains("isas")) {
            const auto &isas = v.at("isas");
            if (std::find(isas.begin(), isas.end(), t.isa) == isas.end()) continue;
        }
        auto fixed = [&](const char *key, int value) {
            const int f = v.value(key, 0);
            return f == 0 || f == value;
        };
        if (!fixed("kernel", t.kernel()) || !fixed("stride", t.stride()) ||
            !fixed("dilation", t.dilation()) || !fixed("multiplier", t.multiplier())) {
            continue;
        }
        if (t.mid_channels() < v.value("min_in_channels", 0)) continue;
        return v.value("knobs", "");
    }
    return "";
}

std::vector<std::pair<std::string, std::string>> isa_targets(const std::string &manifest,
                                                             const std::string &arch) {
    std::ifstream f(manifest);
    if (!f) throw std::runtime_error("cannot read " + manifest);
    const auto json = nlohmann::json::parse(f);
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto &t : json.at("isa_targets").at(arch)) {
        out.emplace_back(t.at("isa").get<std::string>(), t.at("halide").get<std::string>());
    }
    return out;
}

// Whether the JIT may run code for this target here: every x86 feature it uses is the host's.
bool host_runs(const std::string &halide_target) {
    using T = Halide::Target;
    const T host = Halide::get_host_target(), t(halide_target);
    for (auto f : {T::SSE41, T::AVX, T::AVX2, T::FMA, T::F16C, T::AVX512, T::AVX512_Skylake}) {
        if (t.has_feature(f) && !host.has_feature(f)) return false;
    }
    return true;
}

std::vector<std::string> split(const std::string &s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, ',')) {
        if (!item.empty()) out.push_back(item);
    }
    return out;
}

}  // namespace

int main(int argc, char **argv) {
    CLI::App app{"convgen-tune: autotunes convgen's schedule knobs per layer shape and writes "
                 "schedules/tuned/<arch>.json, which the build compiles as extra variants"};
    std::string target = "host", layers, problems, ops_filter, isas_opt, db_path;
    std::string manifest = CONVGEN_SOURCE_DIR "/kernels.json";
    SearchOptions search;
    TimingOptions timing;
    CrossOptions cross;
    cross.harness_source = CONVGEN_SOURCE_DIR "/tuner/cross_harness.cpp";
    cross.halide_include = CONVGEN_HALIDE_INCLUDE_DIR;
    cross.abi_include = CONVGEN_SOURCE_DIR "/abi";
    cross.machine_class_source = CONVGEN_SOURCE_DIR "/runtime/src/machine_class.cpp";
    cross.runtime_include = CONVGEN_SOURCE_DIR "/runtime/include";
    cross.generated_include = CONVGEN_BINARY_DIR "/runtime/include";
    cross.work_dir = "convgen-tune-work";
    double min_gain_pct = 3;
    std::string machine;
    bool list_only = false;
    app.add_option("--target", target,
                   "host (x86-64 JIT), aarch64 (cross: build, run through --run-command); "
                   "cuda is not tuned yet")
        ->check(CLI::IsMember({"host", "aarch64", "cuda"}));
    app.add_option("--layers", layers,
                   "preset layer sets, comma-separated: tutorial, mobilenet_v1, mobilenet_v2, "
                   "mobilenet_v2_blocks, efficientnet_b0, efficientnet_lite0_blocks, xception "
                   "(problems/layer_sets.h)");
    app.add_option("--problem", problems,
                   "problem strings, comma-separated, e.g. sep:n1c128h56w56k3s1o128 "
                   "(problems/problem_string.h); a sep layer is tuned as separable, depthwise "
                   "and pointwise, an ir layer as its expansion, depthwise and projection (the "
                   "fused block is not tuned yet)");
    app.add_option("--ops", ops_filter,
                   "only these ops, comma-separated: conv2d, depthwise, pointwise, separable");
    app.add_option("--isa", isas_opt, "ISA levels to tune for, comma-separated (default: the "
                                      "host's best; aarch64: neon)");
    app.add_option("--db", db_path,
                   "database file (default: <build>/tuned/<arch>.json, started from a copy of "
                   "the tracked schedules/tuned/<arch>.json; pass that file to update it)");
    app.add_option("--manifest", manifest, "kernels.json, for the ISA targets");
    app.add_option("--budget", search.budget_s, "search seconds per task (layer x op x ISA); "
                                                "hand measurement and confirmation come on top")
        ->capture_default_str();
    app.add_option("--max-evals", search.max_evaluations,
                   "new measurements per task (0 = until the budget ends)")
        ->capture_default_str();
    app.add_option("--patience", search.patience,
                   "stop a task after this many new measurements in a row without one 1% "
                   "faster than its best (0 = use the whole budget)")
        ->capture_default_str();
    app.add_option("--min-gain", min_gain_pct,
                   "percent a variant must beat hand by, re-measured back to back")
        ->capture_default_str();
    app.add_option("--confirm-rounds", search.confirm_rounds,
                   "interleaved hand/best re-measurements before a variant is written")
        ->capture_default_str();
    app.add_option("--reps", timing.repetitions, "timing samples per candidate (median)")
        ->capture_default_str();
    app.add_option("--min-sample-ms", timing.min_sample_ms, "shortest timing sample")
        ->capture_default_str();
    app.add_option("--threads", timing.threads, "Halide threads while timing")
        ->capture_default_str();
    app.add_option("--seed", search.seed, "random seed of the search")->capture_default_str();
    app.add_option("--run-command", cross.run_command,
                   "cross targets: command running a candidate; {} is the binary, e.g. "
                   "'qemu-aarch64-static -L /usr/aarch64-linux-gnu {}'");
    app.add_option("--cxx", cross.cxx, "cross targets: compiler (default aarch64-linux-gnu-g++)");
    app.add_option("--work-dir", cross.work_dir, "cross targets: scratch directory")
        ->capture_default_str();
    app.add_option("--machine", machine, "what the measurements ran on (default: host CPU model)");
    app.add_flag("--list", list_only, "print the tasks and exit");
    std::vector<std::string> measure;
    app.add_option("--measure", measure,
                   "instead of searching, time these knob settings against hand per task "
                   "(repeatable; knobs not named keep hand's values), interleaved over "
                   "--confirm-rounds rounds; the database is not touched");
    app.add_flag("--cold", timing.cold,
                 "with --measure: time every call on buffers out of cache (copies of them, "
                 "64 MiB in all, in turn), as a layer inside a network meets them");
    app.add_option("--misalign", timing.misalign_bytes,
                   "with --measure: input and output start this many bytes past a 64-byte "
                   "boundary (a multiple of 4 below 64)")
        ->check(CLI::Range(0, 60));
    CLI11_PARSE(app, argc, argv);

    try {
        if (target == "cuda") {
            // The hook: a CudaRunner (runner.h) and the CUDA schedule's knob space
            // (knob_space.cpp) are what is missing; the database and search are target-neutral.
            throw std::runtime_error("--target cuda: not tuned yet (needs a CUDA runner and the "
                                     "CUDA schedule's knob space; see tuner/runner.h)");
        }
        const std::string arch = target == "host" ? "x86_64" : "aarch64";
        // By default the tracked database changes only when asked: a run writes a copy in the
        // build directory, which a build compiles with -DCONVGEN_TUNED_DB=<that file>.
        const std::string tracked = CONVGEN_SOURCE_DIR "/schedules/tuned/" + arch + ".json";
        if (db_path.empty()) {
            db_path = CONVGEN_BINARY_DIR "/tuned/" + arch + ".json";
            namespace fs = std::filesystem;
            if (!list_only && !fs::exists(db_path)) {
                fs::create_directories(fs::path(db_path).parent_path());
                if (fs::exists(tracked)) {
                    fs::copy_file(tracked, db_path);
                    fmt::print("{}: started from {}\n", db_path, tracked);
                }
                const std::string cache = Database::cache_path_for(tracked);
                if (fs::exists(cache)) fs::copy_file(cache, Database::cache_path_for(db_path));
            }
        }
        const auto targets = isa_targets(manifest, arch);
        std::vector<std::string> isas = split(isas_opt);
        if (isas.empty()) {
            isas.push_back(target == "host" ? convgen::sched::isa_of(Halide::get_host_target())
                                            : targets.front().first);
        }

        std::vector<convgen_problems::Problem> layer_list;
        for (const auto &name : split(layers)) {
            for (const auto &p : convgen_problems::layer_set(name)) layer_list.push_back(p);
        }
        if (!problems.empty()) {
            for (const auto &p : convgen_problems::parse_problem_list(problems)) {
                layer_list.push_back(p);
            }
        }
        if (layer_list.empty()) throw std::runtime_error("no layers: give --layers or --problem");
        const auto op_names = split(ops_filter);
        const std::set<std::string> ops(op_names.begin(), op_names.end());
        for (const auto &op : ops) {
            if (!convgen_problems::spelling_of_convgen_op(op)) {
                throw std::runtime_error("--ops: unknown op '" + op + "'");
            }
            if (op == "inverted_residual") {
                throw std::runtime_error("--ops: inverted_residual is not tuned yet (an ir "
                                         "layer's stages are: pointwise, depthwise)");
            }
        }

        const std::vector<convgen::FusionRule> fusion = cpu_fusion_rules(manifest);
        std::ifstream manifest_file(manifest);
        const auto manifest_json = nlohmann::json::parse(manifest_file);
        std::vector<Task> tasks;
        std::set<std::string> seen, skipped;
        for (const auto &layer : layer_list) {
            for (const auto &p : single_op_problems(layer)) {
                for (const auto &isa : isas) {
                    Task t;
                    t.op = op_of(p);
                    t.problem = p;
                    t.isa = isa;
                    for (const auto &[name, halide] : targets) {
                        if (name == isa) t.halide_target = halide;
                    }
                    if (t.halide_target.empty()) {
                        throw std::runtime_error("ISA '" + isa + "' is not in " + manifest +
                                                 " isa_targets." + arch);
                    }
                    if (target == "host" && !host_runs(t.halide_target)) {
                        throw std::runtime_error("this CPU cannot run ISA '" + isa + "'");
                    }
                    if (!ops.empty() && !ops.count(t.op)) continue;
                    if (t.op == "separable") {
                        const std::string why = runs_unfused(fusion, p);
                        if (!why.empty()) {
                            if (skipped.insert(t.key()).second) {
                                fmt::print("skipping {} (fused): {}\n", t.key(), why);
                            }
                            continue;
                        }
                    }
                    if (!seen.insert(t.key() + "/" + isa).second) continue;  // shared halves
                    t.hand_knobs = hand_variant_knobs(manifest_json, t);
                    tasks.push_back(t);
                }
            }
        }
        if (list_only) {
            for (const auto &t : tasks) fmt::print("{} {} -> {}\n", t.key(), t.isa, t.variant_name());
            return 0;
        }

        search.min_gain = min_gain_pct / 100.0;
        search.threads = timing.threads;
        search.progress_tty = isatty(fileno(stderr));
        std::unique_ptr<Runner> runner;
        Database db(db_path, arch);
        if (target == "host") {
            // Read when the JIT runtime's thread pool starts, i.e. before the first run.
            setenv("HL_NUM_THREADS", std::to_string(timing.threads).c_str(), 1);
            runner = std::make_unique<JitRunner>(timing);
        } else {
            if (cross.run_command.empty()) {
                throw std::runtime_error("--target aarch64 needs --run-command");
            }
            if (cross.cxx.empty()) cross.cxx = "aarch64-linux-gnu-g++";
            runner = std::make_unique<CrossRunner>(cross, timing);
        }
        if (!machine.empty()) {
            db.set_machine(machine);
        } else if (target != "host") {
            db.set_machine("via: " + cross.run_command);
        }

        if (timing.cold && measure.empty()) {
            throw std::runtime_error("--cold is for --measure (the database caches timings "
                                     "taken hot)");
        }
        if (timing.misalign_bytes % 4 != 0) {
            throw std::runtime_error("--misalign: a multiple of 4 bytes (whole floats)");
        }
        if (timing.misalign_bytes != 0 && (measure.empty() || target != "host")) {
            throw std::runtime_error("--misalign is for --measure on the host (the database "
                                     "caches timings taken on aligned buffers)");
        }
        if (!measure.empty()) {
            fmt::print("{:<34} {:<7} {:>9} {:>8}  {}\n", "problem", "isa", "ms", "vs hand", "knobs");
            for (const auto &t : tasks) {
                for (const auto &m : measure_knobs(t, *runner, measure, search.confirm_rounds)) {
                    if (!m.error.empty()) {
                        fmt::print("{:<34} {:<7} {:>9} {:>8}  {} ({})\n", t.key(), t.isa, "failed",
                                   "", m.knobs, m.error.substr(0, 120));
                    } else {
                        fmt::print("{:<34} {:<7} {:>9.4g} {:>7.3f}x  {}\n", t.key(), t.isa, m.ms,
                                   m.speedup, m.knobs);
                    }
                }
                std::fflush(stdout);
            }
            return 0;
        }
        fmt::print("{} tasks, {:.0f} s search budget each (patience {}), {} thread(s), database "
                   "{}\n",
                   tasks.size(), search.budget_s, search.patience, timing.threads, db_path);
        fmt::print("{:<34} {:<7} {:>9} {:>9} {:>8} {:>6} {:>7}  {}\n", "problem", "isa",
                   "hand ms", "tuned ms", "speedup", "evals", "seconds", "variant");
        const auto start = std::chrono::steady_clock::now();
        double done_seconds = 0;
        for (size_t i = 0; i < tasks.size(); ++i) {
            const Task &t = tasks[i];
            const SearchOutcome o = tune_task(t, *runner, db, search);
            done_seconds += o.seconds;
            const std::string line = fmt::format(
                "{:<34} {:<7} {:>9.4g} {:>9.4g} {:>7.3f}x {:>6} {:>7.1f}  {}{}", t.key(), t.isa,
                o.variant ? o.variant->hand_ms : o.hand_ms,
                o.variant ? o.variant->tuned_ms : o.hand_ms,
                o.variant ? o.variant->hand_ms / o.variant->tuned_ms : 1.0, o.evaluations,
                o.seconds, o.variant ? t.variant_name() + " " + o.variant->knobs : "(hand)",
                o.seeds || o.stopped_early
                    ? fmt::format(" [{} seeded{}]", o.seeds,
                                  o.stopped_early ? ", stopped by patience" : "")
                    : "");
            fmt::print("{}\n", line);
            // Time left: the tasks to go at the mean of those done (capped by the budget).
            const double elapsed =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            const double left = double(tasks.size() - i - 1) * done_seconds / double(i + 1);
            fmt::print(stderr, "[{}/{}] {:.0f} s elapsed, about {:.0f} s left\n", i + 1,
                       tasks.size(), elapsed, left);
            std::fflush(stdout);
        }
        fmt::print("{} tasks in {:.0f} s\n", tasks.size(),
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
                       .count());
        fmt::print("database {} (measurements cached in {})\n", db_path,
                   Database::cache_path_for(db_path));
        if (db_path != tracked) {
            fmt::print("build it with: cmake -B build -DCONVGEN_TUNED_DB={} (the tracked {} is "
                       "unchanged; --db {} updates it)\n",
                       db_path, tracked, tracked);
        }
    } catch (const std::exception &e) {
        fmt::print(stderr, "convgen-tune: {}\n", e.what());
        return 1;
    }
    return 0;
}
