#include "ir/attribute.h"

#include <cstring>
#include <type_traits>

namespace loom::ir {

absl::string_view AttrKindName(AttrKind kind) {
  switch (kind) {
    case AttrKind::kInt: return "int";
    case AttrKind::kFloat: return "float";
    case AttrKind::kBool: return "bool";
    case AttrKind::kString: return "string";
    case AttrKind::kInts: return "ints";
    case AttrKind::kDType: return "dtype";
    case AttrKind::kSymbol: return "symbol";
    case AttrKind::kTensor: return "tensor";
  }
  return "?";
}

bool AttrEqual(const Attribute& a, const Attribute& b) {
  if (a.index() != b.index()) return false;
  return std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        const T& y = std::get<T>(b);
        if constexpr (std::is_same_v<T, Tensor>) {
          return x.BitwiseEqual(y);
        } else if constexpr (std::is_same_v<T, double>) {
          return std::memcmp(&x, &y, sizeof(double)) == 0;  // NaN equals NaN, -0 is not 0
        } else {
          return x == y;
        }
      },
      a);
}

}  // namespace loom::ir
