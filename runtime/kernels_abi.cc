#include "runtime/kernels_abi.h"

#include <algorithm>

#include "runtime/thread_pool.h"

namespace {

struct Ranges {
  int64_t n, parts;
  void (*body)(void*, int64_t, int64_t);
  void* context;
};

}  // namespace

extern "C" void loom_parallel_ranges(int64_t n, void (*body)(void*, int64_t, int64_t), void* context) {
  int64_t parts = std::min<int64_t>(loom::NumThreads(), n);
  if (parts <= 1) return body(context, 0, n);
  Ranges r{n, parts, body, context};
  loom::ParallelFor(
      parts,
      [](void* c, int64_t i) {
        auto* r = static_cast<Ranges*>(c);
        r->body(r->context, i * r->n / r->parts, (i + 1) * r->n / r->parts);
      },
      &r);
}
