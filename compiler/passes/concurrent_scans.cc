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
#include <iterator>
#include <list>
#include <unordered_set>

#include "compiler/passes/passes.h"
#include "compiler/passes/scan_rewrite.h"

namespace loom::passes {
namespace {

using ir::Block;
using ir::Op;
using ir::OpCode;
using ir::Value;

absl::StatusOr<bool> PairScans(Block& body) {
  bool changed = false;
  std::unordered_set<const Op*> paired;
  for (auto first = body.ops().begin(); first != body.ops().end(); ++first) {
    Op* s1 = first->get();
    if (s1->code() != OpCode::kScan || paired.count(s1)) continue;
    // What depends on the first scan, up to the second.
    std::vector<Value*> results = s1->results();
    std::unordered_set<const Value*> tainted(results.begin(), results.end());
    std::list<std::unique_ptr<Op>>::iterator second = body.ops().end();
    for (auto it = std::next(first); it != body.ops().end(); ++it) {
      Op* op = it->get();
      if (op->info().has(ir::kSideEffect) || op->info().has(ir::kTerminator)) break;
      bool depends = false;
      for (Value* v : op->operands()) depends |= tainted.count(v) > 0;
      bool scan = op->code() == OpCode::kScan && !paired.count(op);
      if (scan && (s1->BoolAttr("wavefront") ? ReadsStepsOf(*s1, *op, tainted) : !depends)) {
        second = it;
        break;
      }
      if (depends) {
        for (Value* r : op->results()) tainted.insert(r);
      }
    }
    if (second == body.ops().end()) continue;
    // The ops between that the second scan reads (through each other) go before the first.
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
