// absl::Status into Python exceptions: an error is the exception Python code expects
// for it (ValueError for a bad shape, dtype or value; MemoryError for memory the system
// will not give), with the message the command-line tools print.
#ifndef LOOM_PYTHON_STATUS_H_
#define LOOM_PYTHON_STATUS_H_

#include <utility>

#include "absl/status/statusor.h"

namespace loom::python {

// Throws the Python exception for `status` (which must not be OK).
[[noreturn]] void Raise(const absl::Status& status);

inline void Check(const absl::Status& status) {
  if (!status.ok()) Raise(status);
}

template <typename T>
T Unwrap(absl::StatusOr<T> value) {
  if (!value.ok()) Raise(value.status());
  return *std::move(value);
}

}  // namespace loom::python

#endif  // LOOM_PYTHON_STATUS_H_
