// OpCode and OpInfo: the op table of ops.def as C++ data.
#ifndef LOOM_IR_OP_INFO_H_
#define LOOM_IR_OP_INFO_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ir/attribute.h"
#include "ir/types.h"

namespace loom::ir {

class Op;

enum class OpCode {
#define OP(Enum, name, operands, attrs, rule, traits) k##Enum,
#include "ir/ops.def"
#undef OP
};
inline constexpr int kNumOpCodes = 0
#define OP(Enum, name, operands, attrs, rule, traits) +1
#include "ir/ops.def"
#undef OP
    ;

enum OpTraits : unsigned {
  kElementwise = 1u << 0,
  kSideEffect = 1u << 1,
  kTerminator = 1u << 2,
  kRegion = 1u << 3,
  kIndexing = 1u << 4,
};
inline constexpr int kVariadic = -1;

// Operands are either a count (or kVariadic) or named segments.
struct OperandSpec {
  constexpr OperandSpec(int n) : count(n) {}
  constexpr OperandSpec(const char* s) : count(kVariadic), segments(s) {}
  int count;
  const char* segments = nullptr;
};

struct AttrSpec {
  std::string name;
  AttrKind kind;
  bool optional;
};
struct SegmentSpec {
  std::string name;
  bool optional;  // at most one value, may be left out
};

// Computes the result types of an op from its operands, attributes and region, or says
// why the op is malformed (without a location: the caller adds it).
using ShapeRule = absl::StatusOr<std::vector<TensorType>> (*)(const Op& op);

struct OpInfo {
  OpCode code;
  absl::string_view name;
  OperandSpec operands;
  ShapeRule infer;
  unsigned traits;
  std::vector<AttrSpec> attrs;        // parsed from the table's attribute string
  std::vector<SegmentSpec> segments;  // empty for ops without operand groups

  bool has(OpTraits t) const { return (traits & t) != 0; }
  const AttrSpec* FindAttr(absl::string_view attr) const;
};

const OpInfo& GetOpInfo(OpCode code);
std::optional<OpCode> ParseOpCode(absl::string_view name);
absl::string_view OpName(OpCode code);

}  // namespace loom::ir

#endif  // LOOM_IR_OP_INFO_H_
