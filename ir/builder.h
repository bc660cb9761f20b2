// Builder: creates ops at an insertion point and infers their result types, so callers
// never spell a result type by hand. A shape error comes back as a Status naming the op
// and the operand types.
#ifndef LOOM_IR_BUILDER_H_
#define LOOM_IR_BUILDER_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/ir.h"

namespace loom::ir {

class Builder {
 public:
  // Inserts at the end of `block`, or before `before` when given.
  explicit Builder(Block* block, Op* before = nullptr) : block_(block), before_(before) {}
  void SetInsertionPointToEnd(Block* block) {
    block_ = block;
    before_ = nullptr;
  }
  void SetInsertionPoint(Op* before) {
    block_ = before->parent();
    before_ = before;
  }
  Block* block() const { return block_; }
  void set_loc(Location loc) { loc_ = std::move(loc); }

  // Inserts an op made elsewhere (a clone).
  Op* Insert(std::unique_ptr<Op> op);
  absl::StatusOr<Op*> Create(OpCode code, std::vector<Value*> operands, AttrMap attrs = {},
                             std::unique_ptr<Block> region = nullptr, std::vector<int> segment_sizes = {});
  // The single result of a one-result op.
  absl::StatusOr<Value*> Build(OpCode code, std::vector<Value*> operands, AttrMap attrs = {});

  absl::StatusOr<Value*> Constant(Tensor value);
  // `value` in every element of `shape` (a scalar constant, broadcast).
  absl::StatusOr<Value*> Splat(DType dtype, Shape shape, double value);
  absl::StatusOr<Value*> Reshape(Value* x, Shape shape);
  absl::StatusOr<Value*> Slice(Value* x, std::vector<int64_t> start, std::vector<int64_t> limit);
  absl::StatusOr<Value*> Concat(std::vector<Value*> xs, int64_t axis);
  absl::StatusOr<Value*> BroadcastInDim(Value* x, Shape shape, std::vector<int64_t> dims);
  absl::StatusOr<Value*> Compare(Value* a, Value* b, std::string direction);
  absl::StatusOr<Value*> Cast(Value* x, DType dtype);
  absl::StatusOr<Op*> Yield(std::vector<Value*> values);
  absl::StatusOr<Op*> Return(std::vector<Value*> values);

 private:
  Block* block_;
  Op* before_;
  Location loc_;
};

}  // namespace loom::ir

#endif  // LOOM_IR_BUILDER_H_
