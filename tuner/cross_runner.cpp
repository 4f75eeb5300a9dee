#include "cross_runner.h"
#include "candidate_generator.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>

#include <fmt/core.h>

#include "Halide.h"
#include "kernel_abi.h"

namespace convgen::tune {

namespace fs = std::filesystem;

namespace {

// Runs a shell command; returns its stdout, throws with the exit status on failure.
std::string run_shell(const std::string &cmd) {
    std::unique_ptr<FILE, int (*)(FILE *)> pipe(popen((cmd + " 2>&1").c_str(), "r"), pclose);
    if (!pipe) throw std::runtime_error("cannot run: " + cmd);
    std::string out;
    char buf[4096];
    while (size_t got = fread(buf, 1, sizeof buf, pipe.get())) out.append(buf, got);
    const int status = pclose(pipe.release());
    if (status != 0) {
        throw std::runtime_error(fmt::format("exit status {} from `{}`: {}", status, cmd,
                                             out.substr(0, 500)));
    }
    return out;
}

std::string upper(std::string s) {
    for (char &ch : s) ch = char(std::toupper(static_cast<unsigned char>(ch)));
    return s;
}

}  // namespace

CrossRunner::CrossRunner(CrossOptions cross, TimingOptions timing)
    : cross_(std::move(cross)), timing_(timing) {
    fs::create_directories(cross_.work_dir);
}

CrossRunner::~CrossRunner() {
    std::error_code ignored;
    for (const auto &[key, exe] : built_) fs::remove_all(fs::path(exe).parent_path(), ignored);
}

Timing CrossRunner::measure(const Task &task, const std::string &knobs) {
    Timing result;
    try {
        const std::string key = task.key() + "/" + task.isa + "/" + knobs;
        if (!built_.count(key)) built_[key] = build(task, knobs);
        result.ms = run(task, built_[key]);
    } catch (const std::exception &e) {
        result.error = e.what();
    }
    return result;
}

std::string CrossRunner::build(const Task &task, const std::string &knobs) {
    const fs::path dir = fs::path(cross_.work_dir) / fmt::format("candidate{}", counter_++);
    fs::create_directories(dir);
    // 1. The generator, as the AOT build runs it, for the target.
    auto gen = make_candidate_generator(task, knobs);
    gen->build_module("convgen_tune_candidate")
        .compile({{Halide::OutputFileType::static_library, (dir / "candidate.a").string()},
                  {Halide::OutputFileType::c_header, (dir / "candidate.h").string()}});
    // 2. Linked with the timing harness by the target's compiler.
    const fs::path exe = dir / "run";
    run_shell(fmt::format("{} -O2 -std=c++20 -DTUNE_OP_{} -I{} -I{} -I{} -I{} -I{} {} {} {} -o {} "
                          "-lpthread -ldl",
                          cross_.cxx, upper(task.op), dir.string(), cross_.halide_include,
                          cross_.abi_include, cross_.runtime_include, cross_.generated_include,
                          cross_.harness_source,
                          cross_.machine_class_source, (dir / "candidate.a").string(),
                          exe.string()));
    return exe.string();
}

double CrossRunner::run(const Task &task, const std::string &exe) {
    // 3. Run where it can run.
    const auto &p = task.problem;
    // A pointwise kernel gets short rows as one row, as the runtime calls it.
    const bool one_row = task.op == "pointwise" && abi::pointwise_as_one_row(p.h, p.w);
    const int w = one_row ? p.h * p.w : p.w, h = one_row ? 1 : p.h;
    const std::string args = fmt::format(
        "{} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {}", p.c, w, h, p.n, p.o, p.kw,
        p.kh, p.stride, p.dilation, p.multiplier, task.pad_left(), task.pad_top(),
        one_row ? w : p.out_w(), one_row ? h : p.out_h(), timing_.repetitions,
        timing_.min_sample_ms, timing_.threads);
    std::string cmd = cross_.run_command;
    const auto brace = cmd.find("{}");
    if (brace == std::string::npos) {
        cmd += " " + exe + " " + args;
    } else {
        cmd.replace(brace, 2, exe + " " + args);
    }
    const std::string out = run_shell(cmd);
    double ms = 0, checksum = 0;
    const auto at = out.rfind("ms=");
    if (at == std::string::npos ||
        std::sscanf(out.c_str() + at, "ms=%lf checksum=%lf", &ms, &checksum) != 2) {
        throw std::runtime_error("no timing in the harness output: " + out.substr(0, 300));
    }
    if (const auto m = out.rfind("machine="); m != std::string::npos) {
        const auto end = out.find('\n', m);
        machine_class_ = out.substr(m + 8, end == std::string::npos ? end : end - m - 8);
    }
    // The first call per task is the hand schedule's: later candidates must agree with it.
    const std::string key = task.key() + "/" + task.isa;
    if (!checksum_.count(key)) {
        checksum_[key] = checksum;
    } else if (std::abs(checksum - checksum_[key]) > 1e-4 * (1 + std::abs(checksum_[key]))) {
        throw std::runtime_error(fmt::format("output checksum {} differs from hand's {}",
                                             checksum, checksum_[key]));
    }
    return ms;
}

}  // namespace convgen::tune
