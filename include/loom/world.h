// loom::World — the processes of a data-parallel training run, started by Open MPI:
//
//   mpirun -np 4 loom train model.pbtxt --data corpus.txt ...
//
// Each rank trains on its share of every batch (CompileOptions::world): its gradients
// are summed with every other rank's inside the compiled training step, so every rank
// makes the same update, the one a single process would make on the whole batch.
//
// Thread safety: the collectives run on one communication thread of the World's; call
// a World's methods from one thread at a time, between training steps.
#ifndef LOOM_WORLD_H_
#define LOOM_WORLD_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"

namespace loom {

class Collectives;

struct WorldOptions {
  // How long a rank waits for the others at a collective before it gives up and stops
  // the job (a rank that died or hangs): long enough for the slowest rank's compile and
  // validation.
  double timeout_seconds = 300;
};

class World {
 public:
  // The job this process belongs to: under mpirun (Open MPI's environment), MPI's world
  // of processes; otherwise this process alone. Joined once per process (MPI can be
  // initialized once): later calls return the same World.
  static absl::StatusOr<std::shared_ptr<World>> Join(const WorldOptions& options = {});
  virtual ~World() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Every rank calls it: the smallest of their values (agreeing on a step, say).
  virtual absl::StatusOr<int64_t> Min(int64_t value) = 0;
  // Every rank calls it: returns when all have.
  absl::Status Barrier() { return Min(0).status(); }
  // After an error on this rank: stops every rank of the job, this one with `code`
  // (MPI_Abort), so that none waits for it. Returns only for a world of one.
  virtual void Abort(int code) = 0;
  // What compiled code sums over (internal: support/collectives.h).
  virtual Collectives& collectives() = 0;

  // What this rank's sums of training steps have carried so far; how long the steps
  // waited for them (the part of their time the backward pass did not hide); the window
  // they had: from a step's first message to the first sum it needed; and the time of
  // the per-step agreements (Min).
  struct Traffic {
    int64_t bytes = 0, messages = 0;
    double wait_seconds = 0, window_seconds = 0, agree_seconds = 0;
  };
  virtual Traffic traffic() const { return {}; }
};

}  // namespace loom

#endif  // LOOM_WORLD_H_
