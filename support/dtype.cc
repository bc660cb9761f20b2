#include "loom/dtype.h"

namespace loom {

absl::string_view DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kF32: return "f32";
    case DType::kF64: return "f64";
    case DType::kI32: return "i32";
    case DType::kI64: return "i64";
    case DType::kI1: return "i1";
  }
  return "?";
}

std::optional<DType> ParseDType(absl::string_view name) {
  for (DType d : kAllDTypes) {
    if (DTypeName(d) == name) return d;
  }
  return std::nullopt;
}

size_t DTypeSize(DType dtype) {
  return VisitDType(dtype, [](auto t) { return sizeof(t); });
}

}  // namespace loom
