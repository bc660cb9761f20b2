// loom_parallel_ranges, what a generated product calls to share its panels: the ranges
// cover [0, n) exactly once whatever the thread count, and calls from several threads at
// once each get all of their own work done. Run under ThreadSanitizer by the test command.
#include "runtime/thread_pool.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/kernels_abi.h"

namespace loom {
namespace {

struct Counts {
  std::vector<std::atomic<int>> seen;
  std::atomic<int> calls{0};
  explicit Counts(int64_t n) : seen(n) {}
};

void Count(void* context, int64_t begin, int64_t end) {
  auto* c = static_cast<Counts*>(context);
  c->calls.fetch_add(1);
  for (int64_t i = begin; i < end; ++i) c->seen[i].fetch_add(1);
}

TEST(ThreadPoolTest, RangesCoverEveryIndexOnce) {
  for (int threads : {1, 2, 3, 8}) {
    SetNumThreads(threads);
    for (int64_t n : {1, 2, 3, 7, 64, 1000}) {
      Counts c(n);
      loom_parallel_ranges(n, Count, &c);
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(c.seen[i].load(), 1) << threads << " threads, n " << n << ", i " << i;
      // One range per thread, or per index when there are fewer indices.
      EXPECT_EQ(c.calls.load(), std::min<int64_t>(threads, n)) << threads << " threads, n " << n;
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
        Counts c(37);
        loom_parallel_ranges(37, Count, &c);
        for (auto& s : c.seen) wrong += s.load() != 1;
      }
    });
  }
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(wrong.load(), 0);
  SetNumThreads(1);
}

}  // namespace
}  // namespace loom
