// What a data-parallel run's ranks do together: sum buffers across the ranks (MPI's
// all-reduce). The IR's all_reduce op calls it — the interpreter blocking, generated
// code split in two (Start where the operands are final, Wait before the first use) so
// that the messages travel while the backward pass goes on. runtime/world.h implements
// it over Open MPI; without one (a single process) all_reduce is the identity.
#ifndef LOOM_SUPPORT_COLLECTIVES_H_
#define LOOM_SUPPORT_COLLECTIVES_H_

#include <cstdint>

#include "absl/status/status.h"
#include "loom/dtype.h"

namespace loom {

class Collectives {
 public:
  virtual ~Collectives() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Starts replacing the `count` elements at `data` by their sum over the ranks; `id`
  // names the operation until Wait (a function's bucket number). Every rank starts the
  // same ids in the same order. Failures are kept for TakeError: the compiled code that
  // calls these has no way to stop.
  virtual void Start(int64_t id, void* data, int64_t count, DType dtype) = 0;
  // Returns when operation `id` is done (or has failed).
  virtual void Wait(int64_t id) = 0;
  // The first failure since the last call (a rank gone, a timeout), and forgets it.
  virtual absl::Status TakeError() = 0;
};

// Start, Wait and TakeError in one: a blocking sum in place.
inline absl::Status AllReduce(Collectives& c, void* data, int64_t count, DType dtype) {
  c.Start(0, data, count, dtype);
  c.Wait(0);
  return c.TakeError();
}

}  // namespace loom

#endif  // LOOM_SUPPORT_COLLECTIVES_H_
