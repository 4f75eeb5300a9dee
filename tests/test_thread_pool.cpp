// convgen's thread pool (runtime/src/thread_pool.cpp), called directly as Halide's
// halide_do_par_for would call it: every iteration runs exactly once at any thread count, a
// failing iteration's code comes back and stops the rest, and each thread starts on its own
// contiguous run of iterations, the caller on the first (what keeps a chain's activations on
// the core that wrote them).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "thread_pool.h"

namespace {

using convgen::detail::pool_parallel_for;
using convgen::detail::set_pool_threads;

struct Record {
    std::vector<std::atomic<int>> runs;
    std::vector<std::thread::id> ran_on;
    int fail_at = -1;  // this iteration returns an error
    int sleep_us = 0;
    explicit Record(int n) : runs(n), ran_on(n) {}
};

int record_task(void *, int i, uint8_t *closure) {
    auto *r = reinterpret_cast<Record *>(closure);
    r->runs[i].fetch_add(1);
    r->ran_on[i] = std::this_thread::get_id();
    if (r->sleep_us) std::this_thread::sleep_for(std::chrono::microseconds(r->sleep_us));
    return i == r->fail_at ? 42 : 0;
}

class ThreadPool : public ::testing::TestWithParam<int> {
protected:
    void SetUp() override { set_pool_threads(GetParam()); }
    void TearDown() override { set_pool_threads(1); }
};

TEST_P(ThreadPool, EveryIterationRunsOnce) {
    for (int size : {1, 2, 3, 5, 7, 64, 1001}) {
        for (int min : {0, -3}) {
            Record r(size);
            // closure's iterations are indexed from 0: shift by min in the task's argument.
            auto task = [](void *uc, int i, uint8_t *c) {
                return record_task(uc, i - *static_cast<int *>(uc), c);
            };
            int m = min;
            ASSERT_EQ(pool_parallel_for(&m, task, min, size, reinterpret_cast<uint8_t *>(&r)), 0);
            for (int i = 0; i < size; i++) {
                EXPECT_EQ(r.runs[i].load(), 1) << "iteration " << i << " of " << size;
            }
        }
    }
}

TEST_P(ThreadPool, AFailureIsReturnedAndNoIterationRunsTwice) {
    const int size = 200;
    Record r(size);
    r.fail_at = 3;
    EXPECT_EQ(pool_parallel_for(nullptr, record_task, 0, size, reinterpret_cast<uint8_t *>(&r)),
              42);
    for (int i = 0; i < size; i++) EXPECT_LE(r.runs[i].load(), 1) << "iteration " << i;
    EXPECT_EQ(r.runs[3].load(), 1);
}

// The caller takes the first run of iterations, front to back: iteration 0 runs on it even
// when every iteration is slow enough for the other threads to be awake and taking theirs.
TEST_P(ThreadPool, TheCallerStartsOnTheFirstIterations) {
    const int size = 4 * GetParam();
    Record r(size);
    r.sleep_us = 5000;  // a thief reaches iteration 0 last, after the 5 ms iterations before it
    ASSERT_EQ(pool_parallel_for(nullptr, record_task, 0, size, reinterpret_cast<uint8_t *>(&r)),
              0);
    EXPECT_EQ(r.ran_on[0], std::this_thread::get_id());
    for (int i = 0; i < size; i++) EXPECT_EQ(r.runs[i].load(), 1) << "iteration " << i;
}

INSTANTIATE_TEST_SUITE_P(Threads, ThreadPool, ::testing::Values(1, 2, 3, 4),
                         [](const auto &info) { return std::to_string(info.param); });

}  // namespace
