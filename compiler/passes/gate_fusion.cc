// gate-fusion: matmuls that share their left operand become one matmul over the
// concatenation of their right operands, and slices of its result:
//
//   %i = matmul %h, %wi {transpose_b}   %f = matmul %h, %wf {transpose_b}   (both [B, H])
//     ==>  %w = concat %wi, %wf {axis = 0}          ; before the scan: once per call
//          %if = matmul %h, %w {transpose_b}        ; [B, 2H]: one GEMM per step
//          %i = slice %if [0:B, 0:H]   %f = slice %if [0:B, H:2H]
//
// A custom cell's per-gate products become one GEMM; so do the reverse scan's products
// of the gate gradients with the layer's input and state (the weight gradients). It
// pays where the concatenation is cheap next to the product: the right operands are
// invariants of the enclosing scan (the concat goes before the loop), or the product has
// many rows (a hoisted projection; the [4H, ·] weight gradients).
// Parameters themselves keep PyTorch's layout; only the function concatenates them.
#include <algorithm>
#include <map>
#include <tuple>
#include <unordered_map>

#include "compiler/passes/passes.h"
#include "compiler/passes/scan_rewrite.h"
#include "ir/builder.h"
#include "support/status_macros.h"

namespace loom::passes {
namespace {

using ir::Block;
using ir::Op;
using ir::OpCode;
using ir::Value;

// Below this many rows of the product, concatenating the right operands where they are
// (every call, or every step) costs about as much as the separate products.
constexpr int64_t kMinRows = 16;

absl::Status FuseGroup(Block& block, Op* scan, const std::vector<Op*>& mms) {
  Op* first = mms.front();
  bool tb = first->BoolAttr("transpose_b");
  std::vector<Value*> weights;
  // The concatenation: before the scan for invariants, else before the first product.
  bool invariant = scan && std::all_of(mms.begin(), mms.end(),
                                       [&](Op* m) { return IsScanArgument(*scan, m->operand(1), kScanInvariants); });
  ir::Builder outer = invariant ? ir::Builder(scan->parent(), scan) : ir::Builder(&block, first);
  outer.set_loc(first->loc());
  for (Op* m : mms) weights.push_back(invariant ? ScanOperandOf(*scan, m->operand(1)) : m->operand(1));
  ASSIGN_OR_RETURN(Value * concat, outer.Concat(weights, tb ? 0 : 1));
  Value* w = invariant ? AddScanOperand(*scan, kScanInvariants, concat) : concat;
  ir::Builder b(&block, first);
  b.set_loc(first->loc());
  ASSIGN_OR_RETURN(Value * fused, b.Build(OpCode::kMatmul, {first->operand(0), w}, first->attrs()));
  int64_t rows = fused->type().shape[0], offset = 0;
  for (Op* m : mms) {
    int64_t n = m->result(0)->type().shape[1];
    ASSIGN_OR_RETURN(Value * part, b.Slice(fused, {0, offset}, {rows, offset + n}));
    part->set_name_hint(m->result(0)->name_hint());
    m->result(0)->ReplaceAllUsesWith(part);
    offset += n;
  }
  for (Op* m : mms) block.Erase(m);
  return absl::OkStatus();
}

absl::StatusOr<bool> FuseBlock(Block& block, Op* scan) {
  bool changed = false;
  for (const auto& op : block.ops()) {
    if (op->code() != OpCode::kScan) continue;
    ASSIGN_OR_RETURN(bool c, FuseBlock(*op->region(), op.get()));
    changed |= c;
  }
  std::unordered_map<const Op*, int> position;
  int i = 0;
  for (const auto& op : block.ops()) position[op.get()] = i++;
  // Products by (left operand, transposes, K, dtype), in block order.
  std::map<std::tuple<const Value*, bool, bool, int64_t, DType>, std::vector<Op*>> groups;
  std::vector<std::tuple<const Value*, bool, bool, int64_t, DType>> order;
  for (const auto& op : block.ops()) {
    if (op->code() != OpCode::kMatmul || op->operand(0)->type().rank() != 2) continue;
    bool ta = op->BoolAttr("transpose_a"), tb = op->BoolAttr("transpose_b");
    const ir::TensorType& w = op->operand(1)->type();
    bool invariant = scan && IsScanArgument(*scan, op->operand(1), kScanInvariants);
    bool many_rows = op->result(0)->type().shape[0] >= kMinRows;
    if (!invariant && !many_rows) continue;
    auto key = std::make_tuple(op->operand(0), ta, tb, tb ? w.shape[1] : w.shape[0], w.dtype);
    if (!groups.count(key)) order.push_back(key);
    groups[key].push_back(op.get());
  }
  for (const auto& key : order) {
    std::vector<Op*>& mms = groups.at(key);
    if (mms.size() < 2) continue;
    // Every right operand must exist before the first product, where the fused one goes.
    bool ready = true;
    for (Op* m : mms) {
      const Op* def = m->operand(1)->defining_op();
      ready &= def == nullptr || position.at(def) < position.at(mms.front());
    }
    if (!ready) continue;
    RETURN_IF_ERROR(FuseGroup(block, scan, mms));
    changed = true;
  }
  return changed;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Pass>> CreateGateFusionPass(absl::string_view options) {
  return MakeBodyPass("gate-fusion", options, [](ir::Block& body) { return FuseBlock(body, nullptr); });
}

}  // namespace loom::passes
