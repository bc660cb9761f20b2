#include "ir/verifier.h"

#include <set>
#include <unordered_set>

#include "absl/strings/str_cat.h"
#include "support/status_macros.h"

namespace loom::ir {
namespace {

template <typename... Args>
absl::Status Bad(const Op& op, const Args&... args) {
  return absl::InvalidArgumentError(absl::StrCat("'", op.name(), "' ", args...));
}

absl::Status CheckOperandCount(const Op& op) {
  const OpInfo& info = op.info();
  if (info.segments.empty()) {
    if (!op.segment_sizes().empty()) return Bad(op, "takes no operand groups");
    if (info.operands.count != kVariadic && op.num_operands() != info.operands.count) {
      return Bad(op, "takes ", info.operands.count, " operand", info.operands.count == 1 ? "" : "s", ", got ",
                 op.num_operands());
    }
    return absl::OkStatus();
  }
  const auto& sizes = op.segment_sizes();
  if (sizes.size() != info.segments.size()) {
    return Bad(op, "needs ", info.segments.size(), " operand groups, got ", sizes.size());
  }
  int total = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (info.segments[i].optional && sizes[i] > 1) {
      return Bad(op, "takes at most one value in ", info.segments[i].name);
    }
    total += sizes[i];
  }
  if (total != op.num_operands()) return Bad(op, "operand groups do not add up");
  return absl::OkStatus();
}

absl::Status CheckAttributes(const Op& op) {
  const OpInfo& info = op.info();
  for (const AttrSpec& spec : info.attrs) {
    auto it = op.attrs().find(spec.name);
    if (it == op.attrs().end()) {
      if (spec.optional) continue;
      return Bad(op, "needs attribute '", spec.name, "' (", AttrKindName(spec.kind), ")");
    }
    if (KindOf(it->second) != spec.kind) {
      return Bad(op, "attribute '", spec.name, "' must be ", AttrKindName(spec.kind), ", got ",
                 AttrKindName(KindOf(it->second)));
    }
  }
  for (const auto& [name, value] : op.attrs()) {
    if (info.FindAttr(name) == nullptr) return Bad(op, "has unknown attribute '", name, "'");
  }
  return absl::OkStatus();
}

absl::Status VerifyBlock(const Block& block, OpCode terminator, int depth);

absl::Status VerifyOp(const Op& op, const std::unordered_set<const Value*>& defined, int depth) {
  for (int i = 0; i < op.num_operands(); ++i) {
    if (op.operand(i) == nullptr || !defined.count(op.operand(i))) {
      return ErrorAt(op.loc(),
                     absl::StrCat("'", op.name(), "' operand ", i, " is not defined before it in this block"));
    }
  }
  if (op.has_region() != op.info().has(kRegion)) {
    return ErrorAt(op.loc(),
                   absl::StrCat("'", op.name(), "' ", op.has_region() ? "takes no region" : "needs a region"));
  }
  if (op.has_region()) {
    if (depth == kMaxRegionDepth) {
      return ErrorAt(op.loc(), absl::StrCat("regions nested more than ", kMaxRegionDepth, " deep"));
    }
    RETURN_IF_ERROR(VerifyBlock(*op.region(), OpCode::kYield, depth + 1));
  }
  absl::StatusOr<std::vector<TensorType>> types = InferResultTypes(op);
  if (!types.ok()) return ErrorAt(op.loc(), types.status().message());
  if (*types != op.result_types()) {
    std::string got, want;
    for (const auto& t : op.result_types()) absl::StrAppend(&got, got.empty() ? "" : ", ", t.ToString());
    for (const auto& t : *types) absl::StrAppend(&want, want.empty() ? "" : ", ", t.ToString());
    return ErrorAt(op.loc(),
                   absl::StrCat("'", op.name(), "' result types (", got, ") do not match the inferred (", want, ")"));
  }
  return absl::OkStatus();
}

absl::Status VerifyBlock(const Block& block, OpCode terminator, int depth) {
  std::unordered_set<const Value*> defined;
  for (Value* a : block.arguments()) {
    absl::Status size = CheckElementCount(a->type().dtype, a->type().shape, "an argument");
    if (!size.ok()) return ErrorAt(block.parent_op() ? block.parent_op()->loc() : Location{}, size.message());
    defined.insert(a);
  }
  for (const auto& op : block.ops()) {
    bool last = op == block.ops().back();
    if (op->info().has(kTerminator) && (!last || op->code() != terminator)) {
      return ErrorAt(op->loc(), absl::StrCat("'", op->name(), "' may only end ",
                                             terminator == OpCode::kYield ? "a region" : "a function"));
    }
    RETURN_IF_ERROR(VerifyOp(*op, defined, depth));
    for (Value* r : op->results()) defined.insert(r);
  }
  if (block.terminator() == nullptr) {
    Location loc = block.empty() ? Location{} : block.ops().back()->loc();
    if (block.parent_op()) loc = block.parent_op()->loc();
    return ErrorAt(loc, absl::StrCat("block must end in '", OpName(terminator), "'"));
  }
  return absl::OkStatus();
}

absl::Status VerifyFunction(const Function& f) {
  RETURN_IF_ERROR(VerifyBlock(f.body(), OpCode::kReturn, 0));
  const Op* ret = f.body().terminator();
  std::vector<TensorType> returned;
  for (Value* v : ret->operands()) returned.push_back(v->type());
  if (returned != f.result_types()) {
    std::string got, want;
    for (const auto& t : returned) absl::StrAppend(&got, got.empty() ? "" : ", ", t.ToString());
    for (const auto& t : f.result_types()) absl::StrAppend(&want, want.empty() ? "" : ", ", t.ToString());
    return ErrorAt(ret->loc(), absl::StrCat("'return' returns (", got, ") but @", f.name(), " declares (", want, ")"));
  }
  return absl::OkStatus();
}

absl::Status VerifyGlobal(const Global& g) {
  absl::Status size = CheckElementCount(g.type.dtype, g.type.shape, absl::StrCat("@", g.name));
  if (!size.ok()) return ErrorAt(g.loc, size.message());
  const Initializer& init = g.init;
  if (init.kind == Initializer::Kind::kUniform && !(init.a <= init.b)) {
    return ErrorAt(g.loc, absl::StrCat("@", g.name, ": uniform(a, b) needs a <= b"));
  }
  if (init.kind == Initializer::Kind::kNormal && !(init.b >= 0)) {
    return ErrorAt(g.loc, absl::StrCat("@", g.name, ": normal(mean, std) needs std >= 0"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<TensorType>> InferResultTypes(const Op& op) {
  RETURN_IF_ERROR(CheckOperandCount(op));
  RETURN_IF_ERROR(CheckAttributes(op));
  ASSIGN_OR_RETURN(std::vector<TensorType> types, op.info().infer(op));
  // Every value's size is held to 2^40 elements where it is made, so no later size
  // arithmetic (arenas, byte counts, loops) can overflow.
  for (const TensorType& t : types) {
    RETURN_IF_ERROR(CheckElementCount(t.dtype, t.shape, absl::StrCat("'", op.name(), "' result")));
  }
  return types;
}

absl::Status Verify(const Module& module) {
  std::set<std::string> names;
  for (const Global& g : module.globals()) {
    if (!names.insert(g.name).second) {
      return ErrorAt(g.loc, absl::StrCat("global @", g.name, " is defined twice"));
    }
    RETURN_IF_ERROR(VerifyGlobal(g));
  }
  std::set<std::string> functions;
  for (const auto& f : module.functions()) {
    if (!functions.insert(f->name()).second) {
      return ErrorAt(f->loc(), absl::StrCat("function @", f->name(), " is defined twice"));
    }
    RETURN_IF_ERROR(VerifyFunction(*f));
  }
  return absl::OkStatus();
}

}  // namespace loom::ir
