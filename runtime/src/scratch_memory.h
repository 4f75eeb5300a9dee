// The kernels' scratch memory, installed as the Halide runtime's halide_malloc / halide_free
// (halide_glue.cpp). A kernel allocates its per-task intermediates (the fused separable's
// depthwise rows, staged input rows) on every call, from every worker: up to a hundred blocks
// per call with Halide's default, which calls malloc each time. Here freed blocks are kept in
// a cache shared by all threads and handed out again, so a steady-state run() allocates
// nothing. A run given a workspace (RunOptions) allocates from it instead (workspace.h).
#pragma once

#include <cstddef>

namespace convgen::detail {

// Halide's contract for halide_malloc: aligned for the widest vector load (64 bytes on x86,
// 32 on ARM; 128 covers both and a cache-line pair), a size that is a multiple of that, and
// 8 readable bytes before and after. The cache and a run's workspace (workspace.h) both keep
// each block's header in the kScratchAlign bytes before it.
constexpr size_t kScratchAlign = 128;
inline size_t round_up(size_t v, size_t to) { return (v + to - 1) / to * to; }

void *scratch_malloc(void *user_context, size_t bytes);
void scratch_free(void *user_context, void *ptr);

}  // namespace convgen::detail
