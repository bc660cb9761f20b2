#include "compiler/autodiff/hoist_accumulation.h"

#include <algorithm>
#include <optional>

#include "compiler/passes/scan_rewrite.h"
#include "support/status_macros.h"

namespace loom::autodiff {
namespace {

using ir::Op;
using ir::OpCode;
using ir::Value;

// A carry whose next value is its own argument plus aᵀ·b, and nothing else reads.
struct Accumulation {
  int carry;
  Op *add, *product;
};

bool OnlyUse(const Value* v, const Op* user) { return v->uses().size() == 1 && v->uses()[0].user == user; }

std::optional<Accumulation> Match(const Op& scan, int c) {
  const ir::Block& body = *scan.region();
  const Op& yield = *body.terminator();
  const Value* arg = body.argument(c);
  Value* next = yield.operand(c);
  Op* add = next->defining_op();
  if (add == nullptr || add->code() != OpCode::kAdd || add->parent() != &body || !OnlyUse(next, &yield) ||
      !OnlyUse(arg, add)) {
    return std::nullopt;
  }
  Value* term = add->operand(0) == arg ? add->operand(1) : add->operand(0);
  Op* product = term->defining_op();
  if (product == nullptr || product->code() != OpCode::kMatmul || product->parent() != &body || !OnlyUse(term, add) ||
      !product->BoolAttr("transpose_a") || product->BoolAttr("transpose_b") || term->type().rank() != 2) {
    return std::nullopt;
  }
  // Invariants would be repeated T times: their sum is another rewrite.
  for (const Value* v : product->operands()) {
    if (passes::IsScanArgument(scan, v, passes::kScanInvariants)) return std::nullopt;
  }
  return Accumulation{c, add, product};
}

}  // namespace

absl::StatusOr<std::vector<Value*>> HoistAccumulations(ir::Builder& after, Op& scan, int first, int count) {
  std::vector<Value*> results = scan.results();
  if (scan.segment_sizes()[3] != 0) return results;  // lengths: padded steps must not count
  std::vector<Accumulation> found;
  for (int c = first; c < first + count; ++c) {
    if (std::optional<Accumulation> a = Match(scan, c)) found.push_back(*a);
  }
  if (found.empty()) return results;

  ir::Block& body = *scan.region();
  Op& yield = *body.terminator();
  const int nc = scan.segment_sizes()[0], ns = scan.segment_sizes()[1], ni = scan.segment_sizes()[2];
  const int nl = scan.segment_sizes()[3];
  const int64_t length = scan.IntAttr("length");
  // Each product's operands, stacked over time: a step input is stacked already; any
  // other body value becomes a per-step output of the scan.
  std::vector<Value*> new_outputs;
  std::vector<std::pair<Value*, int>> stacked_operands;  // (outer value, or null and output index)
  for (const Accumulation& a : found) {
    for (Value* v : a.product->operands()) {
      if (passes::IsScanArgument(scan, v, passes::kScanSteps)) {
        stacked_operands.push_back({passes::ScanOperandOf(scan, v), -1});
        continue;
      }
      auto at = std::find(new_outputs.begin(), new_outputs.end(), v);
      if (at == new_outputs.end()) at = new_outputs.insert(at, v);
      stacked_operands.push_back({nullptr, static_cast<int>(at - new_outputs.begin())});
    }
  }

  // The body without the accumulations: their carries leave the yield and the arguments.
  std::vector<bool> dropped(nc, false);
  for (const Accumulation& a : found) dropped[a.carry] = true;
  std::vector<Value*> yielded;
  for (int c = 0; c < nc; ++c) {
    if (!dropped[c]) yielded.push_back(yield.operand(c));
  }
  for (int o = nc; o < yield.num_operands(); ++o) yielded.push_back(yield.operand(o));
  int old_outputs = yield.num_operands() - nc;
  yielded.insert(yielded.end(), new_outputs.begin(), new_outputs.end());
  yield.SetOperands(yielded);
  for (const Accumulation& a : found) {
    body.Erase(a.add);
    if (!a.product->result(0)->has_uses()) body.Erase(a.product);
  }
  for (int c = nc; c-- > 0;) {
    if (dropped[c]) body.EraseArgument(c);
  }

  std::vector<Value*> operands;
  for (int i = 0; i < scan.num_operands(); ++i) {
    if (i >= nc || !dropped[i]) operands.push_back(scan.operand(i));
  }
  int new_nc = nc - static_cast<int>(found.size());
  ir::Builder here(scan.parent(), &scan);
  here.set_loc(scan.loc());
  ASSIGN_OR_RETURN(Op * rebuilt,
                   here.Create(OpCode::kScan, operands, scan.attrs(), scan.TakeRegion(), {new_nc, ns, ni, nl}));
  std::vector<Value*> final_results(scan.num_results(), nullptr);
  for (int c = 0, next = 0; c < nc; ++c) {
    if (!dropped[c]) final_results[c] = rebuilt->result(next++);
  }
  for (int o = 0; o < old_outputs; ++o) final_results[nc + o] = rebuilt->result(new_nc + o);
  for (int r = 0; r < scan.num_results(); ++r) {
    if (final_results[r] == nullptr) continue;
    final_results[r]->set_name_hint(scan.result(r)->name_hint());
    scan.result(r)->ReplaceAllUsesWith(final_results[r]);
  }

  // After the loop: one product over all the steps per accumulation, added to the
  // carry's first value.
  size_t k = 0;
  for (const Accumulation& a : found) {
    std::vector<Value*> rows;
    for (int side = 0; side < 2; ++side, ++k) {
      auto [outer, output] = stacked_operands[k];
      Value* stacked = outer ? outer : rebuilt->result(new_nc + old_outputs + output);
      const Shape& s = stacked->type().shape;  // [T, K, M] or [T, K, N]
      ASSIGN_OR_RETURN(Value * flat, after.Reshape(stacked, {length * s[1], s[2]}));
      rows.push_back(flat);
    }
    ASSIGN_OR_RETURN(Value * product, after.Build(OpCode::kMatmul, rows, {{"transpose_a", true}}));
    ASSIGN_OR_RETURN(Value * total, after.Build(OpCode::kAdd, {scan.operand(a.carry), product}));
    total->set_name_hint(scan.result(a.carry)->name_hint());
    scan.result(a.carry)->ReplaceAllUsesWith(total);
    final_results[a.carry] = total;
  }
  scan.parent()->Erase(&scan);
  return final_results;
}

}  // namespace loom::autodiff
