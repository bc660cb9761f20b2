#include "tools/loom/run_files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "runtime/data/utf8.h"
#include "support/files.h"
#include "support/hash.h"

namespace loom::cli {

absl::StatusOr<RunLock> RunLock::Take(const std::string& checkpoint) {
  std::error_code ec;
  if (std::filesystem::is_directory(checkpoint, ec)) {
    return absl::InvalidArgumentError(absl::StrCat(checkpoint, ": is a directory, not a checkpoint file"));
  }
  if (absl::Status writable = CheckWritable(checkpoint); !writable.ok()) return writable;
  std::string path = checkpoint + ".lock";
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) return absl::PermissionDeniedError(absl::StrCat(checkpoint, ": cannot write: ", std::strerror(errno)));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char pid[32] = {};
    (void)!pread(fd, pid, sizeof pid - 1, 0);
    close(fd);
    return absl::FailedPreconditionError(absl::StrCat(checkpoint, ": another loom train (pid ",
                                                      absl::StripTrailingAsciiWhitespace(pid),
                                                      ") is writing it; wait for it, or --save elsewhere"));
  }
  std::string me = absl::StrCat(getpid(), "\n");
  if (ftruncate(fd, 0) != 0 || pwrite(fd, me.data(), me.size(), 0) < 0) {
    close(fd);
    return absl::PermissionDeniedError(absl::StrCat(checkpoint, ": cannot write: ", std::strerror(errno)));
  }
  return RunLock(fd);
}

RunLock::~RunLock() {
  if (fd_ >= 0) close(fd_);  // releases the lock; the file stays (removing it would race)
}

absl::Status TruncateLog(const std::string& log, int64_t step) {
  absl::StatusOr<std::string> text = ReadFile(log);
  if (!text.ok()) return absl::OkStatus();
  std::string kept;
  bool header = true;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    int64_t row_step;
    std::string first(line.substr(0, line.find(',')));
    if (header || (absl::SimpleAtoi(first, &row_step) && row_step <= step)) absl::StrAppend(&kept, line, "\n");
    header = false;
  }
  return WriteFileAtomically(log, kept);
}

absl::StatusOr<std::map<std::string, std::string>> DataIdentity(const std::string& data_path) {
  absl::StatusOr<std::string> bytes = data::ReadDataFile(data_path);
  if (!bytes.ok()) return bytes.status();
  return std::map<std::string, std::string>{{"data_bytes", absl::StrCat(bytes->size())},
                                            {"data_hash", absl::StrCat(absl::Hex(Hash64(*bytes), absl::kZeroPad16))}};
}

absl::Status CheckSameData(const std::map<std::string, std::string>& checkpoint_metadata,
                           const std::map<std::string, std::string>& identity, const std::string& data_path,
                           const std::string& checkpoint) {
  auto bytes = checkpoint_metadata.find("data_bytes"), hash = checkpoint_metadata.find("data_hash");
  if (bytes == checkpoint_metadata.end() || hash == checkpoint_metadata.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat(checkpoint, " does not record the data it was trained on, so resuming on ", data_path,
                     " cannot be checked; pass --other-data to resume anyway"));
  }
  if (bytes->second == identity.at("data_bytes") && hash->second == identity.at("data_hash")) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(data_path, " is not the data ", checkpoint, " was trained on (", identity.at("data_bytes"),
                   " bytes, hash ", identity.at("data_hash"), "; the checkpoint's: ", bytes->second, " bytes, hash ",
                   hash->second, "); pass --other-data to resume on it anyway"));
}

}  // namespace loom::cli
