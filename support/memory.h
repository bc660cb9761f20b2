// How much memory the process may still take, so that a model too big for the machine
// is refused with its size before anything is allocated (rather than killed midway).
#ifndef LOOM_SUPPORT_MEMORY_H_
#define LOOM_SUPPORT_MEMORY_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace loom {

// The least of: the memory the kernel reports available (MemAvailable), the cgroup's
// limit less its usage (containers), and RLIMIT_AS / RLIMIT_DATA.
uint64_t AvailableMemoryBytes();

// "WHAT: N bytes needed (x GiB), M available (y GiB)" (ResourceExhausted) when `bytes`
// exceed AvailableMemoryBytes(); OK otherwise.
absl::Status CheckAllocation(absl::string_view what, uint64_t bytes);

}  // namespace loom

#endif  // LOOM_SUPPORT_MEMORY_H_
