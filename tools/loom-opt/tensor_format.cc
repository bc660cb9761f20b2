#include "tools/loom-opt/tensor_format.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace loom {
namespace {

void Append(const Tensor& t, size_t dim, int64_t& index, std::string& out) {
  if (dim == t.shape().size()) {
    if (IsFloat(t.dtype())) {
      absl::StrAppendFormat(&out, "%.7g", t.GetDouble(index++));
    } else if (t.dtype() == DType::kI1) {
      absl::StrAppend(&out, t.values<bool>()[index++] ? "true" : "false");
    } else if (t.dtype() == DType::kI64) {
      absl::StrAppend(&out, t.values<int64_t>()[index++]);
    } else {
      absl::StrAppend(&out, t.values<int32_t>()[index++]);
    }
    return;
  }
  out += "[";
  for (int64_t i = 0; i < t.shape()[dim]; ++i) {
    if (i) out += ", ";
    Append(t, dim + 1, index, out);
  }
  out += "]";
}

}  // namespace

std::string FormatTensorValues(const Tensor& t) {
  std::string out;
  int64_t index = 0;
  Append(t, 0, index, out);
  return out;
}

}  // namespace loom
