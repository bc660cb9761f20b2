// The IR's data structures: SSA values, ops, blocks, functions and the module.
//
// Ownership: a Module owns its Functions, a Function its body Block, a Block its
// arguments and Ops, an Op its results and region Blocks. Values know their uses, so
// passes can ReplaceAllUsesWith and erase. Regions are isolated from above: the ops of a
// block use only that block's arguments and the results of earlier ops in it.
#ifndef LOOM_IR_IR_H_
#define LOOM_IR_IR_H_

#include <functional>
#include <list>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "ir/attribute.h"
#include "ir/location.h"
#include "ir/op_info.h"
#include "ir/types.h"

namespace loom::ir {

// How deep regions may nest (a scan in a scan ...): every reader (text, binary) and the
// verifier refuse more, so that nothing recursive over regions (printer, passes,
// interpreter, emitter, serializer) can run out of stack, and what one writes the other
// reads. Real models nest two or three deep.
inline constexpr int kMaxRegionDepth = 64;

class Block;
class Function;
class Module;
class Op;

struct Use {
  Op* user;
  int operand_index;
};

class Value {
 public:
  const TensorType& type() const { return type_; }
  void set_type(TensorType type) { type_ = std::move(type); }
  // The op that defines this value, or null for a block argument.
  Op* defining_op() const { return defining_op_; }
  // The block of a block argument, or the block of the defining op.
  Block* parent_block() const;
  int index() const { return index_; }  // result or argument number
  const std::string& name_hint() const { return name_hint_; }
  void set_name_hint(std::string name) { name_hint_ = std::move(name); }

  const std::vector<Use>& uses() const { return uses_; }
  bool has_uses() const { return !uses_.empty(); }
  void ReplaceAllUsesWith(Value* other);

 private:
  friend class Op;
  friend class Block;
  Value(TensorType type, Op* def, Block* block, int index)
      : type_(std::move(type)), defining_op_(def), arg_block_(block), index_(index) {}
  void RemoveUse(Op* user, int operand_index);

  TensorType type_;
  Op* defining_op_;
  Block* arg_block_;
  int index_;
  std::string name_hint_;
  std::vector<Use> uses_;
};

class Op {
 public:
  // Creates a detached op; insert it with Block::Append / InsertBefore.
  static std::unique_ptr<Op> Create(OpCode code, std::vector<Value*> operands, std::vector<TensorType> result_types,
                                    AttrMap attrs = {}, Location loc = {});
  ~Op();
  Op(const Op&) = delete;
  Op& operator=(const Op&) = delete;

  OpCode code() const { return code_; }
  const OpInfo& info() const { return GetOpInfo(code_); }
  absl::string_view name() const { return info().name; }
  const Location& loc() const { return loc_; }
  void set_loc(Location loc) { loc_ = std::move(loc); }

  // Operands.
  int num_operands() const { return static_cast<int>(operands_.size()); }
  Value* operand(int i) const { return operands_[i]; }
  const std::vector<Value*>& operands() const { return operands_; }
  void SetOperand(int i, Value* v);
  void SetOperands(std::vector<Value*> operands);
  // Operand segments (ops with named operand groups only): sizes, in table order.
  const std::vector<int>& segment_sizes() const { return segment_sizes_; }
  void set_segment_sizes(std::vector<int> sizes) { segment_sizes_ = std::move(sizes); }
  std::span<Value* const> Segment(int k) const;

  // Results.
  int num_results() const { return static_cast<int>(results_.size()); }
  Value* result(int i) const { return results_[i].get(); }
  std::vector<Value*> results() const;
  std::vector<TensorType> result_types() const;
  // Gives the op results of these types (the builder, once inference has run). The
  // existing results must have no uses when the count changes.
  void SetResultTypes(std::vector<TensorType> types);

  // Attributes.
  const AttrMap& attrs() const { return attrs_; }
  AttrMap& mutable_attrs() { return attrs_; }
  bool HasAttr(const std::string& n) const { return attrs_.count(n) > 0; }
  template <typename T>
  const T& Attr(const std::string& n) const {
    return std::get<T>(attrs_.at(n));
  }
  int64_t IntAttr(const std::string& n) const { return Attr<int64_t>(n); }
  double FloatAttr(const std::string& n, double dflt) const;
  bool BoolAttr(const std::string& n, bool dflt = false) const;
  const std::vector<int64_t>& IntsAttr(const std::string& n) const { return Attr<std::vector<int64_t>>(n); }

  // Region (at most one block).
  bool has_region() const { return region_ != nullptr; }
  Block* region() const { return region_.get(); }
  void SetRegion(std::unique_ptr<Block> block);
  std::unique_ptr<Block> TakeRegion();

  Block* parent() const { return parent_; }
  // The function this op is (possibly nested) inside, or null when detached.
  Function* parent_function() const;
  // Clears operands so the op's uses disappear; the block then frees it.
  void DropOperands();

 private:
  friend class Block;
  Op(OpCode code, Location loc) : code_(code), loc_(std::move(loc)) {}

  OpCode code_;
  Location loc_;
  std::vector<Value*> operands_;
  std::vector<int> segment_sizes_;
  std::vector<std::unique_ptr<Value>> results_;
  AttrMap attrs_;
  std::unique_ptr<Block> region_;
  Block* parent_ = nullptr;
  // Where this op sits in parent_'s list, so that finding it there is O(1): passes insert
  // before and erase ops of blocks with thousands of them (one scan per layer).
  std::list<std::unique_ptr<Op>>::iterator position_;
};

class Block {
 public:
  using OpList = std::list<std::unique_ptr<Op>>;
  Block() = default;
  ~Block();
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;

  Value* AddArgument(TensorType type, std::string name_hint = "");
  // Inserts an argument before argument i (the scan segment it belongs to).
  Value* InsertArgument(int i, TensorType type, std::string name_hint = "");
  // Removes argument i, which must have no uses.
  void EraseArgument(int i);
  int num_arguments() const { return static_cast<int>(args_.size()); }
  Value* argument(int i) const { return args_[i].get(); }
  std::vector<Value*> arguments() const;

  OpList& ops() { return ops_; }
  const OpList& ops() const { return ops_; }
  bool empty() const { return ops_.empty(); }
  Op* terminator() const;  // the last op if it is a terminator, else null

  Op* Append(std::unique_ptr<Op> op);
  // Inserts op before `before`, or at the end when `before` is not an op of this block.
  Op* InsertBefore(Op* before, std::unique_ptr<Op> op);
  // Erases an op whose results have no uses.
  void Erase(Op* op);
  OpList::iterator Find(Op* op);

  // The op owning this block (scan, fusion), or null for a function body.
  Op* parent_op() const { return parent_op_; }
  Function* parent_function() const;

 private:
  friend class Op;
  friend class Function;
  std::vector<std::unique_ptr<Value>> args_;
  OpList ops_;
  Op* parent_op_ = nullptr;
  Function* parent_function_ = nullptr;
};

class Function {
 public:
  Function(std::string name, Module* module);
  const std::string& name() const { return name_; }
  Block& body() { return body_; }
  const Block& body() const { return body_; }
  std::vector<TensorType> input_types() const;
  const std::vector<TensorType>& result_types() const { return result_types_; }
  void set_result_types(std::vector<TensorType> types) { result_types_ = std::move(types); }
  Module* module() const { return module_; }
  const Location& loc() const { return loc_; }
  void set_loc(Location loc) { loc_ = std::move(loc); }

 private:
  std::string name_;
  Module* module_;
  Block body_;
  std::vector<TensorType> result_types_;
  Location loc_;
};

// How a global's first value is made.
struct Initializer {
  enum class Kind { kZeros, kOnes, kConstant, kUniform, kNormal };
  Kind kind = Kind::kZeros;
  double a = 0;  // constant value, uniform low, normal mean
  double b = 0;  // uniform high, normal stddev
  bool operator==(const Initializer&) const = default;
};

// A parameter (trainable) or a piece of mutable state (optimizer moments, carried
// hidden state, step counters).
struct Global {
  std::string name;
  bool trainable = true;
  TensorType type;
  Initializer init;
  Location loc;
};

class Module {
 public:
  explicit Module(std::string name = "main") : name_(std::move(name)) {}
  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }

  const std::vector<Global>& globals() const { return globals_; }
  // For changing globals in place; their names must stay as they are (they are indexed).
  std::span<Global> mutable_globals() { return globals_; }
  // Appends a global. A second global of the same name is kept (the verifier reports it)
  // but FindGlobal answers with the first.
  void AddGlobal(Global global);
  // O(1): a model of thousands of layers has tens of thousands of globals.
  const Global* FindGlobal(absl::string_view name) const;

  Function* AddFunction(std::string name);
  const std::vector<std::unique_ptr<Function>>& functions() const { return functions_; }
  Function* FindFunction(absl::string_view name) const;
  // Removes every function but `keep`: compiling one function needs no other (functions
  // do not call each other), and passes then spend no time on the rest.
  void RemoveFunctionsExcept(absl::string_view keep);

 private:
  std::string name_;
  std::vector<Global> globals_;
  absl::flat_hash_map<std::string, size_t> global_index_;
  std::vector<std::unique_ptr<Function>> functions_;
};

// Calls fn on every op in `block` and in the regions nested in it, parents before the
// ops of their regions. fn must not erase ops.
void Walk(Block& block, const std::function<void(Op&)>& fn);
void Walk(Module& module, const std::function<void(Op&)>& fn);
// Every block of the module: function bodies and regions, outer before inner.
std::vector<Block*> AllBlocks(Module& module);

// Copies the ops of `from` (not its terminator) to the end of `to`, mapping operands
// through `map` and recording each result's copy in it. Returns the terminator's operands
// mapped. Used by unroll and autodiff.
std::vector<Value*> CloneBody(const Block& from, Block& to, std::unordered_map<const Value*, Value*>& map);
// Deep copy of one op with operands mapped through `map`.
std::unique_ptr<Op> CloneOp(const Op& op, std::unordered_map<const Value*, Value*>& map);
// Deep copy of a whole module.
std::unique_ptr<Module> CloneModule(const Module& module);

}  // namespace loom::ir

#endif  // LOOM_IR_IR_H_
