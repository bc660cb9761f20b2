#include "ir/ir.h"

#include <algorithm>

namespace loom::ir {

// ---- Value -------------------------------------------------------------------------

Block* Value::parent_block() const { return defining_op_ ? defining_op_->parent() : arg_block_; }

void Value::ReplaceAllUsesWith(Value* other) {
  if (other == this) return;
  // SetOperand edits uses_, so work on a copy.
  std::vector<Use> uses = uses_;
  for (const Use& u : uses) u.user->SetOperand(u.operand_index, other);
}

void Value::RemoveUse(Op* user, int operand_index) {
  auto it = std::find_if(uses_.begin(), uses_.end(),
                         [&](const Use& u) { return u.user == user && u.operand_index == operand_index; });
  if (it != uses_.end()) uses_.erase(it);
}

// ---- Op ----------------------------------------------------------------------------

std::unique_ptr<Op> Op::Create(OpCode code, std::vector<Value*> operands, std::vector<TensorType> result_types,
                               AttrMap attrs, Location loc) {
  std::unique_ptr<Op> op(new Op(code, std::move(loc)));
  op->SetOperands(std::move(operands));
  for (size_t i = 0; i < result_types.size(); ++i) {
    op->results_.push_back(
        std::unique_ptr<Value>(new Value(std::move(result_types[i]), op.get(), nullptr, static_cast<int>(i))));
  }
  op->attrs_ = std::move(attrs);
  return op;
}

Op::~Op() { DropOperands(); }

void Op::SetOperand(int i, Value* v) {
  if (operands_[i]) operands_[i]->RemoveUse(this, i);
  operands_[i] = v;
  if (v) v->uses_.push_back({this, i});
}

void Op::SetOperands(std::vector<Value*> operands) {
  DropOperands();
  operands_.assign(operands.size(), nullptr);
  for (size_t i = 0; i < operands.size(); ++i) SetOperand(static_cast<int>(i), operands[i]);
}

void Op::DropOperands() {
  for (int i = 0; i < num_operands(); ++i) {
    if (operands_[i]) operands_[i]->RemoveUse(this, i);
  }
  operands_.clear();
}

std::span<Value* const> Op::Segment(int k) const {
  int start = 0;
  for (int i = 0; i < k; ++i) start += segment_sizes_[i];
  return {operands_.data() + start, static_cast<size_t>(segment_sizes_[k])};
}

std::vector<Value*> Op::results() const {
  std::vector<Value*> out;
  for (const auto& r : results_) out.push_back(r.get());
  return out;
}

std::vector<TensorType> Op::result_types() const {
  std::vector<TensorType> out;
  for (const auto& r : results_) out.push_back(r->type());
  return out;
}

void Op::SetResultTypes(std::vector<TensorType> types) {
  if (types.size() != results_.size()) {
    results_.clear();
    for (size_t i = 0; i < types.size(); ++i) {
      results_.push_back(std::unique_ptr<Value>(new Value(types[i], this, nullptr, static_cast<int>(i))));
    }
    return;
  }
  for (size_t i = 0; i < types.size(); ++i) results_[i]->set_type(std::move(types[i]));
}

double Op::FloatAttr(const std::string& n, double dflt) const {
  auto it = attrs_.find(n);
  return it == attrs_.end() ? dflt : std::get<double>(it->second);
}

bool Op::BoolAttr(const std::string& n, bool dflt) const {
  auto it = attrs_.find(n);
  return it == attrs_.end() ? dflt : std::get<bool>(it->second);
}

void Op::SetRegion(std::unique_ptr<Block> block) {
  region_ = std::move(block);
  if (region_) region_->parent_op_ = this;
}

std::unique_ptr<Block> Op::TakeRegion() {
  if (region_) region_->parent_op_ = nullptr;
  return std::move(region_);
}

Function* Op::parent_function() const { return parent_ ? parent_->parent_function() : nullptr; }

// ---- Block -------------------------------------------------------------------------

Block::~Block() {
  // Ops may use values of earlier ops: drop every use before anything is freed.
  for (auto& op : ops_) op->DropOperands();
}

Value* Block::AddArgument(TensorType type, std::string name_hint) {
  args_.push_back(std::unique_ptr<Value>(new Value(std::move(type), nullptr, this, static_cast<int>(args_.size()))));
  args_.back()->set_name_hint(std::move(name_hint));
  return args_.back().get();
}

Value* Block::InsertArgument(int i, TensorType type, std::string name_hint) {
  auto arg = std::unique_ptr<Value>(new Value(std::move(type), nullptr, this, i));
  arg->set_name_hint(std::move(name_hint));
  Value* v = arg.get();
  args_.insert(args_.begin() + i, std::move(arg));
  for (size_t j = i + 1; j < args_.size(); ++j) args_[j]->index_ = static_cast<int>(j);
  return v;
}

void Block::EraseArgument(int i) {
  args_.erase(args_.begin() + i);
  for (size_t j = i; j < args_.size(); ++j) args_[j]->index_ = static_cast<int>(j);
}

std::vector<Value*> Block::arguments() const {
  std::vector<Value*> out;
  for (const auto& a : args_) out.push_back(a.get());
  return out;
}

Op* Block::terminator() const {
  if (ops_.empty() || !ops_.back()->info().has(kTerminator)) return nullptr;
  return ops_.back().get();
}

Op* Block::Append(std::unique_ptr<Op> op) { return InsertBefore(nullptr, std::move(op)); }

Op* Block::InsertBefore(Op* before, std::unique_ptr<Op> op) {
  Op* raw = op.get();
  raw->parent_ = this;
  raw->position_ = ops_.insert(Find(before), std::move(op));
  return raw;
}

Block::OpList::iterator Block::Find(Op* op) {
  return op != nullptr && op->parent_ == this ? op->position_ : ops_.end();
}

void Block::Erase(Op* op) {
  auto it = Find(op);
  if (it != ops_.end()) ops_.erase(it);
}

Function* Block::parent_function() const {
  if (parent_function_) return parent_function_;
  return parent_op_ ? parent_op_->parent_function() : nullptr;
}

// ---- Function and Module -----------------------------------------------------------

Function::Function(std::string name, Module* module) : name_(std::move(name)), module_(module) {
  body_.parent_function_ = this;
}

std::vector<TensorType> Function::input_types() const {
  std::vector<TensorType> out;
  for (Value* a : body_.arguments()) out.push_back(a->type());
  return out;
}

void Module::AddGlobal(Global global) {
  global_index_.emplace(global.name, globals_.size());
  globals_.push_back(std::move(global));
}

const Global* Module::FindGlobal(absl::string_view name) const {
  auto it = global_index_.find(name);
  return it == global_index_.end() ? nullptr : &globals_[it->second];
}

Function* Module::AddFunction(std::string name) {
  functions_.push_back(std::make_unique<Function>(std::move(name), this));
  return functions_.back().get();
}

Function* Module::FindFunction(absl::string_view name) const {
  for (const auto& f : functions_) {
    if (f->name() == name) return f.get();
  }
  return nullptr;
}

void Module::RemoveFunctionsExcept(absl::string_view keep) {
  std::erase_if(functions_, [&](const std::unique_ptr<Function>& f) { return f->name() != keep; });
}

// ---- Walking and cloning -----------------------------------------------------------

void Walk(Block& block, const std::function<void(Op&)>& fn) {
  for (auto& op : block.ops()) {
    fn(*op);
    if (op->has_region()) Walk(*op->region(), fn);
  }
}

void Walk(Module& module, const std::function<void(Op&)>& fn) {
  for (const auto& f : module.functions()) Walk(f->body(), fn);
}

std::vector<Block*> AllBlocks(Module& module) {
  std::vector<Block*> blocks;
  for (const auto& f : module.functions()) {
    blocks.push_back(&f->body());
    Walk(f->body(), [&](Op& op) {
      if (op.has_region()) blocks.push_back(op.region());
    });
  }
  return blocks;
}

std::unique_ptr<Op> CloneOp(const Op& op, std::unordered_map<const Value*, Value*>& map) {
  std::vector<Value*> operands;
  for (Value* v : op.operands()) {
    auto it = map.find(v);
    operands.push_back(it == map.end() ? v : it->second);
  }
  auto copy = Op::Create(op.code(), std::move(operands), op.result_types(), op.attrs(), op.loc());
  copy->set_segment_sizes(op.segment_sizes());
  for (int i = 0; i < op.num_results(); ++i) {
    copy->result(i)->set_name_hint(op.result(i)->name_hint());
    map[op.result(i)] = copy->result(i);
  }
  if (op.has_region()) {
    auto body = std::make_unique<Block>();
    std::unordered_map<const Value*, Value*> inner;
    for (Value* a : op.region()->arguments()) {
      inner[a] = body->AddArgument(a->type(), a->name_hint());
    }
    for (const auto& inner_op : op.region()->ops()) body->Append(CloneOp(*inner_op, inner));
    copy->SetRegion(std::move(body));
  }
  return copy;
}

std::vector<Value*> CloneBody(const Block& from, Block& to, std::unordered_map<const Value*, Value*>& map) {
  std::vector<Value*> yielded;
  for (const auto& op : from.ops()) {
    if (op->info().has(kTerminator)) {
      for (Value* v : op->operands()) {
        auto it = map.find(v);
        yielded.push_back(it == map.end() ? v : it->second);
      }
      continue;
    }
    to.Append(CloneOp(*op, map));
  }
  return yielded;
}

std::unique_ptr<Module> CloneModule(const Module& module) {
  auto copy = std::make_unique<Module>(module.name());
  for (const Global& g : module.globals()) copy->AddGlobal(g);
  for (const auto& f : module.functions()) {
    Function* g = copy->AddFunction(f->name());
    g->set_result_types(f->result_types());
    g->set_loc(f->loc());
    std::unordered_map<const Value*, Value*> map;
    for (Value* a : f->body().arguments()) {
      map[a] = g->body().AddArgument(a->type(), a->name_hint());
    }
    for (const auto& op : f->body().ops()) g->body().Append(CloneOp(*op, map));
  }
  return copy;
}

}  // namespace loom::ir
