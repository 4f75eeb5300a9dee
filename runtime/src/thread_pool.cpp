#include "thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "convgen/operators.h"
#include "convgen/runtime.h"
#include "internal.h"
#include "workspace.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#if defined(__linux__)
#include <sched.h>
#endif

namespace convgen::detail {

namespace {

// How long an idle worker spins before it sleeps. The gap between two kernels of a network
// (validation, the next layer's setup) is microseconds; a layer of MobileNetV1 takes 20-700 us.
// Long enough to bridge the gaps, short enough not to hold a core when the caller stops.
constexpr auto kSpin = std::chrono::microseconds(500);

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

int default_threads() {
    for (const char *name : {"HL_NUM_THREADS", "HL_NUMTHREADS"}) {
        if (const char *s = std::getenv(name)) {
            const int n = std::atoi(s);
            if (n >= 1) return std::min(n, kMaxThreads);  // the environment cannot throw
        }
    }
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) >= 1) {
        return std::min(CPU_COUNT(&set), kMaxThreads);
    }
#endif
    return std::min(kMaxThreads, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
}

// Set while this thread runs pool tasks: a nested loop then runs serially.
thread_local bool t_in_pool_task = false;
// The parallelism of the kernel call this thread is making (CallParallelism), or null.
thread_local const Parallelism *t_call = nullptr;

// A loop on the application's Executor: each body runs one iteration; the first failure is
// kept and the remaining iterations are skipped.
struct ExecutorLoop {
    halide_task_t task;
    void *user_context;
    uint8_t *closure;
    int min;
    Arena *arena;  // the call's workspace, or null
    std::atomic<int> result{0};

    static void body(void *context, int i) {
        auto *loop = static_cast<ExecutorLoop *>(context);
        if (loop->result.load(std::memory_order_relaxed) != 0) return;
        const bool was_in_task = t_in_pool_task;
        t_in_pool_task = true;  // a loop nested in this iteration runs serially
        const TaskSlot slot(loop->arena);
        const int r = loop->task(loop->user_context, loop->min + i, loop->closure);
        t_in_pool_task = was_in_task;
        if (r != 0) {
            int none = 0;
            loop->result.compare_exchange_strong(none, r, std::memory_order_relaxed);
        }
    }
};

int run_serial(void *uc, halide_task_t task, int min, int size, uint8_t *closure) {
    for (int i = 0; i < size; i++) {
        const TaskSlot slot(current_arena());
        if (int r = task(uc, min + i, closure)) return r;
    }
    return 0;
}

class ThreadPool {
public:
    int threads() const { return threads_.load(std::memory_order_relaxed); }

    // Starts the new workers now, so that an application's first run after setting the count
    // does not pay for (and allocate) their creation.
    void set_threads(int n) {
        std::lock_guard<std::mutex> lock(submit_);  // waits for the loop in flight
        if (n == threads()) return;
        stop_workers();
        threads_.store(n, std::memory_order_relaxed);
        start_workers();
    }

    // Starts the workers if they are not running (they start at the first parallel loop).
    void start() {
        std::lock_guard<std::mutex> lock(submit_);
        if (workers_.empty()) start_workers();
    }

    int parallel_for(void *uc, halide_task_t task, int min, int size, uint8_t *closure) {
        if (size > 1 && !t_in_pool_task && t_call && t_call->executor) {
            ExecutorLoop loop{task, uc, closure, min, current_arena()};
            t_call->executor->parallel_for(size, &ExecutorLoop::body, &loop);
            return loop.result.load(std::memory_order_relaxed);
        }
        // The operator's cap on this pool's threads (0 = all of them).
        const int cap = t_call && t_call->threads > 0 ? std::min(t_call->threads, threads())
                                                      : threads();
        if (size <= 1 || threads() <= 1 || cap <= 1 || t_in_pool_task) {
            return run_serial(uc, task, min, size, closure);
        }
        std::unique_lock<std::mutex> lock(submit_, std::try_to_lock);
        if (!lock.owns_lock()) return run_serial(uc, task, min, size, closure);
        if (workers_.empty()) start_workers();

        job_.task = task;
        job_.user_context = uc;
        job_.closure = closure;
        job_.min = min;
        job_.size = size;
        job_.arena = current_arena();
        job_.result.store(0, std::memory_order_relaxed);
        job_.workers = cap - 1;  // workers numbered from 0 at or past this sit the job out
        // Participant p (the caller 0, worker w as w + 1) starts on the p-th of `cap` equal
        // runs of iterations.
        for (int p = 0; p < cap; p++) {
            ranges_[p].bounds.store(Range::pack(int64_t(size) * p / cap,
                                                int64_t(size) * (p + 1) / cap),
                                    std::memory_order_relaxed);
        }
        pending_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
        // Publishes the job (release); seq_cst pairs with the sleepers' count (see
        // wait_for_job()): a worker about to sleep either sees this generation or is woken.
        generation_.fetch_add(1, std::memory_order_seq_cst);
        if (sleepers_.load(std::memory_order_seq_cst) > 0) {
            std::lock_guard<std::mutex> wake_lock(sleep_mutex_);
            wake_.notify_all();
        }
        run_share(0);
        // Every worker must have left the job before its closure (the caller's stack) is gone.
        for (int spins = 0; pending_.load(std::memory_order_acquire) != 0; spins++) {
            if (spins < 4096) {
                cpu_relax();
            } else {
                std::this_thread::yield();  // a worker was descheduled: give it the core
            }
        }
        return job_.result.load(std::memory_order_relaxed);
    }

private:
    // The counters the threads write (next, pending_) and the one idle workers poll
    // (generation_) sit on cache lines of their own, so that polling does not steal the line
    // the running threads claim iterations from.
    struct alignas(64) Job {
        halide_task_t task = nullptr;
        void *user_context = nullptr;
        uint8_t *closure = nullptr;
        int min = 0, size = 0;
        int workers = 0;  // how many of the workers take part (the caller always does)
        int participants() const { return workers + 1; }  // the runs the iterations are cut into
        Arena *arena = nullptr;  // the call's workspace, or null
        alignas(64) std::atomic<int> result{0};  // the first failure, else 0
    };

    // One participant's run of iterations, [begin, end) packed in one word so that its owner
    // (taking from the front) and a thief (from the back) claim iterations with one CAS each.
    struct alignas(64) Range {
        std::atomic<uint64_t> bounds{0};
        static uint64_t pack(int64_t begin, int64_t end) {
            return uint64_t(uint32_t(begin)) << 32 | uint32_t(end);
        }
        // The next iteration from the front (owner) or the back (thief), or -1 if none is left.
        int take(bool front) {
            uint64_t b = bounds.load(std::memory_order_relaxed);
            for (;;) {
                const int begin = int(b >> 32), end = int(uint32_t(b));
                if (begin >= end) return -1;
                const uint64_t rest = front ? pack(begin + 1, end) : pack(begin, end - 1);
                if (bounds.compare_exchange_weak(b, rest, std::memory_order_relaxed)) {
                    return front ? begin : end - 1;
                }
            }
        }
    };

    // Takes iterations of the current job until none is left. Each participant first walks its
    // own contiguous run front to back, so that where consecutive layers cut the image the same
    // way (strips of rows) each core takes the rows it wrote the layer before; with one shared
    // counter, which core took which iteration changed from call to call. A participant whose
    // run is done takes the others' iterations from their backs, so rows of unequal cost (the
    // border rows) and a thread the OS held back still balance. MobileNetV1 body on 2 threads
    // (Zen 3 VM): 1.045x, the median of 10 process pairs.
    void run_share(int participant) {
        t_in_pool_task = true;
        const int n = job_.participants();
        for (int k = 0; k < n; k++) {
            Range &range = ranges_[(participant + k) % n];
            for (int i; (i = range.take(/*front=*/k == 0)) >= 0;) {
                const TaskSlot slot(job_.arena);
                if (int r = job_.task(job_.user_context, job_.min + i, job_.closure)) {
                    int none = 0;
                    job_.result.compare_exchange_strong(none, r, std::memory_order_relaxed);
                    for (int q = 0; q < n; q++) {  // skip the rest
                        ranges_[q].bounds.store(0, std::memory_order_relaxed);
                    }
                }
            }
        }
        t_in_pool_task = false;
    }

    // Called with submit_ held.
    void start_workers() {
        ranges_.reset(new Range[threads()]);
        const uint64_t current = generation_.load(std::memory_order_relaxed);
        for (int i = 1; i < threads(); i++) {
            workers_.emplace_back([this, current, i] { worker(current, i - 1); });
        }
    }

    // Called with submit_ held.
    void stop_workers() {
        if (workers_.empty()) return;
        stop_.store(true, std::memory_order_seq_cst);
        {
            std::lock_guard<std::mutex> wake_lock(sleep_mutex_);
            wake_.notify_all();
        }
        for (auto &w : workers_) w.join();
        workers_.clear();
        stop_.store(false, std::memory_order_relaxed);
    }

    void worker(uint64_t seen, int index) {
        for (;;) {
            const uint64_t g = wait_for_job(seen);
            if (g == seen) return;  // stopped
            seen = g;
            if (index < job_.workers) run_share(index + 1);  // else the cap leaves it out
            pending_.fetch_sub(1, std::memory_order_release);
        }
    }

    // Spins, then sleeps, until the generation moves past `seen` (returns it) or the pool
    // stops (returns `seen`).
    uint64_t wait_for_job(uint64_t seen) {
        const auto deadline = std::chrono::steady_clock::now() + kSpin;
        for (int spins = 1;; spins++) {
            const uint64_t g = generation_.load(std::memory_order_acquire);
            if (g != seen) return g;
            if (stop_.load(std::memory_order_relaxed)) return seen;
            cpu_relax();
            if (spins % 256 == 0 && std::chrono::steady_clock::now() > deadline) break;
        }
        std::unique_lock<std::mutex> lock(sleep_mutex_);
        sleepers_.fetch_add(1, std::memory_order_seq_cst);
        wake_.wait(lock, [&] {
            return generation_.load(std::memory_order_seq_cst) != seen ||
                   stop_.load(std::memory_order_seq_cst);
        });
        sleepers_.fetch_sub(1, std::memory_order_relaxed);
        const uint64_t g = generation_.load(std::memory_order_acquire);
        return stop_.load(std::memory_order_relaxed) && g == seen ? seen : g;
    }

    std::atomic<int> threads_{default_threads()};
    std::mutex submit_;  // one loop at a time on the pool; held while workers start or stop
    std::vector<std::thread> workers_;
    Job job_;
    std::unique_ptr<Range[]> ranges_;  // one per thread, the caller's first
    alignas(64) std::atomic<uint64_t> generation_{0};  // bumped once per loop handed out
    alignas(64) std::atomic<int> pending_{0};  // workers still inside the current loop
    std::atomic<bool> stop_{false};
    alignas(64) std::mutex sleep_mutex_;
    std::condition_variable wake_;
    std::atomic<int> sleepers_{0};
};

// Never destroyed: a kernel may run from another static object's destructor, and the workers
// end with the process.
ThreadPool &pool() {
    static ThreadPool *p = new ThreadPool;
    return *p;
}

}  // namespace

CallParallelism::CallParallelism(const Parallelism &p) : previous_(t_call) { t_call = &p; }
CallParallelism::~CallParallelism() { t_call = previous_; }

int Parallelism::effective_threads() const {
    if (executor) return executor->threads();
    return threads > 0 ? std::min(threads, pool().threads()) : pool().threads();
}

int pool_parallel_for(void *user_context, halide_task_t task, int min, int size,
                      uint8_t *closure) {
    return pool().parallel_for(user_context, task, min, size, closure);
}

void set_pool_threads(int threads) { pool().set_threads(threads); }
void start_pool_workers() { pool().start(); }
int pool_threads() { return pool().threads(); }

}  // namespace convgen::detail
