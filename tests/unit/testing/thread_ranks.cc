#include "tests/unit/testing/thread_ranks.h"

#include <algorithm>
#include <type_traits>
#include <vector>

namespace loom::testing {

class TeamRank final : public World, public Collectives {
 public:
  TeamRank(Team& team, int rank) : team_(team), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return team_.size_; }
  absl::StatusOr<int64_t> Min(int64_t value) override {
    // Each rank's value in its own slot of a sum (exact for the steps a test counts).
    std::vector<double> all(team_.size_, 0);
    all[rank_] = static_cast<double>(value);
    team_.Sum(rank_, all.data(), team_.size_, DType::kF64);
    double least = all[0];
    for (double a : all) least = std::min(least, a);
    return static_cast<int64_t>(least);
  }
  void Abort(int) override {}
  Collectives& collectives() override { return *this; }
  void Start(int64_t, void* data, int64_t count, DType dtype) override { team_.Sum(rank_, data, count, dtype); }
  void Wait(int64_t) override {}
  absl::Status TakeError() override { return absl::OkStatus(); }

 private:
  Team& team_;
  int rank_;
};

Team::Team(int size) : size_(size), data_(size) {
  for (int r = 0; r < size; ++r) ranks_.push_back(std::make_shared<TeamRank>(*this, r));
}

void Team::Sum(int r, void* data, int64_t count, DType dtype) {
  std::unique_lock lock(mu_);
  // Wait for the last sum's ranks to have left.
  cv_.wait(lock, [&] { return left_ == 0; });
  int64_t generation = generation_;
  data_[r] = data;
  if (++arrived_ < size_) {
    cv_.wait(lock, [&] { return generation_ != generation; });
  } else {
    // The last to come sums, in rank order, into rank 0's buffer, then copies to all.
    auto sum = [&](auto* zero) {
      using T = std::remove_pointer_t<decltype(zero)>;
      std::vector<T> total(static_cast<T*>(data_[0]), static_cast<T*>(data_[0]) + count);
      for (int k = 1; k < size_; ++k) {
        for (int64_t i = 0; i < count; ++i) total[i] += static_cast<T*>(data_[k])[i];
      }
      for (int k = 0; k < size_; ++k) std::copy(total.begin(), total.end(), static_cast<T*>(data_[k]));
    };
    if (dtype == DType::kF64) {
      sum(static_cast<double*>(nullptr));
    } else {
      sum(static_cast<float*>(nullptr));
    }
    elements_ += count;
    arrived_ = 0;
    left_ = size_;
    ++generation_;
    cv_.notify_all();
  }
  if (--left_ == 0) cv_.notify_all();
}

}  // namespace loom::testing
