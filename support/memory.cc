#include "support/memory.h"

#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace loom {
namespace {

// The first number in `path` (times `scale`), or UINT64_MAX if unreadable ("max").
uint64_t ReadNumber(const char* path, const std::string& key = "", uint64_t scale = 1) {
  std::ifstream in(path);
  std::string word;
  uint64_t value = 0;
  if (key.empty()) return in >> word && absl::SimpleAtoi(word, &value) ? value * scale : UINT64_MAX;
  while (in >> word) {
    if (word == key) return in >> word && absl::SimpleAtoi(word, &value) ? value * scale : UINT64_MAX;
  }
  return UINT64_MAX;
}

uint64_t Limit(int resource) {
  rlimit r;
  return getrlimit(resource, &r) == 0 && r.rlim_cur != RLIM_INFINITY ? r.rlim_cur : UINT64_MAX;
}

}  // namespace

uint64_t AvailableMemoryBytes() {
  uint64_t available = ReadNumber("/proc/meminfo", "MemAvailable:", 1024);
  uint64_t cgroup_max = ReadNumber("/sys/fs/cgroup/memory.max");
  if (cgroup_max != UINT64_MAX) {
    uint64_t used = ReadNumber("/sys/fs/cgroup/memory.current");
    available = std::min(available, used == UINT64_MAX || used > cgroup_max ? 0 : cgroup_max - used);
  }
  return std::min({available, Limit(RLIMIT_AS), Limit(RLIMIT_DATA)});
}

absl::Status CheckAllocation(absl::string_view what, uint64_t bytes) {
  uint64_t available = AvailableMemoryBytes();
  if (bytes <= available) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrFormat("%s: %d bytes needed (%.1f GiB), %d available (%.1f GiB)", what,
                                                      bytes, bytes / 1073741824.0, available,
                                                      available / 1073741824.0));
}

AllocationFailure::AllocationFailure(uint64_t bytes) : bytes_(bytes) {
  uint64_t available = AvailableMemoryBytes();
  message_ = absl::StrFormat("cannot allocate %d bytes (%.1f GiB): out of memory (%d available, %.1f GiB)", bytes,
                             bytes / 1073741824.0, available, available / 1073741824.0);
}

}  // namespace loom
