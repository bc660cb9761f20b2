#include "compiler/autodiff/gradients.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "compiler/autodiff/backprop.h"
#include "compiler/passes/explicit_lengths.h"
#include "compiler/passes/passes.h"
#include "ir/builder.h"
#include "ir/verifier.h"
#include "support/status_macros.h"

namespace loom::autodiff {

using ir::OpCode;
using ir::Value;

absl::StatusOr<GradientGraph> BuildGradients(const ir::Function& fn, ir::Function& g, bool gradient_flow) {
  if (fn.result_types().empty() || fn.result_types()[0].rank() != 0 || !IsFloat(fn.result_types()[0].dtype)) {
    return absl::InvalidArgumentError(absl::StrCat("@", fn.name(), " must return a float scalar loss first"));
  }
  // The forward pass, copied.
  std::unordered_map<const Value*, Value*> map;
  for (Value* a : fn.body().arguments()) map[a] = g.body().AddArgument(a->type(), a->name_hint());
  std::vector<Value*> returned = ir::CloneBody(fn.body(), g.body(), map);
  RETURN_IF_ERROR(passes::MakeAllLengthsExplicit(g.body()).status());
  std::vector<ir::Op*> ops;
  for (const auto& op : g.body().ops()) ops.push_back(op.get());

  GradientGraph out;
  out.loss = returned[0];
  ir::Builder b(&g.body());
  Adjoints adj;
  ASSIGN_OR_RETURN(Value * one, b.Splat(out.loss->type().dtype, {}, 1));
  RETURN_IF_ERROR(adj.Add(b, out.loss, one));
  std::vector<Value*> flows;
  VjpContext ctx{b, [](const Value* v) { return const_cast<Value*>(v); }, gradient_flow ? &flows : nullptr};
  RETURN_IF_ERROR(Backprop(ctx, ops, adj));
  std::reverse(flows.begin(), flows.end());
  out.flows = flows;

  // A parameter's gradient is the sum of its loads' adjoints.
  for (const ir::Global& global : g.module()->globals()) {
    if (!global.trainable) continue;
    Value* grad = nullptr;
    for (const auto& op : g.body().ops()) {
      if (op->code() != OpCode::kLoad || op->Attr<ir::SymbolRef>("global").name != global.name) continue;
      Value* d = adj.Get(op->result(0));
      if (d == nullptr) continue;
      if (grad == nullptr) {
        grad = d;
      } else {
        ASSIGN_OR_RETURN(grad, b.Build(OpCode::kAdd, {grad, d}));
      }
    }
    if (grad == nullptr) {
      ASSIGN_OR_RETURN(grad, b.Splat(global.type.dtype, global.type.shape, 0));
    }
    grad->set_name_hint("d_" + global.name);
    out.grads.emplace_back(global.name, grad);
  }
  for (Value* a : g.body().arguments()) {
    Value* grad = nullptr;
    if (IsFloat(a->type().dtype)) {
      grad = adj.Get(a);
      if (grad == nullptr) {
        ASSIGN_OR_RETURN(grad, b.Splat(a->type().dtype, a->type().shape, 0));
      }
    }
    out.input_grads.push_back(grad);
  }
  return out;
}

namespace {

std::string ScanLabel(const ir::Op& scan) {
  const std::string& output = scan.result(scan.num_results() - 1)->name_hint();
  std::string fallback = output.empty() ? "scan" : output;
  for (ir::Value* v : scan.operands()) {
    const ir::Op* def = v->defining_op();
    if (def == nullptr || def->code() != ir::OpCode::kLoad) continue;
    std::string name = def->Attr<ir::SymbolRef>("global").name;
    if (size_t at = name.find(".weight_hh_"); at != std::string::npos) {
      return name.substr(0, at) + "." + name.substr(at + 11);
    }
    if (fallback == "scan" || fallback == output) fallback = name.substr(0, name.find('.'));
  }
  return fallback;
}

}  // namespace

std::vector<std::string> FlowLabels(const ir::Function& fn) {
  std::vector<std::string> labels;
  for (const auto& op : fn.body().ops()) {
    if (op->code() == ir::OpCode::kScan) labels.push_back(ScanLabel(*op));
  }
  return labels;
}

absl::Status CleanUp(ir::Module& module) {
  ASSIGN_OR_RETURN(std::unique_ptr<passes::Pass> dce, passes::CreateDcePass(""));
  return dce->Run(module).status();
}

absl::StatusOr<ir::Function*> AddGradientFunction(ir::Module& module, const GradientOptions& options) {
  const ir::Function* fn = module.FindFunction(options.function);
  if (fn == nullptr) return absl::NotFoundError(absl::StrCat("no function @", options.function, " to differentiate"));
  std::string name = options.function + "_grad";
  if (module.FindFunction(name)) return absl::AlreadyExistsError(absl::StrCat("@", name, " exists already"));
  ir::Function* g = module.AddFunction(name);
  ASSIGN_OR_RETURN(GradientGraph graph, BuildGradients(*fn, *g, options.gradient_flow));
  std::vector<Value*> results = {graph.loss};
  for (auto& [name, grad] : graph.grads) results.push_back(grad);
  if (options.input_grads) {
    for (Value* grad : graph.input_grads) {
      if (grad != nullptr) results.push_back(grad);
    }
  }
  results.insert(results.end(), graph.flows.begin(), graph.flows.end());
  std::vector<ir::TensorType> types;
  for (Value* v : results) types.push_back(v->type());
  g->set_result_types(types);
  RETURN_IF_ERROR(ir::Builder(&g->body()).Return(results).status());
  RETURN_IF_ERROR(CleanUp(module));
  absl::Status verified = ir::Verify(module);
  if (!verified.ok()) return absl::InternalError(absl::StrCat("autodiff produced invalid IR: ", verified.message()));
  return g;
}

absl::StatusOr<ir::Function*> AddCotangentDot(ir::Module& module, const std::string& function) {
  const ir::Function* fn = module.FindFunction(function);
  if (fn == nullptr) return absl::NotFoundError(absl::StrCat("no function @", function, " to differentiate"));
  std::string name = function + "_dot";
  if (module.FindFunction(name)) return absl::AlreadyExistsError(absl::StrCat("@", name, " exists already"));
  ir::Function* dot = module.AddFunction(name);
  std::unordered_map<const Value*, Value*> map;
  for (Value* a : fn->body().arguments()) map[a] = dot->body().AddArgument(a->type(), a->name_hint());
  std::vector<Value*> results = ir::CloneBody(fn->body(), dot->body(), map);
  ir::Builder b(&dot->body());
  Value* total = nullptr;
  for (Value* y : results) {
    if (!IsFloat(y->type().dtype)) {
      return absl::InvalidArgumentError(
          absl::StrCat("@", function, " returns ", y->type().ToString(), ", which has no gradient"));
    }
    Value* cotangent = dot->body().AddArgument(y->type(), "d_" + y->name_hint());
    ASSIGN_OR_RETURN(Value * product, b.Build(OpCode::kMul, {y, cotangent}));
    std::vector<int64_t> axes(y->type().rank());
    for (size_t i = 0; i < axes.size(); ++i) axes[i] = static_cast<int64_t>(i);
    ASSIGN_OR_RETURN(Value * sum, b.Build(OpCode::kReduceSum, {product}, {{"axes", axes}}));
    if (total == nullptr) {
      total = sum;
    } else {
      ASSIGN_OR_RETURN(total, b.Build(OpCode::kAdd, {total, sum}));
    }
  }
  if (total == nullptr) return absl::InvalidArgumentError(absl::StrCat("@", function, " returns nothing"));
  dot->set_result_types({total->type()});
  RETURN_IF_ERROR(b.Return({total}).status());
  return dot;
}

}  // namespace loom::autodiff
