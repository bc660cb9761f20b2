// MPI runs on one thread of the World's own (the thread that initialized it, so MPI's
// FUNNELED level is enough): compiled code and the caller hand it operations and wait
// for them with a deadline. A blocking MPI_Allreduce on its own thread progresses while
// the step computes (Horovod's design); MPI's non-blocking calls would progress only
// when polled. A rank that never answers — killed, hung — costs the others the timeout,
// not forever.
#include "runtime/world_mpi.h"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "support/collectives.h"

namespace loom {
namespace {

// Control operations (Min) use ids below every bucket's.
constexpr int64_t kControlId = -1;

std::string MpiError(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) return absl::StrCat("MPI error ", code);
  return std::string(text, length);
}

class MpiWorld final : public World, public Collectives {
 public:
  explicit MpiWorld(double timeout_seconds) : timeout_(timeout_seconds) {}

  // Starts the thread, which initializes MPI; returns what that said.
  absl::Status Start() {
    thread_ = std::thread([this] { Loop(); });
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return initialized_; });
    return init_status_;
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }

  Traffic traffic() const override {
    std::lock_guard lock(mu_);
    return traffic_;
  }

  absl::StatusOr<int64_t> Min(int64_t value) override {
    int64_t result = value;
    Post(kControlId,
         [&result] { return MPI_Allreduce(MPI_IN_PLACE, &result, 1, MPI_INT64_T, MPI_MIN, MPI_COMM_WORLD); });
    Wait(kControlId);
    absl::Status s = TakeError();
    if (!s.ok()) return s;
    return result;
  }

  void Abort(int code) override {
    // Not MPI_Abort: MPI's thread may be inside a collective that will never end. mpirun
    // stops the job when a rank exits with an error.
    std::fflush(stdout);
    std::fflush(stderr);
    // mpirun forwards a rank's output asynchronously and stops the job as soon as one
    // exits with an error: a moment for this rank's message to get through first.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    std::_Exit(code);
  }

  Collectives& collectives() override { return *this; }

  void Start(int64_t id, void* data, int64_t count, DType dtype) override {
    MPI_Datatype type = dtype == DType::kF64 ? MPI_DOUBLE : MPI_FLOAT;
    int64_t size = dtype == DType::kF64 ? 8 : 4;
    {
      std::lock_guard lock(mu_);
      traffic_.bytes += count * size;
      ++traffic_.messages;
      if (id == 0) {  // a step's first bucket
        first_start_ = std::chrono::steady_clock::now();
        awaiting_first_wait_ = true;
      }
    }
    Post(id, [=] {
      // MPI counts are ints: chunks of at most 2^30 elements.
      for (int64_t done = 0; done < count;) {
        int n = static_cast<int>(std::min<int64_t>(count - done, int64_t{1} << 30));
        int rc = MPI_Allreduce(MPI_IN_PLACE, static_cast<char*>(data) + done * size, n, type, MPI_SUM, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) return rc;
        done += n;
      }
      return MPI_SUCCESS;
    });
  }

  void Wait(int64_t id) override {
    std::unique_lock lock(mu_);
    auto start = std::chrono::steady_clock::now();
    auto deadline = start + std::chrono::duration<double>(timeout_);
    bool done = changed_.wait_until(lock, deadline, [&] { return done_.count(id) > 0; });
    double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (id != kControlId && awaiting_first_wait_) {
      traffic_.window_seconds += std::chrono::duration<double>(start - first_start_).count();
      awaiting_first_wait_ = false;
    }
    (id == kControlId ? traffic_.agree_seconds : traffic_.wait_seconds) += waited;
    if (!done) {
      if (error_.ok()) {
        error_ = absl::DeadlineExceededError(
            absl::StrFormat("rank %d of %d: no answer from the other ranks in %g s (a rank stopped or hangs; "
                            "--rank-timeout sets the wait)",
                            rank_, size_, timeout_));
      }
      return;
    }
    done_.erase(done_.find(id));
  }

  absl::Status TakeError() override {
    std::lock_guard lock(mu_);
    absl::Status s = error_;
    error_ = absl::OkStatus();
    return s;
  }

  // At the process's normal exit: MPI_Finalize on MPI's thread, which then ends.
  void Finish() {
    {
      std::lock_guard lock(mu_);
      finishing_ = true;
    }
    changed_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Post(int64_t id, std::function<int()> op) {
    {
      std::lock_guard lock(mu_);
      queue_.emplace_back(id, std::move(op));
    }
    changed_.notify_all();
  }

  void Loop() {
    int provided = 0;
    int rc = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    absl::Status status;
    if (rc != MPI_SUCCESS) {
      status = absl::UnavailableError(absl::StrCat("MPI_Init_thread failed: ", MpiError(rc)));
    } else {
      // Errors come back as codes (a lost peer becomes this rank's error message).
      MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
      MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
      MPI_Comm_size(MPI_COMM_WORLD, &size_);
    }
    {
      std::lock_guard lock(mu_);
      initialized_ = true;
      init_status_ = status;
    }
    changed_.notify_all();
    if (!status.ok()) return;
    for (;;) {
      std::unique_lock lock(mu_);
      changed_.wait(lock, [&] { return !queue_.empty() || finishing_; });
      if (queue_.empty()) break;
      auto [id, op] = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      int code = op();
      lock.lock();
      if (code != MPI_SUCCESS && error_.ok()) {
        error_ = absl::UnavailableError(
            absl::StrCat("rank ", rank_, " of ", size_, ": summing over the ranks failed: ", MpiError(code)));
      }
      done_.insert(id);
      lock.unlock();
      changed_.notify_all();
    }
    MPI_Finalize();
  }

  const double timeout_;
  int rank_ = 0, size_ = 1;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  Traffic traffic_;
  std::chrono::steady_clock::time_point first_start_;  // of this step's bucket 0
  bool awaiting_first_wait_ = false;
  bool initialized_ = false, finishing_ = false;
  absl::Status init_status_;
  std::deque<std::pair<int64_t, std::function<int()>>> queue_;
  std::multiset<int64_t> done_;
  absl::Status error_;
};

MpiWorld* the_world = nullptr;

}  // namespace

absl::StatusOr<std::shared_ptr<World>> JoinMpiWorld(const WorldOptions& options) {
  auto world = std::make_shared<MpiWorld>(options.timeout_seconds);
  absl::Status started = world->Start();
  if (!started.ok()) {
    world->Finish();
    return started;
  }
  // World::Join keeps it for the process's life; MPI ends at a normal exit (an error
  // exit goes through Abort instead: finalizing would wait for the other ranks).
  the_world = world.get();
  std::atexit([] { the_world->Finish(); });
  return std::static_pointer_cast<World>(world);
}

}  // namespace loom
