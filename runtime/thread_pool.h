// The runtime's worker threads, on which compiled functions run (each thread its share
// of every large op: compiler/codegen/threads.h). One pool per process, sized by
// SetNumThreads (until then 1: the caller's thread only); the tools and loom::Jit size
// it to DefaultThreads() or to what --threads / JitOptions::threads ask.
#ifndef LOOM_RUNTIME_THREAD_POOL_H_
#define LOOM_RUNTIME_THREAD_POOL_H_

#include <cstdint>

namespace loom {

// Threads to use, the caller's included; at least 1. Waits for running calls. Returns how many the pool has: fewer than
// `n` when the system would not start more.
int SetNumThreads(int n);
int NumThreads();

// The cores this process may run on: its CPU affinity mask (the hardware's count when
// the mask cannot be read).
int AvailableCores();
// $LOOM_NUM_THREADS when it is a number from 1 to 256 (as OMP_NUM_THREADS is for
// OpenMP: the tests set it to 1), else AvailableCores().
int DefaultThreads();

// Runs task(arg, i) for every i in [0, n) on n threads at once — the caller's and the
// pool's, and more started for this call if the pool has fewer — and returns when all
// have returned: the tasks may wait for each other (generated code's threads meet at
// barriers). The launcher of the JIT's compiled functions (codegen::ArenaHeader::launch,
// whose first argument, unused here, is its context). Calls from several threads at
// once take turns.
using Task = void (*)(void* arg, int64_t i);
void RunOnThreads(void* unused, int64_t n, Task task, void* arg);

}  // namespace loom

#endif  // LOOM_RUNTIME_THREAD_POOL_H_
