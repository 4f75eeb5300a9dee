#include "scratch_memory.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "thread_pool.h"
#include "workspace.h"

namespace convgen::detail {

namespace {

// The header before each block (kScratchAlign bytes) holds its capacity.
constexpr size_t kAlign = kScratchAlign;
// The cache owns at most this many bytes; beyond that a block goes back to the system when
// freed. The largest per-task scratch of the MobileNet layers is a conv2d weight panel (one
// slice of 32 output channels x 1024 x 3 x 3 inputs: 1.2 MiB on AVX-512) per thread.
constexpr size_t kMaxCachedBytes = size_t(32) << 20;

struct Header {
    size_t capacity;  // usable bytes after the header
};

Header *header_of(void *block) {
    return reinterpret_cast<Header *>(static_cast<char *>(block) - kAlign);
}

void *allocate(size_t capacity) {
    void *raw = std::aligned_alloc(kAlign, kAlign + capacity + kAlign);
    if (!raw) return nullptr;
    static_cast<Header *>(raw)->capacity = capacity;
    return static_cast<char *>(raw) + kAlign;
}

void release(void *block) { std::free(header_of(block)); }

// Free blocks by size, shared by all threads. Each size a kernel asks for (a per-task row of
// scratch, typically) gets two blocks per pool thread as soon as it is first seen, so that a
// later run finds enough, whichever threads take its tasks and however many run at once.
class BlockCache {
public:
    void *take(size_t capacity) {
        std::lock_guard<std::mutex> lock(mutex_);
        SizeClass *c = find(capacity);
        if (!c && classes_.size() < kMaxClasses) {
            classes_.push_back(SizeClass{capacity, 0, {}});  // reserved: no reallocation
            c = &classes_.back();
            c->free.reserve(kBlocksPerClass);
        }
        if (!c) return allocate(capacity);  // more sizes than we keep: not cached
        // Two per thread: one task may hold two buffers of one size class at once (the fused
        // separable's depthwise strip and weight panel can round to the same 4 KiB class), and
        // a first run that happened to run serially must not leave the class one block short.
        const int wanted = std::min(2 * pool_threads(), int(kBlocksPerClass));
        while (c->total < wanted && bytes_ + capacity <= kMaxCachedBytes) {
            void *b = allocate(capacity);
            if (!b) break;
            c->free.push_back(b);
            c->total++;
            bytes_ += capacity;
        }
        if (!c->free.empty()) {
            void *b = c->free.back();
            c->free.pop_back();
            return b;
        }
        void *b = allocate(capacity);  // more at once than threads: kept if there is room
        if (b && bytes_ + capacity <= kMaxCachedBytes && c->total < int(kBlocksPerClass)) {
            c->total++;
            bytes_ += capacity;
        }
        return b;
    }

    void put(void *block) {
        const size_t capacity = header_of(block)->capacity;
        std::lock_guard<std::mutex> lock(mutex_);
        SizeClass *c = find(capacity);
        if (c && c->free.size() < size_t(c->total)) {
            c->free.push_back(block);  // within the reserved capacity: no allocation
            return;
        }
        release(block);  // an uncached block
    }

    BlockCache() { classes_.reserve(kMaxClasses); }

private:
    static constexpr size_t kMaxClasses = 64, kBlocksPerClass = 64;
    struct SizeClass {
        size_t capacity;
        int total;                // blocks of this size owned by the cache, free or lent
        std::vector<void *> free;
    };
    SizeClass *find(size_t capacity) {
        for (auto &c : classes_) {
            if (c.capacity == capacity) return &c;
        }
        return nullptr;
    }

    std::mutex mutex_;
    std::vector<SizeClass> classes_;
    size_t bytes_ = 0;  // owned by the cache, free or lent
};

// Never destroyed: kernels may run during static destruction.
BlockCache &cache() {
    static BlockCache *c = new BlockCache;
    return *c;
}

}  // namespace

void *scratch_malloc(void *, size_t bytes) {
    // The run's workspace, where the caller gave one and the block fits its slot.
    if (Arena *arena = current_arena()) {
        if (void *p = arena->allocate(bytes)) return p;
    }
    // Round to 4 KiB so that rows of nearby sizes share a size class.
    return cache().take(round_up(bytes + 8, size_t(4096)));  // nullptr: out of memory
}

void scratch_free(void *, void *ptr) {
    if (!ptr) return;
    if (Arena *arena = current_arena(); arena && arena->owns(ptr)) {
        arena->free(ptr);
        return;
    }
    cache().put(ptr);
}

}  // namespace convgen::detail
