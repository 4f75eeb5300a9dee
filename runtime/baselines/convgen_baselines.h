// The benchmark baselines: kernels.json variants with "dispatch": false (Halide's
// autoschedulers, the naive schedule, GPU schedule alternatives). They are built into
// convgen_baselines, which convgen_bench and the tests link, and never into the installed
// library: users get only what dispatch can pick.
#pragma once

namespace convgen {

// Adds the baselines to variants() and the GPU variant lists, so OperatorOptions::variant (and
// GpuOptions::variant) can name them. Idempotent; call at start-up, before creating operators.
void register_baselines();

}  // namespace convgen
