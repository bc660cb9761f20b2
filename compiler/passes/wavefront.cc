// wavefront: stacked layers run as a wavefront — layer l at step t beside layer l+1 at
// step t−1 — when their steps are too small to split across threads:
//
//   %h1, %ys1 = scan ... steps(%xs) {length = 100}           %h1, %ys1 = scan ... steps(%xs) {length = 100, wavefront =
//   true} %h2, %ys2 = scan ... steps(%ys1) {length = 100}   ==>    %h2, %ys2 = scan ... steps(%ys1) {length = 100}
//
// The mark says: the scan reading this one's step outputs reads each as soon as it is
// made. hoist-input-projection then leaves that scan's product with its step input in
// the loop (hoisted, it would need every step of the first layer first), and
// concurrent-scans places the reader right after the marked scan, `with_next`. Codegen
// runs the two on two threads: the first publishes each finished step in the arena, the
// second waits for step t before its step t (compiler/codegen/threads.h).
//
// A step as large as an LSTM(256)'s at batch 1 is faster split by columns across the
// threads, every layer in turn (the streaming step: 1.7x on two); the wavefront is for
// steps under kSmallStep operations, where a barrier costs more than the work it
// divides. Both scans must take their steps in the same direction, for the same number
// of steps, and the second may depend on the first only through those step outputs.
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

// Operations in one step under which the step is not worth splitting (codegen's cost
// model wants 50k between two barriers, and a step has at least two).
constexpr double kSmallStep = 100e3;

bool Small(const Op& scan) {
  double work = 0;
  for (const auto& op : scan.region()->ops()) work += ir::WorkOf(*op);
  return work < kSmallStep;
}

absl::StatusOr<bool> MarkWavefronts(Block& body) {
  bool changed = false;
  std::unordered_set<const Op*> readers;  // second scans of a wavefront: not first ones
  for (auto first = body.ops().begin(); first != body.ops().end(); ++first) {
    Op* s1 = first->get();
    if (s1->code() != OpCode::kScan || s1->BoolAttr("wavefront") || s1->BoolAttr("with_next") || readers.count(s1) ||
        !Small(*s1)) {
      continue;
    }
    std::vector<Value*> results = s1->results();
    std::unordered_set<const Value*> tainted(results.begin(), results.end());
    for (auto it = std::next(first); it != body.ops().end(); ++it) {
      Op* op = it->get();
      if (op->info().has(ir::kSideEffect) || op->info().has(ir::kTerminator)) break;
      if (op->code() == OpCode::kScan && ReadsStepsOf(*s1, *op, tainted)) {
        if (op->IntAttr("length") == s1->IntAttr("length") && op->BoolAttr("reverse") == s1->BoolAttr("reverse") &&
            Small(*op)) {
          s1->mutable_attrs()["wavefront"] = true;
          readers.insert(op);
          changed = true;
        }
        break;
      }
      bool depends = false;
      for (Value* v : op->operands()) depends |= tainted.count(v) > 0;
      if (depends) {
        for (Value* r : op->results()) tainted.insert(r);
      }
    }
  }
  return changed;
}

}  // namespace

LOOM_PASS_FACTORY(CreateWavefrontPass) { return MakeBodyPass("wavefront", options, MarkWavefronts); }

}  // namespace loom::passes
