// cse: within each block, an op identical to an earlier one (same opcode, operands,
// attributes and result types, no region, no side effect) is replaced by it.
//
//   %a = tanh %x ; %b = tanh %x ; mul %a, %b   ==>   %a = tanh %x ; mul %a, %a
//
// Loads are left alone (a store may come between two of them); random ops are pure —
// their bits depend only on seed, counter and index — so they merge like any other.
#include "compiler/passes/passes.h"

namespace loom::passes {
namespace {

using ir::Op;

bool Eligible(const Op& op) {
  return !op.has_region() && !op.info().has(ir::kSideEffect) && !op.info().has(ir::kTerminator) &&
         op.code() != ir::OpCode::kLoad && op.num_results() > 0;
}

bool Same(const Op& a, const Op& b) {
  if (a.code() != b.code() || a.operands() != b.operands() || a.result_types() != b.result_types() ||
      a.attrs().size() != b.attrs().size()) {
    return false;
  }
  for (auto ia = a.attrs().begin(), ib = b.attrs().begin(); ia != a.attrs().end(); ++ia, ++ib) {
    if (ia->first != ib->first || !ir::AttrEqual(ia->second, ib->second)) return false;
  }
  return true;
}

class Cse : public Pass {
 public:
  absl::string_view name() const override { return "cse"; }

  absl::StatusOr<bool> Run(ir::Module& module) override {
    bool changed = false;
    for (ir::Block* block : ir::AllBlocks(module)) {
      // Candidates bucketed by opcode and first operand keep the search short.
      std::map<std::pair<int, const ir::Value*>, std::vector<Op*>> seen;
      for (auto it = block->ops().begin(); it != block->ops().end();) {
        Op* op = (it++)->get();
        if (!Eligible(*op)) continue;
        auto key = std::make_pair(static_cast<int>(op->code()), op->num_operands() ? op->operand(0) : nullptr);
        Op* twin = nullptr;
        for (Op* candidate : seen[key]) {
          if (Same(*candidate, *op)) twin = candidate;
        }
        if (twin == nullptr) {
          seen[key].push_back(op);
          continue;
        }
        for (int i = 0; i < op->num_results(); ++i) {
          op->result(i)->ReplaceAllUsesWith(twin->result(i));
        }
        block->Erase(op);
        changed = true;
      }
    }
    return changed;
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<Pass>> CreateCsePass(absl::string_view options) {
  if (!options.empty()) return absl::InvalidArgumentError("cse takes no options");
  return std::make_unique<Cse>();
}

}  // namespace loom::passes
