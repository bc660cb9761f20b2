// The verifier: structural checks, attribute signatures, SSA dominance and every op's
// shape rule. Its messages name the op, its position and the offending types.
#ifndef LOOM_IR_VERIFIER_H_
#define LOOM_IR_VERIFIER_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ir/ir.h"

namespace loom::ir {

// Checks an op's operand count, segments and attributes against its row of the op table,
// then runs its shape rule. The message has no position; Verify adds it.
absl::StatusOr<std::vector<TensorType>> InferResultTypes(const Op& op);

absl::Status Verify(const Module& module);

}  // namespace loom::ir

#endif  // LOOM_IR_VERIFIER_H_
