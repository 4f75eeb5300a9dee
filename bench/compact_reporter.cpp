#include "compact_reporter.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace convgen_bench {

namespace {

std::string duration(double seconds) {
    char buf[32];
    const int s = static_cast<int>(seconds + 0.5);
    if (s >= 60) {
        std::snprintf(buf, sizeof buf, "%dm%02ds", s / 60, s % 60);
    } else {
        std::snprintf(buf, sizeof buf, "%ds", s);
    }
    return buf;
}

// A run's time in a unit that keeps 3-4 significant digits.
std::string time_text(const benchmark::BenchmarkReporter::Run &run) {
    double us = run.GetAdjustedRealTime();
    switch (run.time_unit) {
    case benchmark::kNanosecond: us *= 1e-3; break;
    case benchmark::kMicrosecond: break;
    case benchmark::kMillisecond: us *= 1e3; break;
    case benchmark::kSecond: us *= 1e6; break;
    }
    char buf[32];
    if (us >= 1e3) {
        std::snprintf(buf, sizeof buf, "%8.2f ms", us * 1e-3);
    } else {
        std::snprintf(buf, sizeof buf, "%8.1f us", us);
    }
    return buf;
}

// The benchmark's name as registered (without Google Benchmark's "/real_time").
std::string short_name(const benchmark::BenchmarkReporter::Run &run) {
    std::string name = run.run_name.str();
    const std::string suffix = "/real_time";
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
        name.resize(name.size() - suffix.size());
    }
    return name;
}

double counter(const benchmark::BenchmarkReporter::Run &run, const char *name) {
    const auto it = run.counters.find(name);
    return it == run.counters.end() ? 0.0 : it->second.value;
}

}  // namespace

CompactReporter::CompactReporter(size_t total, size_t name_width)
    : total_(total), name_width_(std::min<size_t>(std::max<size_t>(name_width, 20), 72)),
      tty_(isatty(fileno(stderr)) != 0), start_(std::chrono::steady_clock::now()) {}

bool CompactReporter::ReportContext(const Context &context) {
    std::printf("%d CPUs at %.0f MHz; %zu benchmarks; median of the repetitions per line "
                "(all aggregates: --benchmark_out)\n",
                context.cpu_info.num_cpus, context.cpu_info.cycles_per_second * 1e-6, total_);
    const int width = static_cast<int>(name_width_);
    std::printf("%-9s %-*s %11s %8s %6s %7s  %s\n", "", width, "benchmark", "time", "GFLOP/s",
                "%peak", "GB/s", "ran");
    std::fflush(stdout);
    return true;
}

void CompactReporter::progress(const std::string &name) {
    if (!tty_) return;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::string left;
    if (total_ > done_ && done_ > 0) {
        left = ", ~" + duration(elapsed / double(done_) * double(total_ - done_)) + " left";
    }
    std::fprintf(stderr, "\r\033[K[%zu/%zu] %s elapsed%s (last: %.60s)", done_, total_,
                 duration(elapsed).c_str(), left.c_str(), name.c_str());
    std::fflush(stderr);
}

void CompactReporter::print_row(const Run &run) {
    if (tty_) std::fprintf(stderr, "\r\033[K");
    const std::string name = short_name(run);
    const int width = static_cast<int>(name_width_);
    char place[32];
    std::snprintf(place, sizeof place, "[%zu/%zu]", done_, total_);
    if (run.error_occurred) {
        std::printf("%-9s %-*s ERROR: %s\n", place, width, name.c_str(), run.error_message.c_str());
    } else {
        std::string label = run.report_label;
        if (label.size() > 48) label = label.substr(0, 45) + "...";
        std::printf("%-9s %-*s %11s %8.1f %6.1f %7.1f  %s\n", place, width, name.c_str(),
                    time_text(run).c_str(), counter(run, "GFLOP/s"), counter(run, "%peak"),
                    counter(run, "GB/s"), label.c_str());
    }
    std::fflush(stdout);
}

void CompactReporter::ReportRuns(const std::vector<Run> &runs) {
    // One benchmark per call: its repetitions (unless aggregates only) and its aggregates.
    const Run *shown = nullptr;
    for (const Run &r : runs) {
        if (r.error_occurred) shown = &r;
        if (shown && shown->error_occurred) break;
        if (r.run_type == Run::RT_Aggregate && r.aggregate_name == "median") shown = &r;
    }
    if (!shown) {
        for (const Run &r : runs) {  // a single repetition has no aggregates
            if (r.run_type == Run::RT_Iteration) shown = &r;
        }
    }
    if (!shown) return;
    done_++;
    print_row(*shown);
    progress(short_name(*shown));
}

void CompactReporter::Finalize() {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (tty_) std::fprintf(stderr, "\r\033[K");
    std::printf("%zu benchmarks in %s\n", done_, duration(elapsed).c_str());
}

}  // namespace convgen_bench
