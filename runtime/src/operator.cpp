// What every CPU operator does alike (detail::CpuBackend): run() validates its tensors (once
// per shape), settles the run's threads and workspace, and hands the kernel calls to the op's
// state; workspace_size() measures the scratch those calls take.
#include <algorithm>
#include <cstdint>

#include "internal.h"
#include "thread_pool.h"

namespace convgen {

using namespace detail;

namespace {

void validate_run_options(const RunOptions &o) {
    if (o.threads < 0 || o.threads > kMaxThreads) {
        fail(ErrorCode::invalid_argument, "options.threads",
             "options.threads = " + std::to_string(o.threads) +
                 " is not 0 (the operator's) or 1.." + std::to_string(kMaxThreads));
    }
    if (!o.workspace && o.workspace_bytes != 0) {
        fail(ErrorCode::invalid_argument, "options.workspace",
             "options.workspace is null but options.workspace_bytes = " +
                 std::to_string(o.workspace_bytes));
    }
}

// The run's parallelism: RunOptions' where set, else the operator's.
Parallelism run_parallelism(const Parallelism &op, const RunOptions &o) {
    if (o.executor) return {0, o.executor};
    if (o.threads > 0) return {o.threads, nullptr};
    return op;
}

// Workspace slots for the tasks that may run at once: the cap the options ask for, not the
// pool's size now (another thread may change that), else the pool's size.
int task_slots(const Parallelism &p) {
    if (p.executor) return std::clamp(p.executor->threads(), 1, kMaxThreads);
    return p.threads > 0 ? p.threads : p.effective_threads();
}

}  // namespace

ScratchPeaks OperatorState::scratch_peaks(const TensorDesc &input, int threads) const {
    std::lock_guard<std::mutex> lock(measured_mutex_);
    for (const MeasuredShape &m : measured_) {
        if (m.n == input.n && m.h == input.h && m.w == input.w && m.c == input.c &&
            m.threads == threads) {
            return m.peaks;
        }
    }
    // One run on zeros, serially (a task's scratch does not depend on the thread count), with
    // a measuring arena. Dense tensors: a layout only changes the scratch of a pointwise run
    // whose short rows cannot merge (pointwise.cpp), and a run that outgrows its workspace
    // slot takes the rest from convgen's cache rather than fail.
    const TensorDesc in_desc = TensorDesc::nhwc(input.n, input.h, input.w, input.c);
    const TensorDesc out_desc = output_desc(in_desc);
    std::vector<float> in(size_t(in_desc.elements())), out(size_t(out_desc.elements()));
    Arena measuring;
    if (!measuring.valid()) {
        fail(ErrorCode::overflow, "input",
             "could not reserve address space to measure the workspace for this input");
    }
    launch({in.data(), in_desc}, {out.data(), out_desc},
           {Parallelism{1, nullptr}, &measuring, threads});
    const ScratchPeaks peaks = measuring.peaks();
    measured_.push_back({input.n, input.h, input.w, input.c, threads, peaks});
    return peaks;
}

namespace detail {

void CpuBackend::run(const OperatorState &s, const ConstTensor &input, const Tensor &output,
                     const RunOptions &options) {
    validate_run_options(options);
    const Parallelism parallel = run_parallelism(s.selection.parallel, options);
    const int threads = parallel.effective_threads();
    const RunContext run{parallel, nullptr, threads};
    const Choice &choice = s.selection.for_input(input.desc, threads);
    const RunLog log(s.op, verbose() >= 2 ? &choice.impl : nullptr, input.desc, output.desc);
    s.shapes.validate(input, output, s.input_channels(),
                      [&s](const TensorDesc &in) { return s.output_desc(in); });
    if (!options.workspace) {
        s.launch(input, output, run);
        return;
    }
    const ScratchPeaks peaks = s.scratch_peaks(input.desc, threads);
    const int slots = task_slots(parallel);
    const size_t needed = Arena::bytes_needed(peaks, slots);
    if (options.workspace_bytes < needed) {
        fail(ErrorCode::invalid_argument, "options.workspace_bytes",
             "options.workspace_bytes = " + std::to_string(options.workspace_bytes) +
                 " is less than the " + std::to_string(needed) + " this input needs at " +
                 std::to_string(slots) + " threads (workspace_size)");
    }
    const int64_t ws_bytes = int64_t(std::min<size_t>(options.workspace_bytes, INT64_MAX));
    if (bytes_overlap(options.workspace, ws_bytes, input.data, span_bytes(input.desc)) ||
        bytes_overlap(options.workspace, ws_bytes, output.data, span_bytes(output.desc))) {
        fail(ErrorCode::invalid_argument, "options.workspace",
             "options.workspace overlaps the input or the output");
    }
    Arena arena(options.workspace, options.workspace_bytes, peaks, slots);
    s.launch(input, output, {parallel, &arena, threads});
}

size_t workspace_size_of(const OperatorState &s, const TensorDesc &input,
                         const RunOptions &options) {
    validate_run_options(RunOptions{options.threads, options.executor});
    const float probe = 0;  // the shape is checked here, not a pointer
    validate_tensor("input", &probe, input, s.input_channels());
    const Parallelism parallel = run_parallelism(s.selection.parallel, options);
    // The runs this prepares allocate nothing, not even the pool's threads at the first one.
    if (!parallel.executor) start_pool_workers();
    return Arena::bytes_needed(s.scratch_peaks(input, parallel.effective_threads()),
                               task_slots(parallel));
}

const Implementation &CpuBackend::implementation(const OperatorState &s) {
    return s.selection.impl;
}

const Implementation &CpuBackend::implementation(const OperatorState &s,
                                                 const TensorDesc &input) {
    return s.selection.for_input(input).impl;
}

}  // namespace detail
}  // namespace convgen
