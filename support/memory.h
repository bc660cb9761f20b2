// How much memory the process may still take, so that a model too big for the machine
// is refused with its size before anything is allocated (rather than killed midway).
#ifndef LOOM_SUPPORT_MEMORY_H_
#define LOOM_SUPPORT_MEMORY_H_

#include <cstdint>
#include <new>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace loom {

// The least of: the memory the kernel reports available (MemAvailable), the cgroup's
// limit less its usage (containers), and RLIMIT_AS / RLIMIT_DATA.
uint64_t AvailableMemoryBytes();

// "WHAT: N bytes needed (x GiB), M available (y GiB)" (ResourceExhausted) when `bytes`
// exceed AvailableMemoryBytes(); OK otherwise.
absl::Status CheckAllocation(absl::string_view what, uint64_t bytes);

// An allocation the system refused (or one too large to ask for). What Tensor throws,
// like std::bad_alloc but with the size: "cannot allocate N bytes (x GiB): M available".
// Each tool's main catches it, and std::bad_alloc from anywhere else (LLVM, protobuf,
// containers), and prints it as an error instead of dying.
class AllocationFailure : public std::bad_alloc {
 public:
  explicit AllocationFailure(uint64_t bytes);
  const char* what() const noexcept override { return message_.c_str(); }
  uint64_t bytes() const { return bytes_; }

 private:
  uint64_t bytes_;
  std::string message_;
};

}  // namespace loom

#endif  // LOOM_SUPPORT_MEMORY_H_
