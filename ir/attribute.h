// Op attributes: typed constants attached to an op by name.
#ifndef LOOM_IR_ATTRIBUTE_H_
#define LOOM_IR_ATTRIBUTE_H_

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "loom/tensor.h"

namespace loom::ir {

struct SymbolRef {
  std::string name;  // without the '@'
  bool operator==(const SymbolRef&) const = default;
};

// The kinds, in the order of the variant's alternatives.
enum class AttrKind { kInt, kFloat, kBool, kString, kInts, kDType, kSymbol, kTensor };

using Attribute = std::variant<int64_t, double, bool, std::string, std::vector<int64_t>, DType, SymbolRef, Tensor>;
// Sorted by name, so printing is deterministic.
using AttrMap = std::map<std::string, Attribute>;

inline AttrKind KindOf(const Attribute& a) { return static_cast<AttrKind>(a.index()); }
absl::string_view AttrKindName(AttrKind kind);
bool AttrEqual(const Attribute& a, const Attribute& b);

}  // namespace loom::ir

#endif  // LOOM_IR_ATTRIBUTE_H_
