// dce: removes ops whose results are unused and that have no side effect, and trims
// scans of what nobody reads:
//
//   %c, %ys = scan carries(%c0) steps(%xs) invariants(%w) {...}   ; %ys unused
//     ==>  %c = scan carries(%c0) steps(%xs) invariants(%w) {...}  ; yields %c only
//
// A per-step output that is unused goes; so does an invariant or per-step input the body
// never reads, and a carry whose final value is unused and whose body argument is
// unused (nothing in the loop depends on it).
#include <algorithm>

#include "compiler/passes/passes.h"
#include "ir/builder.h"
#include "support/status_macros.h"

namespace loom::passes {
namespace {

using ir::Block;
using ir::Op;
using ir::OpCode;
using ir::Value;

bool Removable(const Op& op) {
  if (op.info().has(ir::kSideEffect) || op.info().has(ir::kTerminator)) return false;
  for (int r = 0; r < op.num_results(); ++r) {
    if (op.result(r)->has_uses()) return false;
  }
  return true;
}

// Drops the unused parts of a scan, rebuilding it when anything goes. Returns the rebuilt
// scan (in the old one's place), or null when nothing changed.
absl::StatusOr<Op*> TrimScan(Op& scan) {
  Block& body = *scan.region();
  Op& yield = *body.terminator();
  int nc = scan.segment_sizes()[0], ns = scan.segment_sizes()[1], ni = scan.segment_sizes()[2];
  std::vector<bool> keep_carry(nc), keep_out(scan.num_results() - nc), keep_step(ns), keep_inv(ni);
  bool trimmed = false;
  for (int c = 0; c < nc; ++c) {
    keep_carry[c] = scan.result(c)->has_uses() || body.argument(c)->has_uses();
    trimmed |= !keep_carry[c];
  }
  for (size_t o = 0; o < keep_out.size(); ++o) {
    keep_out[o] = scan.result(nc + o)->has_uses();
    trimmed |= !keep_out[o];
  }
  for (int s = 0; s < ns; ++s) {
    keep_step[s] = body.argument(nc + s)->has_uses();
    trimmed |= !keep_step[s];
  }
  for (int i = 0; i < ni; ++i) {
    keep_inv[i] = body.argument(nc + ns + i)->has_uses();
    trimmed |= !keep_inv[i];
  }
  if (!trimmed) return nullptr;

  // New yield and body arguments.
  std::vector<Value*> yielded;
  for (int c = 0; c < nc; ++c) {
    if (keep_carry[c]) yielded.push_back(yield.operand(c));
  }
  for (size_t o = 0; o < keep_out.size(); ++o) {
    if (keep_out[o]) yielded.push_back(yield.operand(nc + o));
  }
  yield.SetOperands(yielded);
  std::vector<bool> keep_arg;
  keep_arg.insert(keep_arg.end(), keep_carry.begin(), keep_carry.end());
  keep_arg.insert(keep_arg.end(), keep_step.begin(), keep_step.end());
  keep_arg.insert(keep_arg.end(), keep_inv.begin(), keep_inv.end());
  for (int a = static_cast<int>(keep_arg.size()); a-- > 0;) {
    if (!keep_arg[a]) body.EraseArgument(a);
  }

  std::vector<Value*> operands;
  for (int i = 0; i < nc + ns + ni; ++i) {
    if (keep_arg[i]) operands.push_back(scan.operand(i));
  }
  int new_nc = std::count(keep_carry.begin(), keep_carry.end(), true);
  int new_ns = std::count(keep_step.begin(), keep_step.end(), true);
  int new_ni = std::count(keep_inv.begin(), keep_inv.end(), true);
  int nl = scan.segment_sizes()[3];
  if (nl) operands.push_back(scan.operand(nc + ns + ni));

  ir::Builder b(scan.parent(), &scan);
  b.set_loc(scan.loc());
  ASSIGN_OR_RETURN(Op * rebuilt,
                   b.Create(OpCode::kScan, operands, scan.attrs(), scan.TakeRegion(), {new_nc, new_ns, new_ni, nl}));
  std::vector<bool> keep_result = keep_carry;
  keep_result.insert(keep_result.end(), keep_out.begin(), keep_out.end());
  for (int r = 0, next = 0; r < scan.num_results(); ++r) {
    if (!keep_result[r]) continue;
    rebuilt->result(next)->set_name_hint(scan.result(r)->name_hint());
    scan.result(r)->ReplaceAllUsesWith(rebuilt->result(next++));
  }
  scan.parent()->Erase(&scan);
  return rebuilt;
}

// Removes dead ops of one block, innermost regions first. Returns whether it changed.
absl::StatusOr<bool> CleanBlock(Block& block) {
  bool changed = false;
  for (bool again = true; again;) {
    again = false;
    for (auto it = block.ops().end(); it != block.ops().begin();) {
      Op* op = (--it)->get();
      if (Removable(*op)) {
        it = block.ops().erase(it);
        again = changed = true;
        continue;
      }
      if (op->has_region()) {
        ASSIGN_OR_RETURN(bool inner, CleanBlock(*op->region()));
        changed |= inner;
      }
      if (op->code() == OpCode::kScan) {
        ASSIGN_OR_RETURN(Op * rebuilt, TrimScan(*op));
        if (rebuilt != nullptr) {
          // Carry on before the rebuilt scan: restarting from the end would make a model of
          // many layers quadratic.
          it = block.Find(rebuilt);
          again = changed = true;
        }
      }
    }
  }
  return changed;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Pass>> CreateDcePass(absl::string_view options) {
  return MakeBodyPass("dce", options, CleanBlock);
}

}  // namespace loom::passes
