// convgen_bench's console output (the default; --convgen_console=full gives Google Benchmark's
// own): one line per benchmark with its median time, GFLOP/s, % of FMA peak, GB/s and what ran,
// each prefixed by its place in the run ("[ 12/148]") and, when stderr is a terminal, a
// progress line with the elapsed and estimated remaining time. The JSON file
// (--benchmark_out) keeps every aggregate.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include <benchmark/benchmark.h>

namespace convgen_bench {

class CompactReporter : public benchmark::BenchmarkReporter {
public:
    // total: how many benchmarks will run (for the progress count; 0 = unknown).
    // name_width: the longest name among them.
    CompactReporter(size_t total, size_t name_width);
    bool ReportContext(const Context &context) override;
    void ReportRuns(const std::vector<Run> &runs) override;
    void Finalize() override;

private:
    void print_row(const Run &run);
    void progress(const std::string &name);
    size_t total_, done_ = 0, name_width_;
    bool tty_;
    std::chrono::steady_clock::time_point start_;
};

}  // namespace convgen_bench
