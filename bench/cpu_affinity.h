// Pinning the process to some of its CPUs: oneDNN 3 from PyPI runs its CPU work on TBB (through
// SYCL), whose pool takes its size from the process's CPU affinity when it starts.
#pragma once

#include <sched.h>

namespace convgen_bench {

// Restricts the calling thread, and the threads it starts afterwards, to the first `threads`
// CPUs it may run on.
inline void pin_to_first_cpus(int threads) {
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return;
    cpu_set_t use;
    CPU_ZERO(&use);
    for (int cpu = 0, n = 0; cpu < CPU_SETSIZE && n < threads; ++cpu) {
        if (CPU_ISSET(cpu, &allowed)) CPU_SET(cpu, &use), ++n;
    }
    sched_setaffinity(0, sizeof use, &use);
}

}  // namespace convgen_bench
