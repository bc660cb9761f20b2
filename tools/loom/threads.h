// --threads N for the commands that run compiled code (train, eval, run, sample): the
// threads loom::Jit splits large products among, by default DefaultThreads() (the cores
// the process may use, or $LOOM_NUM_THREADS). Results are the same for every N.
#ifndef LOOM_TOOLS_LOOM_THREADS_H_
#define LOOM_TOOLS_LOOM_THREADS_H_

#include "absl/status/statusor.h"
#include "tools/common/flags.h"

namespace loom::cli {

using flags::Args;

// The count asked for (or the default), checked: for JitOptions::threads.
absl::StatusOr<int> ThreadsOption(const Args& args);

}  // namespace loom::cli

#endif  // LOOM_TOOLS_LOOM_THREADS_H_
