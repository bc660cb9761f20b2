// elementwise-fusion: producer–consumer fusion of elementwise ops of one shape into a
// `fusion` region, which codegen emits as one loop nest. Slices, broadcasts and
// transposes of values from outside join as indexed reads, so an LSTM cell's gate
// slices, bias broadcast, non-linearities and cell update become one loop after the GEMM:
//
//   %i = slice %gates ...   %gi = sigmoid %i   %c1 = mul %gf, %c0   ...
//     ==>  %c1, %h1 = fusion %gates, %c0 { ^bb(%g, %c): %i = slice %g ... yield %c1, %h1 }
//
// First, slices sink through what they slice when nothing else reads it: a slice of an
// elementwise op becomes the op of slices, a slice of a broadcast the broadcast of a
// slice. Then the gate sum and bias of an LSTM fuse with the cell: one GEMM, one loop.
//
// Greedy, in block order: an elementwise op joins the groups of the operands it shares
// the shape with, as long as the fused op, placed at the last member, still comes before
// every outside user of a member. Values used outside become the fusion's results.
// Groups of one op are left alone. Runs in function bodies and scan bodies.
#include <algorithm>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "compiler/passes/passes.h"
#include "ir/builder.h"
#include "support/status_macros.h"

namespace loom::passes {
namespace {

using ir::Block;
using ir::Op;
using ir::OpCode;
using ir::Value;

bool Fusible(const Op& op) {
  if (op.info().has(ir::kSideEffect) || op.num_results() != 1) return false;
  return op.info().has(ir::kElementwise) || op.info().has(ir::kIndexing);
}

class Grouping {
 public:
  explicit Grouping(Block& block) {
    int i = 0;
    for (const auto& op : block.ops()) position_[op.get()] = i++;
  }

  void Visit(Op* op) {
    if (!Fusible(*op)) return;
    const Shape& shape = op->result(0)->type().shape;
    int group = NewGroup(op);
    Op* source = op->operand(0)->defining_op();
    if (op->info().has(ir::kIndexing)) {
      // An indexing op reads a value from outside, or extends a chain of indexing ops
      // that it alone reads (a broadcast of a slice: one composed access).
      if (source != nullptr && group_of_.count(source) && source->info().has(ir::kIndexing) &&
          source->result(0)->uses().size() == 1) {
        Merge(group_of_.at(source), group);
      }
      return;
    }
    for (Value* v : op->operands()) {
      Op* def = v->defining_op();
      if (def == nullptr || !group_of_.count(def) || def->result(0)->type().shape != shape) continue;
      int other = group_of_.at(def);
      if (other != group && CanMerge(group, other, op)) Merge(group, other);
    }
  }

  // Groups worth a fusion (two ops or more, at least one of them elementwise), members in
  // block order.
  std::vector<std::vector<Op*>> Groups() const {
    std::map<int, std::vector<Op*>> by_id;
    for (const auto& [g, ops] : members_) by_id[g] = ops;
    std::vector<std::vector<Op*>> out;
    for (auto& [g, ops] : by_id) {
      bool elementwise = std::any_of(ops.begin(), ops.end(), [](Op* o) { return o->info().has(ir::kElementwise); });
      if (ops.size() < 2 || !elementwise) continue;
      std::sort(ops.begin(), ops.end(), [&](Op* a, Op* b) { return position_.at(a) < position_.at(b); });
      out.push_back(std::move(ops));
    }
    return out;
  }

 private:
  int NewGroup(Op* op) {
    int g = next_++;
    group_of_[op] = g;
    members_[g] = {op};
    return g;
  }

  // `other` may join `group` (whose last member is `last`) if no outside user of its
  // members comes before `last` or reads a value of another shape than `last`'s (the
  // intermediate of an indexing chain), and no indexing op of either reads an elementwise
  // member (a fusion body indexes its arguments only).
  bool CanMerge(int group, int other, const Op* last) const {
    auto in_either = [&](const Op* o) {
      auto it = group_of_.find(o);
      return it != group_of_.end() && (it->second == group || it->second == other);
    };
    for (int g : {group, other}) {
      for (const Op* m : members_.at(g)) {
        const Op* def = m->operand(0)->defining_op();
        bool reads_member = def != nullptr && in_either(def) && !def->info().has(ir::kIndexing);
        if (m->info().has(ir::kIndexing) && reads_member) return false;
      }
    }
    for (const Op* m : members_.at(other)) {
      for (const ir::Use& use : m->result(0)->uses()) {
        if (in_either(use.user)) continue;
        auto it = position_.find(use.user);
        if (it == position_.end() || it->second < position_.at(last)) return false;
        if (m->result(0)->type().shape != last->result(0)->type().shape) return false;
      }
    }
    return true;
  }

  void Merge(int group, int other) {
    for (Op* m : members_.at(other)) {
      group_of_[m] = group;
      members_[group].push_back(m);
    }
    members_.erase(other);
  }

  std::unordered_map<const Op*, int> position_;
  std::unordered_map<const Op*, int> group_of_;
  std::unordered_map<int, std::vector<Op*>> members_;
  int next_ = 0;
};

// Replaces `members` (in block order) by one fusion op at the last member. A group
// nobody reads stays, for dce.
absl::StatusOr<bool> Fuse(Block& block, const std::vector<Op*>& members) {
  std::unordered_set<const Op*> inside(members.begin(), members.end());
  std::vector<Value*> operands, results;
  std::unordered_set<const Value*> seen;
  for (Op* m : members) {
    for (Value* v : m->operands()) {
      if ((v->defining_op() == nullptr || !inside.count(v->defining_op())) && seen.insert(v).second) {
        operands.push_back(v);
      }
    }
    for (const ir::Use& use : m->result(0)->uses()) {
      if (!inside.count(use.user)) {
        results.push_back(m->result(0));
        break;
      }
    }
  }
  if (results.empty()) return false;
  auto body = std::make_unique<Block>();
  std::unordered_map<const Value*, Value*> map;
  for (Value* v : operands) map[v] = body->AddArgument(v->type(), v->name_hint());
  for (Op* m : members) body->Append(ir::CloneOp(*m, map));
  std::vector<Value*> yielded;
  for (Value* r : results) yielded.push_back(map.at(r));
  ir::Builder inner(body.get());
  RETURN_IF_ERROR(inner.Yield(yielded).status());

  Op* last = members.back();
  ir::Builder b(&block, last);
  b.set_loc(last->loc());
  ASSIGN_OR_RETURN(Op * fusion, b.Create(OpCode::kFusion, operands, {}, std::move(body)));
  for (size_t i = 0; i < results.size(); ++i) {
    fusion->result(i)->set_name_hint(results[i]->name_hint());
    results[i]->ReplaceAllUsesWith(fusion->result(i));
  }
  for (auto it = members.rbegin(); it != members.rend(); ++it) block.Erase(*it);
  return true;
}

bool OnlySliced(const Value* v) {
  return std::all_of(v->uses().begin(), v->uses().end(),
                     [](const ir::Use& u) { return u.user->code() == OpCode::kSlice; });
}

// slice(f(x, y)) → f(slice(x), slice(y)); slice(broadcast(b)) → broadcast(slice(b)).
// Returns the replacement of `slice`, or null when it stays.
absl::StatusOr<Value*> SinkSlice(Op& slice) {
  Op* def = slice.operand(0)->defining_op();
  if (def == nullptr || slice.HasAttr("strides") || def->num_results() != 1 || !OnlySliced(def->result(0))) {
    return nullptr;
  }
  const auto& start = slice.IntsAttr("start");
  const auto& limit = slice.IntsAttr("limit");
  ir::Builder b(slice.parent(), &slice);
  b.set_loc(slice.loc());
  if (def->info().has(ir::kElementwise) && !def->info().has(ir::kSideEffect)) {
    std::vector<Value*> parts;
    for (Value* v : def->operands()) {
      ASSIGN_OR_RETURN(Value * part, b.Slice(v, start, limit));
      parts.push_back(part);
    }
    return b.Build(def->code(), parts, def->attrs());
  }
  if (def->code() == OpCode::kBroadcastInDim) {
    Value* x = def->operand(0);
    const auto& dims = def->IntsAttr("dims");
    std::vector<int64_t> xs, xl;
    for (size_t i = 0; i < dims.size(); ++i) {
      bool stretched = x->type().shape[i] == 1;
      xs.push_back(stretched ? 0 : start[dims[i]]);
      xl.push_back(stretched ? 1 : limit[dims[i]]);
    }
    ASSIGN_OR_RETURN(Value * part, b.Slice(x, xs, xl));
    return b.BroadcastInDim(part, slice.result(0)->type().shape, dims);
  }
  return nullptr;
}

absl::StatusOr<bool> SinkSlices(Block& block) {
  bool changed = false;
  for (bool again = true; again;) {
    again = false;
    for (auto it = block.ops().begin(); it != block.ops().end(); ++it) {
      Op* op = it->get();
      if (op->code() != OpCode::kSlice) continue;
      ASSIGN_OR_RETURN(Value * replacement, SinkSlice(*op));
      if (replacement == nullptr) continue;
      replacement->set_name_hint(op->result(0)->name_hint());
      op->result(0)->ReplaceAllUsesWith(replacement);
      Op* def = op->operand(0)->defining_op();
      block.Erase(op);
      if (!def->result(0)->has_uses()) block.Erase(def);
      again = changed = true;
      break;
    }
  }
  return changed;
}

// An indexing op that several elementwise ops read gets a copy for each: fused, each
// reads through its own (an indexed read costs nothing), where one shared op would have
// to be the output of one fusion and an input of the others — a materialized broadcast
// of a scalar, say, which an optimizer's update of every parameter of one shape shares.
bool SplitSharedIndexing(Block& block) {
  bool changed = false;
  for (auto& op : block.ops()) {
    if (!op->info().has(ir::kIndexing) || op->num_results() != 1) continue;
    std::vector<ir::Use> elementwise;
    for (const ir::Use& u : op->result(0)->uses()) {
      if (u.user->info().has(ir::kElementwise)) elementwise.push_back(u);
    }
    for (size_t i = 1; i < elementwise.size(); ++i) {
      std::unordered_map<const Value*, Value*> same;
      Op* copy = block.InsertBefore(elementwise[i].user, ir::CloneOp(*op, same));
      elementwise[i].user->SetOperand(elementwise[i].operand_index, copy->result(0));
      changed = true;
    }
  }
  return changed;
}

absl::StatusOr<bool> FuseBlock(Block& block) {
  bool changed = false;
  for (const auto& op : block.ops()) {
    if (op->code() == OpCode::kScan) {
      ASSIGN_OR_RETURN(bool c, FuseBlock(*op->region()));
      changed |= c;
    }
  }
  changed |= SplitSharedIndexing(block);
  ASSIGN_OR_RETURN(bool sunk, SinkSlices(block));
  changed |= sunk;
  Grouping grouping(block);
  for (const auto& op : block.ops()) grouping.Visit(op.get());
  for (const std::vector<Op*>& members : grouping.Groups()) {
    ASSIGN_OR_RETURN(bool fused, Fuse(block, members));
    changed |= fused;
  }
  return changed;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Pass>> CreateElementwiseFusionPass(absl::string_view options) {
  return MakeBodyPass("elementwise-fusion", options, FuseBlock);
}

}  // namespace loom::passes
