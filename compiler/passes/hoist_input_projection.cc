// hoist-input-projection: work a scan repeats every step moves out of the loop.
//
// 1. An op of the body whose operands are all invariants (a weight's transpose, a slice
//    of a weight, the sum of two biases) is computed once before the scan and becomes an
//    invariant itself. Broadcasts stay: elementwise-fusion reads them in place.
// 2. The product of the step input with an invariant weight becomes one GEMM over all
//    steps before the scan, read one step at a time:
//
//      scan steps(%xs: [T,B,I]) invariants(%w) { ^bb(%x, %wi): %p = matmul %x, %wi ... }
//        ==>  %P = reshape(matmul(reshape(%xs, [T*B, I]), %w), [T, B, N])
//             scan steps(%xs, %P) invariants(%w) { ^bb(%x, %p, %wi): ... }
//
//    One [T·B, I] GEMM runs near the machine's peak where T small ones did not. From
//    kPeakRows rows per step on, the step's own GEMM is at the peak already and the
//    hoisted [T·B, N] result only leaves the cache (SentimentLSTM at batch 32: forward
//    16.7 ms in the loop vs 17.3 ms hoisted, training step 67.2 vs 65.0), so those stay. loom::Jit runs this pass
//    before autodiff too, so the gradient of the hoisted GEMM is one GEMM, after the
//    reverse scan. Not a step input made by a scan marked `wavefront`: this scan reads
//    each step of it as soon as that scan makes it (passes/wavefront.cc). Not in a scan
//    of one step: there is nothing to batch (the streaming LSTM(256) step on two threads:
//    17.3 -> 16.8 µs, loomc objects taking turns).
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

// Rows per step from which the step's GEMM (weights packed once before the loop) runs at
// the kernel's peak: bench/gemm_bench, [32, K]·[K, 1024] with B packed.
constexpr int64_t kPeakRows = 32;

bool Hoistable(const Op& scan, const Op& op) {
  if (op.has_region() || op.info().has(ir::kSideEffect) || op.info().has(ir::kTerminator)) return false;
  // A broadcast is free inside a fused loop (an indexed read); hoisted, it would be a
  // materialized [B, N] tensor read every step.
  if (op.code() == OpCode::kBroadcastInDim) return false;
  for (Value* v : op.operands()) {
    if (!IsScanArgument(scan, v, kScanInvariants)) return false;
  }
  return true;
}

absl::StatusOr<bool> HoistInvariants(Op& scan) {
  Block& body = *scan.region();
  bool changed = false;
  for (auto it = body.ops().begin(); it != body.ops().end();) {
    Op* op = (it++)->get();
    if (!Hoistable(scan, *op)) continue;
    std::unordered_map<const Value*, Value*> map;
    for (Value* v : op->operands()) map[v] = ScanOperandOf(scan, v);
    ir::Builder b(scan.parent(), &scan);
    Op* outer = b.Insert(ir::CloneOp(*op, map));
    for (int r = 0; r < op->num_results(); ++r) {
      op->result(r)->ReplaceAllUsesWith(AddScanOperand(scan, kScanInvariants, outer->result(r)));
    }
    body.Erase(op);
    changed = true;
  }
  return changed;
}

absl::StatusOr<bool> HoistProjections(Op& scan) {
  Block& body = *scan.region();
  bool changed = false;
  int64_t length = scan.IntAttr("length");
  // One step (a streaming step): the hoisted GEMM would be the step's own, with a barrier
  // between it and the loop; in the loop it is computed in the cell's epilogue, a block
  // of hidden units at a time beside the recurrent product.
  if (length == 1) return false;
  // One [T·B, I] view of each step input, so that gate-fusion sees the products share it.
  std::unordered_map<Value*, Value*> rows_of;
  for (auto it = body.ops().begin(); it != body.ops().end();) {
    Op* op = (it++)->get();
    if (op->code() != OpCode::kMatmul || op->BoolAttr("transpose_a") || op->operand(0)->type().rank() != 2 ||
        op->operand(0)->type().shape[0] >= kPeakRows || !IsScanArgument(scan, op->operand(0), kScanSteps) ||
        !IsScanArgument(scan, op->operand(1), kScanInvariants)) {
      continue;
    }
    Value* xs = ScanOperandOf(scan, op->operand(0));
    if (const Op* made_by = xs->defining_op(); made_by != nullptr && made_by->BoolAttr("wavefront")) continue;
    const Shape& x = op->operand(0)->type().shape;
    const Shape& p = op->result(0)->type().shape;
    ir::Builder b(scan.parent(), &scan);
    b.set_loc(op->loc());
    Value*& rows = rows_of[xs];
    if (rows == nullptr) {
      ASSIGN_OR_RETURN(rows, b.Reshape(xs, {length * x[0], x[1]}));
    }
    ASSIGN_OR_RETURN(Value * all, b.Build(OpCode::kMatmul, {rows, ScanOperandOf(scan, op->operand(1))}, op->attrs()));
    ASSIGN_OR_RETURN(Value * steps, b.Reshape(all, {length, p[0], p[1]}));
    steps->set_name_hint(op->result(0)->name_hint());
    op->result(0)->ReplaceAllUsesWith(AddScanOperand(scan, kScanSteps, steps));
    body.Erase(op);
    changed = true;
  }
  return changed;
}

absl::StatusOr<bool> HoistBlock(Block& block) {
  bool changed = false;
  for (const auto& op : block.ops()) {
    if (op->code() != OpCode::kScan) continue;
    ASSIGN_OR_RETURN(bool inner, HoistBlock(*op->region()));
    ASSIGN_OR_RETURN(bool invariants, HoistInvariants(*op));
    ASSIGN_OR_RETURN(bool projections, HoistProjections(*op));
    changed |= inner || invariants || projections;
  }
  return changed;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Pass>> CreateHoistInputProjectionPass(absl::string_view options) {
  return MakeBodyPass("hoist-input-projection", options, HoistBlock);
}

}  // namespace loom::passes
