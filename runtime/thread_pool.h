// The runtime's worker threads: kernels split large pieces of work (a GEMM's column
// blocks) across them. One pool per process, sized by SetNumThreads (until then 1: the
// caller's thread only); the tools and loom::Jit size it to DefaultThreads() or to
// what --threads / JitOptions::threads ask. Each output element is computed by one
// thread in one order, so results do not depend on the thread count.
#ifndef LOOM_RUNTIME_THREAD_POOL_H_
#define LOOM_RUNTIME_THREAD_POOL_H_

#include <cstdint>
#include <utility>

namespace loom {

// Threads to use, the caller's included; at least 1. Not to be called while kernels run.
// Returns how many the pool has: fewer than `n` when the system would not start more.
int SetNumThreads(int n);
int NumThreads();

// The cores this process may run on: its CPU affinity mask (the hardware's count when
// the mask cannot be read).
int AvailableCores();
// $LOOM_NUM_THREADS when it is a number from 1 to 256 (as OMP_NUM_THREADS is for
// OpenMP: the tests set it to 1), else AvailableCores().
int DefaultThreads();

// Runs task(context, i) for every i in [0, n), spread over the pool and the calling
// thread, and returns when all have finished. Calls from several threads at once are
// serialized. A plain function pointer, so that the serial build of the kernels (for
// loomc's objects, runtime/thread_pool_serial.cc) needs no C++ runtime library.
using Task = void (*)(void* context, int64_t i);
void ParallelFor(int64_t n, Task task, void* context);

// The same for a callable f(i).
template <typename F>
void ParallelFor(int64_t n, F&& f) {
  using Fn = std::remove_reference_t<F>;
  ParallelFor(
      n, [](void* c, int64_t i) { (*static_cast<Fn*>(c))(i); }, const_cast<void*>(static_cast<const void*>(&f)));
}

}  // namespace loom

#endif  // LOOM_RUNTIME_THREAD_POOL_H_
