#include "loom/world.h"

#include <cstdlib>
#include <mutex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "support/collectives.h"
#ifdef LOOM_HAVE_MPI
#include "runtime/world_mpi.h"
#endif

namespace loom {
namespace {

// A world of one process: every collective is the identity.
class Alone final : public World, public Collectives {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  absl::StatusOr<int64_t> Min(int64_t value) override { return value; }
  void Abort(int) override {}
  Collectives& collectives() override { return *this; }
  void Start(int64_t, void*, int64_t, DType) override {}
  void Wait(int64_t) override {}
  absl::Status TakeError() override { return absl::OkStatus(); }
};

// The number of processes mpirun started, from Open MPI's environment (0: not
// started by mpirun).
int LaunchedProcesses() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE"}) {
    int n = 0;
    const char* v = std::getenv(name);
    if (v != nullptr && absl::SimpleAtoi(v, &n) && n > 0) return n;
  }
  return 0;
}

}  // namespace

absl::StatusOr<std::shared_ptr<World>> World::Join(const WorldOptions& options) {
  static std::mutex mu;
  static std::shared_ptr<World>* joined = new std::shared_ptr<World>;  // for the process's life
  std::lock_guard<std::mutex> lock(mu);
  if (*joined) return *joined;
  if (!(options.timeout_seconds > 0)) {
    return absl::InvalidArgumentError(absl::StrCat("the rank timeout must be positive, got ", options.timeout_seconds));
  }
  int launched = LaunchedProcesses();
  if (launched <= 1) {
    *joined = std::make_shared<Alone>();
    return *joined;
  }
#ifdef LOOM_HAVE_MPI
  absl::StatusOr<std::shared_ptr<World>> world = JoinMpiWorld(options);
  if (world.ok()) *joined = *world;
  return world;
#else
  return absl::FailedPreconditionError(
      absl::StrCat("started by mpirun as one of ", launched,
                   " processes, but this Loom was built without MPI (install libopenmpi-dev and build again)"));
#endif
}

}  // namespace loom
