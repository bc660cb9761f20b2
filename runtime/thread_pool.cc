#include "runtime/thread_pool.h"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace loom {
namespace {

// Workers sleep on a condition variable between jobs; a job is a generation number, an
// index counter the threads take work from, and a count of unfinished items.
class Pool {
 public:
  ~Pool() { Resize(1); }

  void Resize(int threads) {
    std::lock_guard<std::mutex> job(job_mu_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      published_.store(++generation_, std::memory_order_release);
    }
    wake_.notify_all();
    for (std::thread& t : workers_) t.join();
    workers_.clear();
    stop_ = false;
    for (int i = 1; i < threads; ++i) {
      try {
        workers_.emplace_back([this] { Work(); });
      } catch (const std::system_error&) {
        return;  // out of threads or memory for their stacks: the caller sees size()
      }
    }
  }
  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Every item starts before any returns, as long as the threads are at least n: the
  // pool's, the caller, and helpers started here for the rest (only when the pool was
  // made smaller than a run's thread count while it was being set up).
  void Run(int64_t n, Task task, void* context) {
    std::lock_guard<std::mutex> job(job_mu_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      task_ = task;
      context_ = context;
      n_ = n;
      next_ = 0;
      remaining_ = n;
      published_.store(++generation_, std::memory_order_release);
    }
    wake_.notify_all();
    std::vector<std::thread> helpers;
    for (int64_t i = size(); i < n; ++i) helpers.emplace_back([this] { Drain(); });
    Drain();
    for (std::thread& t : helpers) t.join();
    // The others usually finish within microseconds of this thread: a sleep and wake-up
    // would cost more than the wait.
    for (int spin = 0; spin < kSpins && remaining_.load(std::memory_order_acquire) != 0; ++spin) {
#if defined(__x86_64__)
      __builtin_ia32_pause();
#endif
    }
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [&] { return remaining_ == 0; });
    task_ = nullptr;
  }

 private:
  // A worker spins a little before it sleeps: in a training step the next product is
  // usually a few microseconds away, and waking a sleeping thread costs more than that.
  void Work() {
    uint64_t seen = 0;
    for (;;) {
      for (int spin = 0; spin < kSpins && published_.load(std::memory_order_acquire) == seen; ++spin) {
#if defined(__x86_64__)
        __builtin_ia32_pause();
#endif
      }
      {
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (stop_) return;
      }
      Drain();
    }
  }
  static constexpr int kSpins = 20000;  // about 100 µs

  // Takes items until none are left; the last to finish wakes the caller.
  void Drain() {
    for (int64_t i; (i = next_.fetch_add(1)) < n_;) {
      task_(context_, i);
      if (remaining_.fetch_sub(1) == 1) {
        std::lock_guard<std::mutex> lock(mu_);
        done_.notify_all();
      }
    }
  }

  std::mutex job_mu_, mu_;
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;
  uint64_t generation_ = 0;
  std::atomic<uint64_t> published_{0};  // generation_, readable without the lock
  bool stop_ = false;
  Task task_ = nullptr;
  void* context_ = nullptr;
  std::atomic<int64_t> n_{0}, next_{0}, remaining_{0};
};

Pool& ThePool() {
  static Pool* pool = new Pool();  // never destroyed: workers may outlive static teardown
  return *pool;
}

}  // namespace

int SetNumThreads(int n) {
  ThePool().Resize(std::max(1, n));
  return ThePool().size();
}
int NumThreads() { return ThePool().size(); }

int AvailableCores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

int DefaultThreads() {
  const char* env = std::getenv("LOOM_NUM_THREADS");
  char* end = nullptr;
  long n = env != nullptr ? std::strtol(env, &end, 10) : 0;
  if (env != nullptr && *env != '\0' && *end == '\0' && n >= 1 && n <= 256) return static_cast<int>(n);
  return AvailableCores();
}

void RunOnThreads(void*, int64_t n, Task task, void* arg) {
  if (n == 1) return task(arg, 0);
  if (n > 1) ThePool().Run(n, task, arg);
}

}  // namespace loom
