// early-all-reduce: each all_reduce moves up to just after the last op defining one of
// its operands — where a data-parallel training step's gradients in its bucket are
// final — so that generated code starts the message there and waits for it only where
// a sum is first read (the optimizer's update): the transfer overlaps the rest of the
// backward pass.
//
//   %gw1 = matmul ...                       %gw1 = matmul ...
//   %s = scan ... (layer 1's backward)      %r = all_reduce %gw1
//   %r = all_reduce %gw1           ==>      %s = scan ... (layer 1's backward)
//
// A pair of ops marked to run side by side (with_next: concurrent scans, wavefronts)
// stays together: the op goes after the pair.
#include <iterator>
#include <vector>

#include "compiler/passes/passes.h"

namespace loom::passes {
namespace {

using ir::Block;
using ir::Op;
using ir::OpCode;

absl::StatusOr<bool> StartEarly(Block& body) {
  bool changed = false;
  auto& ops = body.ops();
  std::vector<Op*> sums;
  for (const auto& op : ops) {
    if (op->code() == OpCode::kAllReduce) sums.push_back(op.get());
  }
  for (Op* sum : sums) {
    auto it = body.Find(sum);
    // After the latest definition among the operands, or at the top of the body.
    auto to = ops.begin();
    for (auto j = ops.begin(); j != it; ++j) {
      for (const ir::Value* v : sum->operands()) {
        if (v->defining_op() == j->get()) to = std::next(j);
      }
    }
    while (to != it && to != ops.begin() && (*std::prev(to))->BoolAttr("with_next")) ++to;
    if (to == it) continue;
    ops.splice(to, ops, it);
    changed = true;
  }
  return changed;
}

}  // namespace

LOOM_PASS_FACTORY(CreateEarlyAllReducePass) { return MakeBodyPass("early-all-reduce", options, StartEarly); }

}  // namespace loom::passes
