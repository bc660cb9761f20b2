#include "compiler/passes/explicit_lengths.h"

#include "compiler/passes/passes.h"
#include "ir/builder.h"
#include "support/status_macros.h"

namespace loom::passes {

using ir::Builder;
using ir::OpCode;
using ir::Value;

absl::StatusOr<ir::Op*> MakeLengthsExplicit(ir::Op& scan) {
  int nc = scan.segment_sizes()[0], ns = scan.segment_sizes()[1], ni = scan.segment_sizes()[2];
  Value* lengths = scan.Segment(3)[0];
  DType ldt = lengths->type().dtype;
  int64_t T = scan.IntAttr("length"), B = lengths->type().shape[0];
  Builder b(scan.parent(), &scan);
  b.set_loc(scan.loc());
  ASSIGN_OR_RETURN(Value * steps_t,
                   b.Build(OpCode::kIota, {}, {{"shape", Shape{T}}, {"dim", int64_t{0}}, {"dtype", ldt}}));

  // New body: carries, steps, t, invariants, lengths.
  const ir::Block& old = *scan.region();
  auto body = std::make_unique<ir::Block>();
  std::unordered_map<const Value*, Value*> map;
  std::vector<Value*> carries;
  for (int i = 0; i < nc + ns; ++i) {
    Value* a = old.argument(i);
    map[a] = body->AddArgument(a->type(), a->name_hint());
    if (i < nc) carries.push_back(map[a]);
  }
  Value* t = body->AddArgument({ldt, {}}, "t");
  for (int i = nc + ns; i < nc + ns + ni; ++i) {
    map[old.argument(i)] = body->AddArgument(old.argument(i)->type(), old.argument(i)->name_hint());
  }
  Value* len = body->AddArgument(lengths->type(), "lengths");
  std::vector<Value*> yielded = ir::CloneBody(old, *body, map);
  Builder ib(body.get());
  ib.set_loc(scan.loc());
  ASSIGN_OR_RETURN(Value * tb, ib.BroadcastInDim(t, {B}, {}));
  ASSIGN_OR_RETURN(Value * live, ib.Compare(tb, len, "lt"));
  for (size_t i = 0; i < yielded.size(); ++i) {
    const ir::TensorType& type = yielded[i]->type();
    Value* otherwise;
    if (static_cast<int>(i) < nc) {
      otherwise = carries[i];
    } else {
      ASSIGN_OR_RETURN(otherwise, ib.Splat(type.dtype, type.shape, 0));
    }
    ASSIGN_OR_RETURN(Value * m, ib.BroadcastInDim(live, type.shape, {0}));
    ASSIGN_OR_RETURN(yielded[i], ib.Build(OpCode::kSelect, {m, yielded[i], otherwise}));
  }
  RETURN_IF_ERROR(ib.Yield(yielded).status());

  std::vector<Value*> operands(scan.operands().begin(), scan.operands().begin() + nc + ns);
  operands.push_back(steps_t);
  operands.insert(operands.end(), scan.operands().begin() + nc + ns, scan.operands().begin() + nc + ns + ni);
  operands.push_back(lengths);
  ASSIGN_OR_RETURN(ir::Op * rebuilt,
                   b.Create(OpCode::kScan, operands, scan.attrs(), std::move(body), {nc, ns + 1, ni + 1, 0}));
  for (int i = 0; i < scan.num_results(); ++i) {
    rebuilt->result(i)->set_name_hint(scan.result(i)->name_hint());
    scan.result(i)->ReplaceAllUsesWith(rebuilt->result(i));
  }
  scan.parent()->Erase(&scan);
  return rebuilt;
}

absl::StatusOr<bool> MakeAllLengthsExplicit(ir::Block& block) {
  std::vector<ir::Op*> scans;
  ir::Walk(block, [&](ir::Op& op) {
    if (op.code() == OpCode::kScan && op.segment_sizes()[3] == 1) scans.push_back(&op);
  });
  // Inner scans first: rebuilding an outer one moves its body (and the inner scans in it).
  for (auto it = scans.rbegin(); it != scans.rend(); ++it) RETURN_IF_ERROR(MakeLengthsExplicit(**it).status());
  return !scans.empty();
}

absl::StatusOr<std::unique_ptr<Pass>> CreateExplicitLengthsPass(absl::string_view options) {
  return MakeBodyPass("explicit-lengths", options, MakeAllLengthsExplicit);
}

}  // namespace loom::passes
