#include "tools/loom/threads.h"

#include "runtime/thread_pool.h"
#include "support/status_macros.h"

namespace loom::cli {

absl::StatusOr<int> ThreadsOption(const Args& args) {
  ASSIGN_OR_RETURN(int64_t threads, args.GetInt("--threads", DefaultThreads()));
  if (threads < 1 || threads > 256) return absl::InvalidArgumentError("--threads takes 1 to 256");
  return static_cast<int>(threads);
}

}  // namespace loom::cli
