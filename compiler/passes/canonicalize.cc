// canonicalize: local algebraic simplification and constant folding, to a fixed point.
//
//   add(x, 0), sub(x, 0), mul(x, 1), div(x, 1)       ==>  x   (0 and 1 maybe broadcast)
//   neg(neg(x)), cast<same dtype>(x), select(c, x, x) ==>  x
//   reshape / transpose / broadcast_in_dim / slice that change nothing, one-operand
//   concat, reduce_max (or an integer reduce_sum) over no axes ==>  x
//   reshape(reshape(x))                              ==>  reshape(x)
//   transpose(transpose(x, p), q)                    ==>  transpose(x, p∘q)
//   select(splat true, a, b)                         ==>  a   (false: b)
//   add(pad(a), pad(b)), a and b side by side         ==>  pad(concat(a, b))
//   pad by nothing                                    ==>  x
//   concat(x, concat(y, z)) on one axis               ==>  concat(x, y, z)
// (the gradient of an LSTM's four gate slices: the sum of four padded gradients becomes
// their concatenation)
//   op(constants...)                                 ==>  constant (interpreter kernel)
#include <algorithm>
#include <numeric>

#include "compiler/passes/passes.h"
#include "ir/builder.h"
#include "ir/interpreter.h"
#include "support/status_macros.h"

namespace loom::passes {
namespace {

using ir::Op;
using ir::OpCode;
using ir::Value;

// Folding stops at results this large, so folding never bloats the IR.
constexpr int64_t kMaxFoldElements = 4096;

const Tensor* ConstantOf(const Value* v) {
  const Op* def = v->defining_op();
  if (def == nullptr || def->code() != OpCode::kConstant) return nullptr;
  return &def->Attr<Tensor>("value");
}

// True when v is a constant whose every element equals `x`, or a broadcast of one.
bool IsSplat(const Value* v, double x) {
  const Op* def = v->defining_op();
  if (def != nullptr && def->code() == OpCode::kBroadcastInDim) return IsSplat(def->operand(0), x);
  const Tensor* t = ConstantOf(v);
  if (t == nullptr) return false;
  for (int64_t i = 0; i < t->num_elements(); ++i) {
    if (t->GetDouble(i) != x) return false;
  }
  return true;
}

bool IsIdentityPerm(const std::vector<int64_t>& perm) {
  for (size_t i = 0; i < perm.size(); ++i) {
    if (perm[i] != static_cast<int64_t>(i)) return false;
  }
  return true;
}

bool Foldable(const Op& op) {
  const ir::OpInfo& info = op.info();
  if (op.num_operands() == 0 || op.num_results() != 1 || op.has_region() || info.has(ir::kSideEffect) ||
      info.has(ir::kTerminator) || op.code() == OpCode::kLoad) {
    return false;
  }
  if (op.result(0)->type().num_elements() > kMaxFoldElements) return false;
  for (Value* v : op.operands()) {
    if (!ConstantOf(v)) return false;
  }
  return true;
}

bool IsPlainPad(const Value* v) {
  const Op* p = v->defining_op();
  if (p == nullptr || p->code() != OpCode::kPad || v->uses().size() != 1) return false;
  if (!p->HasAttr("interior")) return true;
  const auto& interior = p->IntsAttr("interior");
  return std::all_of(interior.begin(), interior.end(), [](int64_t i) { return i == 0; });
}

// add(pad(a), pad(b)) where a's and b's regions touch along one axis and match on the
// others: pad(concat(a, b)) over the two regions. Null when they do not.
absl::StatusOr<Value*> MergePads(Op& add) {
  if (!IsPlainPad(add.operand(0)) || !IsPlainPad(add.operand(1))) return nullptr;
  const Op* p[2] = {add.operand(0)->defining_op(), add.operand(1)->defining_op()};
  const auto &lo0 = p[0]->IntsAttr("low"), &hi0 = p[0]->IntsAttr("high");
  const auto &lo1 = p[1]->IntsAttr("low"), &hi1 = p[1]->IntsAttr("high");
  int axis = -1;
  for (size_t d = 0; d < lo0.size(); ++d) {
    if (lo0[d] == lo1[d] && hi0[d] == hi1[d]) continue;
    if (axis >= 0) return nullptr;
    axis = static_cast<int>(d);
  }
  if (axis < 0) return nullptr;
  // first is the operand whose region comes first along the axis.
  int first = lo0[axis] < lo1[axis] ? 0 : 1;
  const Op* a = p[first];
  const Op* b = p[1 - first];
  if (a->IntsAttr("low")[axis] + a->operand(0)->type().shape[axis] != b->IntsAttr("low")[axis]) return nullptr;
  ir::Builder builder(add.parent(), &add);
  ASSIGN_OR_RETURN(Value * both, builder.Concat({a->operand(0), b->operand(0)}, axis));
  std::vector<int64_t> low = a->IntsAttr("low"), high = b->IntsAttr("high");
  return builder.Build(OpCode::kPad, {both}, {{"low", low}, {"high", high}});
}

// The value that can replace op's single result, or null. May insert ops before op.
absl::StatusOr<Value*> Simplify(Op& op) {
  auto x = [&](int i) { return op.operand(i); };
  const ir::TensorType& out = op.num_results() ? op.result(0)->type() : ir::TensorType{};
  switch (op.code()) {
    case OpCode::kAdd: {
      if (IsSplat(x(1), 0)) return x(0);
      if (IsSplat(x(0), 0)) return x(1);
      ASSIGN_OR_RETURN(Value * merged, MergePads(op));
      if (merged != nullptr) return merged;
      break;
    }
    case OpCode::kPad: {
      bool nothing = x(0)->type() == out;  // same shape: no low, high or interior padding
      if (nothing) return x(0);
      break;
    }
    case OpCode::kSub:
      if (IsSplat(x(1), 0)) return x(0);
      break;
    case OpCode::kMul:
      if (IsSplat(x(1), 1)) return x(0);
      if (IsSplat(x(0), 1)) return x(1);
      break;
    case OpCode::kDiv:
      if (IsSplat(x(1), 1)) return x(0);
      break;
    case OpCode::kNeg:
      if (x(0)->defining_op() && x(0)->defining_op()->code() == OpCode::kNeg) {
        return x(0)->defining_op()->operand(0);
      }
      break;
    case OpCode::kCast:
    case OpCode::kReshape:
      if (x(0)->type() == out) return x(0);
      if (op.code() == OpCode::kReshape && x(0)->defining_op() && x(0)->defining_op()->code() == OpCode::kReshape) {
        ir::Builder b(op.parent(), &op);
        return b.Reshape(x(0)->defining_op()->operand(0), out.shape);
      }
      break;
    case OpCode::kTranspose: {
      const auto& perm = op.IntsAttr("perm");
      if (IsIdentityPerm(perm)) return x(0);
      const Op* inner = x(0)->defining_op();
      if (inner && inner->code() == OpCode::kTranspose) {
        const auto& p = inner->IntsAttr("perm");
        std::vector<int64_t> composed;
        for (int64_t q : perm) composed.push_back(p[q]);
        ir::Builder b(op.parent(), &op);
        return b.Build(OpCode::kTranspose, {inner->operand(0)}, {{"perm", composed}});
      }
      break;
    }
    case OpCode::kBroadcastInDim:
      if (x(0)->type() == out && IsIdentityPerm(op.IntsAttr("dims"))) return x(0);
      break;
    case OpCode::kSlice:
      if (x(0)->type() == out) return x(0);  // same shape means start 0, stride 1
      break;
    case OpCode::kConcat: {
      if (op.num_operands() == 1) return x(0);
      int64_t axis = op.IntAttr("axis");
      std::vector<Value*> flat;
      bool nested = false;
      for (Value* v : op.operands()) {
        const Op* inner = v->defining_op();
        if (inner && inner->code() == OpCode::kConcat && inner->IntAttr("axis") == axis && v->uses().size() == 1) {
          flat.insert(flat.end(), inner->operands().begin(), inner->operands().end());
          nested = true;
        } else {
          flat.push_back(v);
        }
      }
      if (nested) {
        ir::Builder b(op.parent(), &op);
        return b.Concat(flat, axis);
      }
      break;
    }
    case OpCode::kReduceSum:
      // A float sum starts at +0, and +0 + -0 is +0: over no axes it is x but for the
      // sign of a zero (which a later division turns into ±inf).
      if (op.IntsAttr("axes").empty() && !IsFloat(x(0)->type().dtype)) return x(0);
      break;
    case OpCode::kReduceMax:
      if (op.IntsAttr("axes").empty()) return x(0);
      break;
    case OpCode::kSelect:
      if (x(1) == x(2)) return x(1);
      if (IsSplat(x(0), 1)) return x(1);
      if (IsSplat(x(0), 0)) return x(2);
      break;
    default: break;
  }
  if (Foldable(op)) {
    std::vector<const Tensor*> operands;
    for (Value* v : op.operands()) operands.push_back(ConstantOf(v));
    absl::StatusOr<std::vector<Tensor>> folded = ir::EvaluateOp(op, operands);
    if (!folded.ok()) return nullptr;  // e.g. integer division by zero: leave it to run time
    ir::Builder b(op.parent(), &op);
    return b.Constant(std::move((*folded)[0]));
  }
  return nullptr;
}

// Erases `op` and then what only it read (in this block), so that a rewrite's leftovers
// do not count as uses for the next (a merged pad's concatenation, flattened next).
void EraseWithDeadOperands(ir::Block& block, Op* op) {
  std::vector<Op*> dead = {op};
  while (!dead.empty()) {
    Op* d = dead.back();
    dead.pop_back();
    std::vector<Value*> operands = d->operands();
    block.Erase(d);
    for (Value* v : operands) {
      Op* def = v->defining_op();
      if (def == nullptr || def->parent() != &block || def->info().has(ir::kSideEffect) || def->has_region() ||
          std::find(dead.begin(), dead.end(), def) != dead.end()) {
        continue;
      }
      bool unused = true;
      for (Value* r : def->results()) unused &= !r->has_uses();
      if (unused) dead.push_back(def);
    }
  }
}

class Canonicalize : public Pass {
 public:
  absl::string_view name() const override { return "canonicalize"; }

  absl::StatusOr<bool> Run(ir::Module& module) override {
    bool changed = false;
    for (bool again = true; again;) {
      again = false;
      for (ir::Block* block : ir::AllBlocks(module)) {
        for (auto it = block->ops().begin(); it != block->ops().end();) {
          Op* op = (it++)->get();
          if (op->num_results() != 1 || op->code() == OpCode::kConstant) continue;
          ASSIGN_OR_RETURN(Value * repl, Simplify(*op));
          if (repl == nullptr || repl == op->result(0)) continue;
          op->result(0)->ReplaceAllUsesWith(repl);
          if (!op->info().has(ir::kSideEffect)) EraseWithDeadOperands(*block, op);
          again = changed = true;
        }
      }
    }
    return changed;
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<Pass>> CreateCanonicalizePass(absl::string_view options) {
  if (!options.empty()) return absl::InvalidArgumentError("canonicalize takes no options");
  return std::make_unique<Canonicalize>();
}

}  // namespace loom::passes
