#include "ir/work.h"

#include <algorithm>

namespace loom::ir {

double WorkOf(const Op& op) {
  if (op.num_results() == 0) return 0;
  double elements = static_cast<double>(op.result(0)->type().num_elements());
  if (op.code() == OpCode::kMatmul) {
    const TensorType& a = op.operand(0)->type();
    return 2 * elements * static_cast<double>(a.shape[a.rank() - (op.BoolAttr("transpose_a") ? 2 : 1)]);
  }
  if (op.code() == OpCode::kFusion) return elements * static_cast<double>(op.region()->ops().size());
  if (op.code() == OpCode::kScan) return 0;
  if (op.num_operands() > 0) elements = std::max(elements, static_cast<double>(op.operand(0)->type().num_elements()));
  return elements;
}

}  // namespace loom::ir
