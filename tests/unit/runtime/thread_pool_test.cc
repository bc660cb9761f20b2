// RunOnThreads, the launcher compiled functions run on: every task runs exactly once, all
// of them at the same time (generated code's threads wait for each other at barriers,
// which would hang otherwise), also when the pool is smaller than the run, and calls
// from several threads at once each get all of their own work done. Run under
// ThreadSanitizer by the test command.
#include "runtime/thread_pool.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace loom {
namespace {

// Each task arrives, then waits until all n have arrived: it finishes only if all run
// at once.
struct Meeting {
  explicit Meeting(int64_t n) : n(n), ran(n) {}
  int64_t n;
  std::atomic<int64_t> arrived{0};
  std::vector<std::atomic<int>> ran;
};

void Meet(void* arg, int64_t i) {
  auto* m = static_cast<Meeting*>(arg);
  m->ran[i].fetch_add(1);
  m->arrived.fetch_add(1);
  while (m->arrived.load() < m->n) std::this_thread::yield();
}

TEST(ThreadPoolTest, EveryTaskRunsOnceAndAllAtOnce) {
  for (int pool : {1, 2, 3, 8}) {
    SetNumThreads(pool);
    for (int64_t n : {1, 2, 3, 8}) {
      Meeting m(n);
      RunOnThreads(nullptr, n, Meet, &m);
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(m.ran[i].load(), 1) << pool << " threads, n " << n << ", i " << i;
    }
  }
  SetNumThreads(1);
}

TEST(ThreadPoolTest, CallersOnSeveralThreadsEachGetTheirWorkDone) {
  SetNumThreads(2);
  std::vector<std::thread> callers;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&] {
      for (int rep = 0; rep < 50; ++rep) {
        Meeting m(2);
        RunOnThreads(nullptr, 2, Meet, &m);
        for (auto& r : m.ran) wrong += r.load() != 1;
      }
    });
  }
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(wrong.load(), 0);
  SetNumThreads(1);
}

}  // namespace
}  // namespace loom
