// Functions generated code calls, with C linkage. Their names are part of the ABI
// between codegen and runtime: the JIT resolves them in the host process. Objects built
// by loomc call none of them (their products run on the calling thread).
#ifndef LOOM_RUNTIME_KERNELS_ABI_H_
#define LOOM_RUNTIME_KERNELS_ABI_H_

#include <cstdint>

extern "C" {
// Calls body(context, begin, end) for ranges that together cover [0, n), one per thread
// of the runtime's pool (runtime/thread_pool.h), and returns when all have finished: a
// generated matrix product hands it its column panels.
void loom_parallel_ranges(int64_t n, void (*body)(void* context, int64_t begin, int64_t end), void* context);
}

// Every runtime function generated code may call, for the JIT to resolve: X(name).
#define LOOM_RUNTIME_KERNELS(X) X(loom_parallel_ranges)

#endif  // LOOM_RUNTIME_KERNELS_ABI_H_
