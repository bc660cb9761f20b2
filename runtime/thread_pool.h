// The runtime's worker threads: kernels split large pieces of work (a GEMM's column
// blocks) across them. One pool per process, sized by SetNumThreads (default 1: the
// caller's thread only); `loom train --threads N` sets it.
#ifndef LOOM_RUNTIME_THREAD_POOL_H_
#define LOOM_RUNTIME_THREAD_POOL_H_

#include <cstdint>
#include <functional>

namespace loom {

// Threads to use, the caller's included; at least 1. Not to be called while kernels run.
void SetNumThreads(int n);
int NumThreads();

// Runs fn(i) for every i in [0, n), spread over the pool and the calling thread, and
// returns when all have finished. Calls from several threads at once are serialized.
void ParallelFor(int64_t n, const std::function<void(int64_t)>& fn);

}  // namespace loom

#endif  // LOOM_RUNTIME_THREAD_POOL_H_
