// NumPy .npy files (format versions 1.0-3.0, little-endian, C order): how weights and
// inputs move between Loom and NumPy/PyTorch.
#ifndef LOOM_RUNTIME_NPY_H_
#define LOOM_RUNTIME_NPY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "loom/tensor.h"

namespace loom {

// `name` is used in error messages only.
absl::StatusOr<Tensor> ParseNpy(absl::string_view bytes, absl::string_view name);
std::string EncodeNpy(const Tensor& tensor);
// What EncodeNpy writes before the data.
std::string NpyHeader(DType dtype, const Shape& shape);

absl::StatusOr<Tensor> ReadNpy(const std::string& path);
// Through WriteFileAtomically (support/files.h): a reader never sees half a file, and a
// failed write leaves any old file as it was.
absl::Status WriteNpy(const std::string& path, const Tensor& tensor);

}  // namespace loom

#endif  // LOOM_RUNTIME_NPY_H_
