// The files a training run writes beside its checkpoint, and what keeps them consistent
// between runs: CKPT.lock (an advisory lock, so that a second `loom train` with the same
// --save is refused rather than interleaved), CKPT.csv (the log, cut back to the
// checkpoint's step on --resume), and the identity of the data (its size and hash, kept
// in the checkpoint, so that --resume on other data is refused).
#ifndef LOOM_TOOLS_LOOM_RUN_FILES_H_
#define LOOM_TOOLS_LOOM_RUN_FILES_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace loom::cli {

class RunLock {
 public:
  // Checks that `checkpoint` can be written (not a directory, in a directory that exists
  // and is writable) by taking CHECKPOINT.lock; refused when another process holds it.
  // Done before anything is compiled or trained.
  static absl::StatusOr<RunLock> Take(const std::string& checkpoint);
  RunLock(RunLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  RunLock& operator=(RunLock&&) = delete;
  ~RunLock();

 private:
  explicit RunLock(int fd) : fd_(fd) {}
  int fd_;
};

// Keeps the header and the rows of `log` up to `step` (rows a killed run wrote after its
// last checkpoint), atomically. No log: nothing to do.
absl::Status TruncateLog(const std::string& log, int64_t step);

// The metadata that names the data a run trains on ("data_bytes", "data_hash").
absl::StatusOr<std::map<std::string, std::string>> DataIdentity(const std::string& data_path);
// OK when `checkpoint_metadata` names the same data as `identity`; otherwise an error
// that says how they differ and how to resume anyway (--other-data).
absl::Status CheckSameData(const std::map<std::string, std::string>& checkpoint_metadata,
                           const std::map<std::string, std::string>& identity, const std::string& data_path,
                           const std::string& checkpoint);

}  // namespace loom::cli

#endif  // LOOM_TOOLS_LOOM_RUN_FILES_H_
