// The machine's ceilings for the benchmarks' %peak and %bandwidth counters and the roofline:
// a fused multiply-add loop that keeps every FMA pipe busy (peak FLOP/s of one core) and a
// STREAM-style triad over arrays far larger than the caches (memory bandwidth), each measured
// in a fraction of a second when the suite starts, unless given on the command line.
#pragma once

#include <vector>

namespace convgen_bench {

// GFLOP/s of one core (an FMA counted as 2 FLOPs), widest vectors the CPU has.
double probe_fma_gflops_per_core();

// GB/s of a triad a[i] = b[i] + s * c[i] (12 bytes per element, as STREAM counts it) on
// `threads` threads.
double probe_bandwidth_gbps(int threads);

}  // namespace convgen_bench
