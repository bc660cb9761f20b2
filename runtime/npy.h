// NumPy .npy files (format versions 1.0-3.0, little-endian, C order): how weights and
// inputs move between Loom and NumPy/PyTorch.
#ifndef LOOM_RUNTIME_NPY_H_
#define LOOM_RUNTIME_NPY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "support/tensor.h"

namespace loom {

// `name` is used in error messages only.
absl::StatusOr<Tensor> ParseNpy(absl::string_view bytes, absl::string_view name);
std::string EncodeNpy(const Tensor& tensor);
// What EncodeNpy writes before the data.
std::string NpyHeader(DType dtype, const Shape& shape);

absl::StatusOr<Tensor> ReadNpy(const std::string& path);
// Writes to a temporary file beside `path` and renames it, so a reader never sees half a
// file and a failed write leaves any old file as it was.
absl::Status WriteNpy(const std::string& path, const Tensor& tensor);

// Shared by every writer of user files: temp file + rename.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents);
// Whether WriteFileAtomically(path, ...) can succeed: `path` is not a directory and its
// directory exists and is writable. The tools check their outputs with it before any
// work, with the message the write itself would give.
absl::Status CheckWritable(const std::string& path);
absl::StatusOr<std::string> ReadFile(const std::string& path);

}  // namespace loom

#endif  // LOOM_RUNTIME_NPY_H_
