// In-process ranks for testing data-parallel code without MPI: a Team of N, each rank a
// loom::World whose collectives meet the other ranks' — called from N threads, one per
// rank. Sums are taken in rank order, so every rank gets the same bits.
#ifndef LOOM_TESTS_UNIT_TESTING_THREAD_RANKS_H_
#define LOOM_TESTS_UNIT_TESTING_THREAD_RANKS_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "loom/world.h"
#include "support/collectives.h"

namespace loom::testing {

class Team {
 public:
  explicit Team(int size);
  // Rank r's World (the Team must outlive it).
  std::shared_ptr<World> rank(int r) { return ranks_[r]; }
  // The elements each rank's all-reduces have summed so far (rank 0's count).
  int64_t elements_summed() const { return elements_; }

 private:
  friend class TeamRank;
  // Rank r's `count` elements at `data`, replaced by the sum over every rank's when all
  // have come.
  void Sum(int r, void* data, int64_t count, DType dtype);
  int size_;
  std::vector<std::shared_ptr<World>> ranks_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<void*> data_;
  int arrived_ = 0, left_ = 0;
  int64_t generation_ = 0, elements_ = 0;
};

}  // namespace loom::testing

#endif  // LOOM_TESTS_UNIT_TESTING_THREAD_RANKS_H_
