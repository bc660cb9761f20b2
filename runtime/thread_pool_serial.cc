// The thread pool of the kernels linked into loomc's objects: none. Every ParallelFor
// runs on the calling thread, so those objects need no threads and no C++ runtime.
#include "runtime/thread_pool.h"

namespace loom {

void SetNumThreads(int) {}
int NumThreads() { return 1; }

void ParallelFor(int64_t n, Task task, void* context) {
  for (int64_t i = 0; i < n; ++i) task(context, i);
}

}  // namespace loom
