// The scan rule (backpropagation through time).
//
//   %c, %ys = scan carries(%c0) steps(%xs) invariants(%w) { body }
//     ==>
//   %c, %ys, %res = scan carries(%c0) steps(%xs) invariants(%w) { body; yield ..., residuals }
//   %dc0, %dw, %dxs = scan reverse carries(%dc, zeros(w)) steps(%dys, %res, %xs) invariants(%w) {
//     VJP of body, reading primal values from the residual slices
//     yield d(carry args), dw_acc + d(w), d(x)
//   }
//
// Residuals are the body values that depend on the step (carries, op results); values
// computed from invariants alone are recomputed in the backward body instead of stacked.
// Parameter gradients accumulate as carries, so memory is O(T·state), not O(T·params);
// those that are sums of per-step products become one product after the backward scan
// instead (hoist_accumulation.h). Residuals the VJP does not read are removed later by
// dce.
#include <unordered_set>

#include "absl/strings/str_cat.h"
#include "compiler/autodiff/backprop.h"
#include "compiler/autodiff/hoist_accumulation.h"
#include "support/status_macros.h"

namespace loom::autodiff {

using ir::Builder;
using ir::OpCode;
using ir::Value;

absl::StatusOr<ir::Op*> ScanVjp(Builder& b, ir::Op& scan, Adjoints& adj, bool gradient_flow,
                                std::vector<Value*>* flow) {
  if (scan.segment_sizes()[3] != 0) {
    return absl::InternalError("scan lengths must be made explicit before differentiating");
  }
  const int nc = scan.segment_sizes()[0], ns = scan.segment_sizes()[1], ni = scan.segment_sizes()[2];
  const int no = scan.num_results() - nc;
  const int64_t T = scan.IntAttr("length");
  const bool reverse = scan.BoolAttr("reverse");
  const ir::Block& body = *scan.region();
  const ir::Op& yield = *body.terminator();

  // 1. Which body values are step-invariant, which are residuals.
  std::unordered_set<const Value*> invariant;
  for (int k = 0; k < ni; ++k) invariant.insert(body.argument(nc + ns + k));
  std::vector<const Value*> residuals;
  for (int i = 0; i < nc; ++i) residuals.push_back(body.argument(i));
  std::vector<ir::Op*> ops;
  std::vector<const ir::Op*> recomputed;
  for (const auto& o : body.ops()) {
    if (o->info().has(ir::kTerminator)) continue;
    if (o->code() == OpCode::kScan) {
      return absl::UnimplementedError("the gradient of a scan nested in a scan body is not supported");
    }
    ops.push_back(o.get());
    bool inv = !o->has_region();
    for (Value* v : o->operands()) inv &= invariant.count(v) > 0;
    if (inv) {
      recomputed.push_back(o.get());
      for (Value* r : o->results()) invariant.insert(r);
    } else {
      for (Value* r : o->results()) residuals.push_back(r);
    }
  }
  const int nr = static_cast<int>(residuals.size());

  // Adjoints of the forward results, read before the forward scan is replaced.
  std::vector<Value*> d_results;
  for (int i = 0; i < scan.num_results(); ++i) {
    ASSIGN_OR_RETURN(Value * d, adj.GetOrZeros(b, scan.result(i), scan.result(i)->type()));
    d_results.push_back(d);
    adj.Erase(scan.result(i));
  }

  // 2. The forward scan again, also yielding the residuals.
  Builder fb(scan.parent(), &scan);
  fb.set_loc(scan.loc());
  auto fwd_body = std::make_unique<ir::Block>();
  std::unordered_map<const Value*, Value*> map;
  for (Value* a : body.arguments()) map[a] = fwd_body->AddArgument(a->type(), a->name_hint());
  std::vector<Value*> fwd_yield = ir::CloneBody(body, *fwd_body, map);
  for (const Value* r : residuals) fwd_yield.push_back(map.at(r));
  RETURN_IF_ERROR(Builder(fwd_body.get()).Yield(fwd_yield).status());
  ASSIGN_OR_RETURN(ir::Op * fwd,
                   fb.Create(OpCode::kScan, scan.operands(), scan.attrs(), std::move(fwd_body), scan.segment_sizes()));
  for (int i = 0; i < scan.num_results(); ++i) {
    fwd->result(i)->set_name_hint(scan.result(i)->name_hint());
    scan.result(i)->ReplaceAllUsesWith(fwd->result(i));
  }
  std::vector<Value*> carries0(scan.operands().begin(), scan.operands().begin() + nc);
  std::vector<Value*> xs(scan.operands().begin() + nc, scan.operands().begin() + nc + ns);
  std::vector<Value*> ws(scan.operands().begin() + nc + ns, scan.operands().begin() + nc + ns + ni);
  // The old scan's body is still read below; it goes once the backward scan exists.

  // 3. The backward body.
  auto bwd = std::make_unique<ir::Block>();
  std::vector<Value*> dc, acc, dy, res, x, w;
  for (int i = 0; i < nc; ++i) dc.push_back(bwd->AddArgument(carries0[i]->type(), "d_carry"));
  for (int k = 0; k < ni; ++k) acc.push_back(bwd->AddArgument(ws[k]->type(), "d_acc"));
  for (int j = 0; j < no; ++j) dy.push_back(bwd->AddArgument(yield.operand(nc + j)->type(), "d_y"));
  for (const Value* r : residuals) res.push_back(bwd->AddArgument(r->type(), r->name_hint()));
  for (int j = 0; j < ns; ++j) x.push_back(bwd->AddArgument(body.argument(nc + j)->type(), "x"));
  for (int k = 0; k < ni; ++k) w.push_back(bwd->AddArgument(ws[k]->type(), ws[k]->name_hint()));

  std::unordered_map<const Value*, Value*> primal;
  for (int r = 0; r < nr; ++r) primal[residuals[r]] = res[r];
  for (int j = 0; j < ns; ++j) primal[body.argument(nc + j)] = x[j];
  for (int k = 0; k < ni; ++k) primal[body.argument(nc + ns + k)] = w[k];
  Builder bb(bwd.get());
  bb.set_loc(scan.loc());
  for (const ir::Op* o : recomputed) bb.Insert(ir::CloneOp(*o, primal));
  VjpContext ctx{bb, [&](const Value* v) { return primal.at(v); }};
  Adjoints body_adj;
  for (int i = 0; i < nc; ++i) RETURN_IF_ERROR(body_adj.Add(bb, yield.operand(i), dc[i]));
  for (int j = 0; j < no; ++j) RETURN_IF_ERROR(body_adj.Add(bb, yield.operand(nc + j), dy[j]));
  RETURN_IF_ERROR(Backprop(ctx, ops, body_adj));

  std::vector<Value*> bwd_yield;
  for (int i = 0; i < nc; ++i) {
    ASSIGN_OR_RETURN(Value * d, body_adj.GetOrZeros(bb, body.argument(i), body.argument(i)->type()));
    bwd_yield.push_back(d);
  }
  for (int k = 0; k < ni; ++k) {
    Value* d = body_adj.Get(body.argument(nc + ns + k));
    if (d) {
      ASSIGN_OR_RETURN(d, bb.Build(OpCode::kAdd, {acc[k], d}));
    }
    bwd_yield.push_back(d ? d : acc[k]);
  }
  for (int j = 0; j < ns; ++j) {
    ASSIGN_OR_RETURN(Value * d, body_adj.GetOrZeros(bb, body.argument(nc + j), body.argument(nc + j)->type()));
    bwd_yield.push_back(d);
  }
  if (gradient_flow && nc > 0) {
    // ‖∂L/∂(first carry produced at this step)‖ over the whole batch.
    ASSIGN_OR_RETURN(Value * d, body_adj.GetOrZeros(bb, yield.operand(0), yield.operand(0)->type()));
    ASSIGN_OR_RETURN(Value * sq, bb.Build(OpCode::kMul, {d, d}));
    std::vector<int64_t> axes(d->type().rank());
    for (size_t a = 0; a < axes.size(); ++a) axes[a] = a;
    ASSIGN_OR_RETURN(Value * sum, bb.Build(OpCode::kReduceSum, {sq}, {{"axes", axes}}));
    ASSIGN_OR_RETURN(Value * norm, bb.Build(OpCode::kSqrt, {sum}));
    bwd_yield.push_back(norm);
  }
  RETURN_IF_ERROR(bb.Yield(bwd_yield).status());

  // 4. The backward scan, after everything that produced the adjoints it starts from.
  std::vector<Value*> operands;
  for (int i = 0; i < nc; ++i) operands.push_back(d_results[i]);
  for (int k = 0; k < ni; ++k) {
    ASSIGN_OR_RETURN(Value * z, b.Splat(ws[k]->type().dtype, ws[k]->type().shape, 0));
    operands.push_back(z);
  }
  for (int j = 0; j < no; ++j) operands.push_back(d_results[nc + j]);
  for (int r = 0; r < nr; ++r) operands.push_back(fwd->result(nc + no + r));
  operands.insert(operands.end(), xs.begin(), xs.end());
  operands.insert(operands.end(), ws.begin(), ws.end());
  ir::AttrMap attrs = {{"length", T}};
  if (!reverse) attrs["reverse"] = true;
  ASSIGN_OR_RETURN(ir::Op * back,
                   b.Create(OpCode::kScan, operands, attrs, std::move(bwd), {nc + ni, no + nr + ns, ni, 0}));
  // The weight gradients that are sums of per-step products: one product after the loop.
  ASSIGN_OR_RETURN(std::vector<Value*> d, HoistAccumulations(b, *back, nc, ni));
  for (int i = 0; i < nc; ++i) RETURN_IF_ERROR(adj.Add(b, carries0[i], d[i]));
  for (int k = 0; k < ni; ++k) RETURN_IF_ERROR(adj.Add(b, ws[k], d[nc + k]));
  for (int j = 0; j < ns; ++j) RETURN_IF_ERROR(adj.Add(b, xs[j], d[nc + ni + j]));
  if (gradient_flow && nc > 0 && flow) flow->push_back(d.back());
  scan.parent()->Erase(&scan);
  return fwd;
}

}  // namespace loom::autodiff
