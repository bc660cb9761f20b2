#include "ir/types.h"

#include "absl/strings/str_cat.h"

namespace loom::ir {

std::string TensorType::ToString() const { return absl::StrCat(DTypeName(dtype), ShapeToString(shape)); }

}  // namespace loom::ir
