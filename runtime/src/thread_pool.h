// convgen's own thread pool for the kernels' parallel loops, installed as the Halide runtime's
// halide_do_par_for (halide_glue.cpp). Why not Halide's default pool: its workers sleep on a
// condition variable as soon as a loop ends, so every kernel of a chain of layers pays a
// wake-up per worker, and its thread count cannot change while a kernel runs (Halide aborts).
// Here workers spin for a short while after each loop (as XNNPACK's pthreadpool does), so
// back-to-back layers find them awake, and the thread count can change at any time.
#pragma once

#include "HalideRuntime.h"

namespace convgen::detail {

// Runs task(user_context, i, closure) for i in [min, min + size) on the pool; returns 0, or
// the first non-zero result of a task (the remaining iterations are then skipped). A loop
// started from inside a pool task, or while another thread's loop holds the pool, runs
// serially on the calling thread.
int pool_parallel_for(void *user_context, halide_task_t task, int min, int size,
                      uint8_t *closure);

// Threads a parallel loop uses, the caller's included (>= 1). Default: HL_NUM_THREADS if set,
// else the CPUs this process may run on. Safe to change while loops run: a change waits for
// the loop in flight, then restarts the workers.
void set_pool_threads(int threads);
int pool_threads();
// Starts the workers now rather than at the first parallel loop (which would allocate them).
void start_pool_workers();

}  // namespace convgen::detail
