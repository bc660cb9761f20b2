// Whole files in and out, as every reader and writer of user files needs them: a
// directory named where a file should be is an error that says so, and a write goes to a
// temporary file beside the target (mkstemp, fsync) renamed over it, so a reader never
// sees half a file and a failed write (or a crash) leaves the old one as it was.
#ifndef LOOM_SUPPORT_FILES_H_
#define LOOM_SUPPORT_FILES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace loom {

absl::StatusOr<std::string> ReadFile(const std::string& path);
absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents);
// Whether WriteFileAtomically(path, ...) can succeed: `path` is not a directory and its
// directory exists and is writable. The tools check their outputs with it before any
// work, with the message the write itself would give.
absl::Status CheckWritable(const std::string& path);

// Makes `dir` and its missing parents (nothing when it exists).
absl::Status CreateDirectories(const std::string& dir);

}  // namespace loom

#endif  // LOOM_SUPPORT_FILES_H_
