// The World over Open MPI (built when CMake finds MPI: LOOM_HAVE_MPI).
#ifndef LOOM_RUNTIME_WORLD_MPI_H_
#define LOOM_RUNTIME_WORLD_MPI_H_

#include <memory>

#include "absl/status/statusor.h"
#include "loom/world.h"

namespace loom {

// Initializes MPI (MPI_THREAD_SERIALIZED: only one thread calls MPI at a time — the
// World's communication thread during a step, the caller between steps) and joins
// MPI_COMM_WORLD. Once per process.
absl::StatusOr<std::shared_ptr<World>> JoinMpiWorld(const WorldOptions& options);

}  // namespace loom

#endif  // LOOM_RUNTIME_WORLD_MPI_H_
