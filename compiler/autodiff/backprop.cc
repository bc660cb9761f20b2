#include "compiler/autodiff/backprop.h"

#include "absl/strings/str_cat.h"
#include "support/status_macros.h"

namespace loom::autodiff {

using ir::OpCode;
using ir::Value;

absl::Status Adjoints::Add(ir::Builder& b, const Value* v, Value* d) {
  if (d == nullptr || !IsFloat(v->type().dtype)) return absl::OkStatus();
  if (d->type() != v->type()) {
    return absl::InternalError(
        absl::StrCat("adjoint of type ", d->type().ToString(), " for a value of type ", v->type().ToString()));
  }
  Value*& slot = adj_[v];
  if (slot == nullptr) {
    slot = d;
  } else {
    ASSIGN_OR_RETURN(slot, b.Build(OpCode::kAdd, {slot, d}));
  }
  return absl::OkStatus();
}

absl::StatusOr<Value*> Adjoints::GetOrZeros(ir::Builder& b, const Value* v, const ir::TensorType& type) {
  if (Value* d = Get(v)) return d;
  return b.Splat(type.dtype, type.shape, 0);
}

namespace {

// fusion: recompute the body from the primal operands, then differentiate through it.
absl::Status FusionVjp(VjpContext& ctx, const ir::Op& op, Adjoints& adj) {
  const ir::Block& body = *op.region();
  std::unordered_map<const Value*, Value*> map;
  for (int i = 0; i < op.num_operands(); ++i) map[body.argument(i)] = ctx.primal(op.operand(i));
  for (const auto& o : body.ops()) {
    if (!o->info().has(ir::kTerminator)) ctx.b.Insert(ir::CloneOp(*o, map));
  }
  VjpContext inner{ctx.b, [&](const Value* v) { return map.count(v) ? map.at(v) : ctx.primal(v); }};
  Adjoints body_adj;
  const ir::Op* yield = body.terminator();
  for (int i = 0; i < op.num_results(); ++i) {
    RETURN_IF_ERROR(body_adj.Add(ctx.b, yield->operand(i), adj.Get(op.result(i))));
  }
  std::vector<ir::Op*> ops;
  for (const auto& o : body.ops()) {
    if (!o->info().has(ir::kTerminator)) ops.push_back(o.get());
  }
  RETURN_IF_ERROR(Backprop(inner, ops, body_adj));
  for (int i = 0; i < op.num_operands(); ++i) {
    RETURN_IF_ERROR(adj.Add(ctx.b, op.operand(i), body_adj.Get(body.argument(i))));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Backprop(VjpContext& ctx, const std::vector<ir::Op*>& ops, Adjoints& adj) {
  for (auto it = ops.rbegin(); it != ops.rend(); ++it) {
    ir::Op& op = **it;  // a scan is rebuilt in place
    std::vector<Value*> dys;
    bool any = false;
    for (Value* r : op.results()) {
      dys.push_back(adj.Get(r));
      any |= dys.back() != nullptr;
    }
    if (!any || IsNonDifferentiable(op.code())) continue;
    // The ops with a region or a global; every other op's rule is GetVjp's.
    if (op.code() == OpCode::kScan) {
      RETURN_IF_ERROR(ScanVjp(ctx.b, op, adj, ctx.flow != nullptr, ctx.flow).status());
      continue;
    }
    if (op.code() == OpCode::kFusion) {
      RETURN_IF_ERROR(FusionVjp(ctx, op, adj));
      continue;
    }
    if (op.code() == OpCode::kLoad) continue;  // its adjoint is the global's gradient, read by the caller
    VjpRule rule = GetVjp(op.code());
    if (rule == nullptr) {
      return absl::UnimplementedError(absl::StrCat("no gradient rule for '", op.name(), "'"));
    }
    // Rules see zeros, not nulls, for results without an adjoint.
    for (int i = 0; i < op.num_results(); ++i) {
      if (dys[i] == nullptr && IsFloat(op.result(i)->type().dtype)) {
        ASSIGN_OR_RETURN(dys[i], adj.GetOrZeros(ctx.b, op.result(i), op.result(i)->type()));
      }
    }
    std::vector<Value*> dxs(op.num_operands(), nullptr);
    absl::Status s = rule(ctx, op, dys, dxs);
    if (!s.ok()) return absl::InternalError(absl::StrCat("gradient of '", op.name(), "': ", s.message()));
    for (int i = 0; i < op.num_operands(); ++i) RETURN_IF_ERROR(adj.Add(ctx.b, op.operand(i), dxs[i]));
  }
  return absl::OkStatus();
}

}  // namespace loom::autodiff
