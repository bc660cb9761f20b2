// Shape rules: one per row family of ops.def. Each computes an op's result types from
// its operands, attributes and region, and is the op's verifier: a malformed op gets a
// message naming the op and the offending types. Attribute presence and kinds are
// checked before a rule runs (see verifier.h).
#ifndef LOOM_IR_SHAPE_RULES_H_
#define LOOM_IR_SHAPE_RULES_H_

#include <vector>

#include "absl/status/statusor.h"
#include "ir/types.h"

namespace loom::ir {

class Op;

// Declared straight from the table (a rule shared by several rows is declared again,
// which C++ allows), so the list of rules lives in ops.def alone.
#define OP(Enum, name, operands, attrs, rule, traits) absl::StatusOr<std::vector<TensorType>> Infer##rule(const Op& op);
#include "ir/ops.def"
#undef OP

}  // namespace loom::ir

#endif  // LOOM_IR_SHAPE_RULES_H_
