// Element types shared by the IR, the interpreter and the runtime.
#ifndef LOOM_DTYPE_H_
#define LOOM_DTYPE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

#include "absl/strings/string_view.h"

namespace loom {

enum class DType : uint8_t { kF32, kF64, kI32, kI64, kI1 };
inline constexpr DType kAllDTypes[] = {DType::kF32, DType::kF64, DType::kI32, DType::kI64, DType::kI1};

absl::string_view DTypeName(DType dtype);
std::optional<DType> ParseDType(absl::string_view name);
size_t DTypeSize(DType dtype);
inline bool IsFloat(DType d) { return d == DType::kF32 || d == DType::kF64; }
inline bool IsInteger(DType d) { return d == DType::kI32 || d == DType::kI64; }
inline bool IsNumeric(DType d) { return d != DType::kI1; }

// Calls fn(T{}) with the C++ element type of `dtype` (i1 is stored as bool).
template <typename Fn>
decltype(auto) VisitDType(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::kF32: return std::forward<Fn>(fn)(float{});
    case DType::kF64: return std::forward<Fn>(fn)(double{});
    case DType::kI32: return std::forward<Fn>(fn)(int32_t{});
    case DType::kI64: return std::forward<Fn>(fn)(int64_t{});
    case DType::kI1: break;
  }
  return std::forward<Fn>(fn)(bool{});
}

template <typename T>
constexpr DType DTypeOf();
template <>
constexpr DType DTypeOf<float>() {
  return DType::kF32;
}
template <>
constexpr DType DTypeOf<double>() {
  return DType::kF64;
}
template <>
constexpr DType DTypeOf<int32_t>() {
  return DType::kI32;
}
template <>
constexpr DType DTypeOf<int64_t>() {
  return DType::kI64;
}
template <>
constexpr DType DTypeOf<bool>() {
  return DType::kI1;
}

}  // namespace loom

#endif  // LOOM_DTYPE_H_
