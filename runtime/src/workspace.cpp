#include "workspace.h"

#include <algorithm>
#include <atomic>
#include <new>

#include <sys/mman.h>

#include "scratch_memory.h"

namespace convgen::detail {

namespace {

// As in the block cache: the kScratchAlign bytes before a block hold its header.
constexpr size_t kAlign = kScratchAlign;

struct BlockHeader {
    BlockHeader *below;  // the block under this one on its slot's stack, or null
    size_t end;          // offset from the arena's base just past this block
    bool freed;          // freed, waiting for the blocks above it to go
};
static_assert(sizeof(BlockHeader) <= kAlign);

// A measuring arena reserves this much address space per slot (pages are touched only as
// used): more than any kernel's scratch, plus the unfused Separable's intermediate, which is
// at most 2^31 bytes.
constexpr size_t kMeasuringSlotBytes = size_t(3) << 30;

thread_local Arena *t_arena = nullptr;
thread_local int t_slot = 0;

}  // namespace

struct Arena::Slot {
    std::atomic<int> busy{0};
    size_t begin = 0, end = 0;  // the stack's bytes, as offsets from the base
    BlockHeader *top = nullptr;
    size_t peak = 0;  // the deepest the stack went, in bytes from begin
};

size_t Arena::table_bytes(int task_slots) {
    return round_up(sizeof(Slot) * size_t(task_slots + 1), kAlign);
}

size_t Arena::bytes_needed(const ScratchPeaks &peaks, int task_slots) {
    // kAlign - 1 to align the start; each stack keeps kAlign spare for the readable bytes
    // past its last block.
    return kAlign - 1 + table_bytes(task_slots) + round_up(peaks.outside, kAlign) + kAlign +
           size_t(task_slots) * (round_up(peaks.task, kAlign) + kAlign);
}

Arena::Arena(void *workspace, size_t bytes, const ScratchPeaks &peaks, int task_slots)
    : task_slots_(task_slots) {
    const auto start = reinterpret_cast<uintptr_t>(workspace);
    base_ = reinterpret_cast<char *>(round_up(start, kAlign));
    bytes_ = bytes - (reinterpret_cast<uintptr_t>(base_) - start);
    outside_bytes_ = round_up(peaks.outside, kAlign) + kAlign;
    task_bytes_ = round_up(peaks.task, kAlign) + kAlign;
    size_t at = table_bytes(task_slots);
    for (int i = 0; i <= task_slots; i++) {
        Slot *s = new (base_ + i * sizeof(Slot)) Slot;
        s->begin = at;
        at += i == 0 ? outside_bytes_ : task_bytes_;
        s->end = at;
    }
}

Arena::Arena() : task_slots_(1), reserved_(true) {
    outside_bytes_ = task_bytes_ = kMeasuringSlotBytes;
    bytes_ = table_bytes(1) + 2 * kMeasuringSlotBytes;
    void *p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return;  // valid() is false
    base_ = static_cast<char *>(p);
    for (int i = 0; i <= 1; i++) {
        Slot *s = new (base_ + i * sizeof(Slot)) Slot;
        s->begin = table_bytes(1) + i * kMeasuringSlotBytes;
        s->end = s->begin + kMeasuringSlotBytes;
    }
}

Arena::~Arena() {
    if (reserved_ && base_) munmap(base_, bytes_);
}

Arena::Slot *Arena::slot(int i) const { return reinterpret_cast<Slot *>(base_ + i * sizeof(Slot)); }

ScratchPeaks Arena::peaks() const {
    ScratchPeaks p;
    p.outside = slot(0)->peak;
    for (int i = 1; i <= task_slots_; i++) p.task = std::max(p.task, slot(i)->peak);
    return p;
}

void *Arena::allocate(size_t bytes) {
    Slot *s = slot(t_slot);
    const size_t at = s->top ? s->top->end : s->begin;
    const size_t end = at + kAlign + round_up(bytes, kAlign);
    if (end + kAlign > s->end) return nullptr;
    auto *h = reinterpret_cast<BlockHeader *>(base_ + at);
    *h = BlockHeader{s->top, end, false};
    s->top = h;
    s->peak = std::max(s->peak, end - s->begin);
    return base_ + at + kAlign;
}

bool Arena::owns(const void *p) const {
    const char *c = static_cast<const char *>(p);
    return base_ && c >= base_ && c < base_ + bytes_;
}

void Arena::free(void *p) {
    auto *h = reinterpret_cast<BlockHeader *>(static_cast<char *>(p) - kAlign);
    h->freed = true;
    // The slot whose stack holds the block, from its offset.
    const size_t offset = static_cast<char *>(p) - base_;
    const size_t tasks_begin = slot(0)->end;
    const int i = offset < tasks_begin ? 0 : 1 + int((offset - tasks_begin) / task_bytes_);
    Slot *s = slot(i);
    // Halide frees a task's blocks in about the reverse order of allocation; a block freed
    // early leaves its space until the blocks above it go too.
    while (s->top && s->top->freed) s->top = s->top->below;
}

int Arena::claim_slot() {
    for (int i = 1; i <= task_slots_; i++) {
        int idle = 0;
        if (slot(i)->busy.compare_exchange_strong(idle, 1, std::memory_order_acquire)) return i;
    }
    return 0;
}

void Arena::release_slot(int i) {
    Slot *s = slot(i);
    s->top = nullptr;  // a task leaves nothing behind on its slot
    s->busy.store(0, std::memory_order_release);
}

Arena *current_arena() { return t_arena; }
int current_slot() { return t_slot; }

ArenaScope::ArenaScope(Arena *arena) : previous_arena_(t_arena), previous_slot_(t_slot) {
    t_arena = arena;
    t_slot = 0;
}

ArenaScope::~ArenaScope() {
    t_arena = previous_arena_;
    t_slot = previous_slot_;
}

TaskSlot::TaskSlot(Arena *arena)
    : arena_(arena), previous_arena_(t_arena), previous_slot_(t_slot) {
    if (arena && t_arena == arena && t_slot != 0) return;  // nested: the task's own slot
    t_arena = arena;
    t_slot = 0;
    if (!arena) return;
    slot_ = arena->claim_slot();
    if (slot_ == 0) t_arena = nullptr;  // no slot free: this task uses the block cache
    t_slot = slot_;
}

TaskSlot::~TaskSlot() {
    if (slot_) arena_->release_slot(slot_);
    t_arena = previous_arena_;
    t_slot = previous_slot_;
}

Intermediate::Intermediate(Arena *arena, int64_t elements, CacheLineFloats &own)
    : arena_(arena) {
    if (arena_) {
        const ArenaScope outside(arena_);  // slot 0: the calling thread, outside tasks
        data_ = static_cast<float *>(arena_->allocate(size_t(elements) * sizeof(float)));
    }
    if (!data_) {
        if (own.size() < size_t(elements)) own.resize(size_t(elements));
        data_ = own.data();
    }
}

Intermediate::~Intermediate() {
    if (arena_ && arena_->owns(data_)) {
        const ArenaScope outside(arena_);
        arena_->free(data_);
    }
}

}  // namespace convgen::detail
