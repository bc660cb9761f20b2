#include "compiler/passes/scan_rewrite.h"

#include <numeric>

namespace loom::passes {

ir::Value* AddScanOperand(ir::Op& scan, int segment, ir::Value* outer) {
  std::vector<int> sizes = scan.segment_sizes();
  int at = std::accumulate(sizes.begin(), sizes.begin() + segment + 1, 0);
  std::vector<ir::Value*> operands = scan.operands();
  operands.insert(operands.begin() + at, outer);
  ++sizes[segment];
  scan.SetOperands(operands);
  scan.set_segment_sizes(sizes);
  ir::TensorType type = outer->type();
  if (segment == kScanSteps) type.shape.erase(type.shape.begin());
  return scan.region()->InsertArgument(at, type, outer->name_hint());
}

ir::Value* ScanOperandOf(const ir::Op& scan, const ir::Value* body_argument) {
  return scan.operand(body_argument->index());
}

bool IsScanArgument(const ir::Op& scan, const ir::Value* v, int segment) {
  if (v->defining_op() != nullptr || v->parent_block() != scan.region()) return false;
  const std::vector<int>& sizes = scan.segment_sizes();
  int begin = std::accumulate(sizes.begin(), sizes.begin() + segment, 0);
  return v->index() >= begin && v->index() < begin + sizes[segment];
}

bool ReadsStepsOf(const ir::Op& first, const ir::Op& second, const std::unordered_set<const ir::Value*>& tainted) {
  int carries = first.segment_sizes()[0];
  std::unordered_set<const ir::Value*> step_outputs;
  for (int r = carries; r < first.num_results(); ++r) step_outputs.insert(first.result(r));
  int steps_begin = second.segment_sizes()[0], steps_end = steps_begin + second.segment_sizes()[kScanSteps];
  bool reads = false;
  for (int i = 0; i < second.num_operands(); ++i) {
    const ir::Value* v = second.operand(i);
    if (step_outputs.count(v) && i >= steps_begin && i < steps_end) {
      reads = true;
    } else if (tainted.count(v)) {
      return false;
    }
  }
  return reads;
}

}  // namespace loom::passes
