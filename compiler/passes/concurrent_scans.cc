// concurrent-scans: two scans of one block that do not depend on each other — the two
// directions of a bidirectional layer — are marked to run side by side, each on its
// own half of the threads (compiler/codegen/threads.h):
//
//   %f = scan ... {length = 32}                      %p = matmul %x, %w_reverse
//   %p = matmul %x, %w_reverse             ==>       %f = scan ... {length = 32, with_next = true}
//   %b = scan ... {length = 32, reverse = true}      %b = scan ... {length = 32, reverse = true}
//
// The ops the second scan needs that sat between the two move before the first (they
// cannot depend on it, since the second does not), and the second right after it. Each
// scan then loops with half the threads and half the barriers' waiters. A scan pairs
// once; a store between the two ends the search (it orders the ops around it).
//
// A scan marked `wavefront` (passes/wavefront.cc) pairs instead with the scan that reads
// its step outputs, which then runs one step behind it.
//
// Two large independent products of about the same work pair the same way: a reverse
// scan's weight gradients, dW_ih = dGᵀ·X and dW_hh = dGᵀ·H, each on its own team, each
// team reading dG once rather than every thread reading it for each product's panels.
// Not a product a fused loop computes panel by panel (it reads slices of it: an LSTM's
// gates).
#include <iterator>
#include <list>
#include <unordered_set>

#include "compiler/passes/passes.h"
#include "compiler/passes/scan_rewrite.h"
#include "ir/work.h"

namespace loom::passes {
namespace {

using ir::Block;
using ir::Op;
using ir::OpCode;
using ir::Value;

// Operations from which a product is worth a team of its own (a barrier and the team
// split cost microseconds; this is milliseconds).
constexpr double kLargeProduct = 1e8;

bool PairableProduct(const Op& op) {
  if (op.code() != OpCode::kMatmul || ir::WorkOf(op) < kLargeProduct) return false;
  for (const ir::Use& use : op.result(0)->uses()) {
    if (use.user->code() != OpCode::kFusion) continue;
    for (const ir::Use& inner : use.user->region()->argument(use.operand_index)->uses()) {
      if (inner.user->code() == OpCode::kSlice) return false;
    }
  }
  return true;
}

// Whether `second` may run beside `first` (which it does not depend on).
bool Balanced(const Op& first, const Op& second) {
  if (first.code() == OpCode::kScan) return second.code() == OpCode::kScan;
  double a = ir::WorkOf(first), b = ir::WorkOf(second);
  return PairableProduct(second) && std::min(a, b) >= 0.75 * std::max(a, b);
}

absl::StatusOr<bool> PairScans(Block& body) {
  bool changed = false;
  std::unordered_set<const Op*> paired;
  for (auto first = body.ops().begin(); first != body.ops().end(); ++first) {
    Op* s1 = first->get();
    if ((s1->code() != OpCode::kScan && !PairableProduct(*s1)) || paired.count(s1)) continue;
    // What depends on the first scan, up to the second.
    std::vector<Value*> results = s1->results();
    std::unordered_set<const Value*> tainted(results.begin(), results.end());
    std::list<std::unique_ptr<Op>>::iterator second = body.ops().end();
    for (auto it = std::next(first); it != body.ops().end(); ++it) {
      Op* op = it->get();
      if (op->info().has(ir::kSideEffect) || op->info().has(ir::kTerminator)) break;
      bool depends = false;
      for (Value* v : op->operands()) depends |= tainted.count(v) > 0;
      bool candidate = op->code() == s1->code() && !paired.count(op);
      if (candidate && (s1->BoolAttr("wavefront") ? ReadsStepsOf(*s1, *op, tainted) : !depends && Balanced(*s1, *op))) {
        second = it;
        break;
      }
      if (depends) {
        for (Value* r : op->results()) tainted.insert(r);
      }
    }
    if (second == body.ops().end()) continue;
    // The ops between that the second reads (through each other) go before the first.
    std::unordered_set<const Value*> needed;
    for (Value* v : (*second)->operands()) needed.insert(v);
    std::vector<std::list<std::unique_ptr<Op>>::iterator> moves;
    for (auto it = std::prev(second); it != first; --it) {
      bool read = false;
      for (Value* r : (*it)->results()) read |= needed.count(r) > 0;
      if (!read) continue;
      moves.push_back(it);
      for (Value* v : (*it)->operands()) needed.insert(v);
    }
    for (auto m = moves.rbegin(); m != moves.rend(); ++m) body.ops().splice(first, body.ops(), *m);
    body.ops().splice(std::next(first), body.ops(), second);
    s1->mutable_attrs()["with_next"] = true;
    paired.insert(s1);
    paired.insert(std::next(first)->get());
    changed = true;
  }
  return changed;
}

}  // namespace

LOOM_PASS_FACTORY(CreateConcurrentScansPass) { return MakeBodyPass("concurrent-scans", options, PairScans); }

}  // namespace loom::passes
