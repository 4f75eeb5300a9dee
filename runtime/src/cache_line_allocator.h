// Storage on a cache-line boundary (64 bytes) for the runtime's own float buffers.
//
// malloc aligns to 16 bytes, and a large block (mmap'd) starts 16 bytes past a page, so every
// vector a kernel reads or writes there straddles two lines (on AVX2 every other one). Weights
// read in place: pointwise 32->64 at 112x112 (AVX2, Zen 3) ran 0.70 or 1.15 ms from process to
// process, depending on where the heap put them. The unfused Separable's intermediate is a
// depthwise's output: a depthwise writing 16 bytes off a line ran up to 1.48x slower (1024
// channels at 7x7, 1 thread, Zen 3).
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace convgen::detail {

// The x86 and Arm cores convgen targets all have 64-byte lines (and AVX-512 vectors are one).
inline constexpr size_t kCacheLineBytes = 64;

template <typename T>
struct CacheLineAllocator {
    using value_type = T;
    static constexpr std::align_val_t kAlign{kCacheLineBytes};
    CacheLineAllocator() = default;
    template <typename U>
    CacheLineAllocator(const CacheLineAllocator<U> &) {}
    T *allocate(size_t n) { return static_cast<T *>(::operator new(n * sizeof(T), kAlign)); }
    void deallocate(T *p, size_t) { ::operator delete(p, kAlign); }
    bool operator==(const CacheLineAllocator &) const { return true; }
};

using CacheLineFloats = std::vector<float, CacheLineAllocator<float>>;

}  // namespace convgen::detail
