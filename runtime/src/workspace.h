// A run()'s kernel scratch in memory the caller provides (RunOptions::workspace), as oneDNN's
// user scratchpad and XNNPACK's workspace do, instead of convgen's block cache.
//
// The kernels allocate scratch (halide_malloc, scratch_memory.cpp) from the calling thread
// outside their parallel loops and from every task inside them. An Arena splits the workspace
// into slots, each a stack: slot 0 for the calling thread outside tasks, slots 1..S for the
// tasks running at once (S = the run's threads). A task claims a free slot when it starts and
// hands it back, empty, when it ends, so a slot needs only the largest single task's scratch.
//
// How much that is depends on the kernel's schedule, which the runtime does not know: it is
// measured once per input shape by a run on zeros with a measuring arena (the same stacks over
// reserved, untouched address space), which records the peak of slot 0 and of a task slot.
#pragma once

#include <cstddef>
#include <cstdint>

#include "cache_line_allocator.h"

namespace convgen::detail {

// The peak scratch bytes a kernel call takes outside its tasks and in its largest task.
struct ScratchPeaks {
    size_t outside = 0, task = 0;
};

class Arena {
public:
    // Bytes a workspace needs for `peaks` with `task_slots` tasks at once, any alignment.
    static size_t bytes_needed(const ScratchPeaks &peaks, int task_slots);

    // Over the caller's workspace (at least bytes_needed(peaks, task_slots) bytes).
    Arena(void *workspace, size_t bytes, const ScratchPeaks &peaks, int task_slots);
    // Measuring: over reserved address space that only the pages touched ever occupy.
    Arena();
    ~Arena();
    Arena(const Arena &) = delete;
    Arena &operator=(const Arena &) = delete;

    bool valid() const { return base_ != nullptr; }  // a measuring arena could reserve its space
    ScratchPeaks peaks() const;  // the largest stack depths seen so far

    // In the calling thread's current slot; nullptr when it does not fit (the caller then
    // falls back to the block cache).
    void *allocate(size_t bytes);
    bool owns(const void *p) const;
    void free(void *p);

    // A free task slot (1..S), or 0 when all are taken (more tasks at once than the run said:
    // the task then allocates from the block cache).
    int claim_slot();
    void release_slot(int slot);

private:
    struct Slot;
    Slot *slot(int i) const;
    static size_t table_bytes(int task_slots);  // the slot table, aligned

    char *base_ = nullptr;  // the slot table, then slot 0's stack, then the task stacks
    size_t bytes_ = 0;
    size_t outside_bytes_ = 0, task_bytes_ = 0;
    int task_slots_ = 0;
    bool reserved_ = false;  // a measuring arena: base_ is this object's mapping
};

// The arena of the kernel call this thread is making or helping with, and the slot its
// allocations use (0 = outside any task). Set per call by ArenaScope and, on pool workers and
// application threads, for each task by TaskSlot.
Arena *current_arena();
int current_slot();

// For its lifetime, the calling thread's kernel calls allocate from `arena` (may be null).
class ArenaScope {
public:
    explicit ArenaScope(Arena *arena);
    ~ArenaScope();
    ArenaScope(const ArenaScope &) = delete;
    ArenaScope &operator=(const ArenaScope &) = delete;

private:
    Arena *previous_arena_;
    int previous_slot_;
};

// A run's intermediate tensor between two kernel calls (the unfused Separable's depthwise
// output, the staged InvertedResidual's expanded tensor): from the run's workspace arena where
// there is one, else from `own`, a scratch of the calling thread's (on a cache line) that the call site keeps
// (one per site: a staged block nests a Separable's intermediate inside its own), so
// concurrent runs share nothing and repeated runs do not allocate. Given back on destruction.
class Intermediate {
public:
    Intermediate(Arena *arena, int64_t elements, CacheLineFloats &own);
    ~Intermediate();
    Intermediate(const Intermediate &) = delete;
    Intermediate &operator=(const Intermediate &) = delete;
    float *data() const { return data_; }

private:
    Arena *arena_;
    float *data_ = nullptr;
};

// One task iteration of a parallel loop of a call on `arena`: takes a task slot unless the
// thread already has one (a loop nested in a task runs serially in its slot).
class TaskSlot {
public:
    explicit TaskSlot(Arena *arena);
    ~TaskSlot();
    TaskSlot(const TaskSlot &) = delete;
    TaskSlot &operator=(const TaskSlot &) = delete;

private:
    Arena *arena_, *previous_arena_;
    int slot_ = 0, previous_slot_;
};

}  // namespace convgen::detail
