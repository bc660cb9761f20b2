#include "ir/builder.h"

#include "ir/verifier.h"
#include "support/status_macros.h"

namespace loom::ir {

Op* Builder::Insert(std::unique_ptr<Op> op) {
  return before_ ? block_->InsertBefore(before_, std::move(op)) : block_->Append(std::move(op));
}

absl::StatusOr<Op*> Builder::Create(OpCode code, std::vector<Value*> operands, AttrMap attrs,
                                    std::unique_ptr<Block> region, std::vector<int> segment_sizes) {
  auto op = Op::Create(code, std::move(operands), {}, std::move(attrs), loc_);
  op->set_segment_sizes(std::move(segment_sizes));
  op->SetRegion(std::move(region));
  // Placed before inference: load and store find their module through the parent block.
  Op* placed = Insert(std::move(op));
  absl::StatusOr<std::vector<TensorType>> types = InferResultTypes(*placed);
  if (!types.ok()) {
    block_->Erase(placed);
    return types.status();
  }
  placed->SetResultTypes(std::move(*types));
  return placed;
}

absl::StatusOr<Value*> Builder::Build(OpCode code, std::vector<Value*> operands, AttrMap attrs) {
  ASSIGN_OR_RETURN(Op * op, Create(code, std::move(operands), std::move(attrs)));
  return op->result(0);
}

absl::StatusOr<Value*> Builder::Constant(Tensor value) {
  return Build(OpCode::kConstant, {}, {{"value", std::move(value)}});
}

absl::StatusOr<Value*> Builder::Splat(DType dtype, Shape shape, double value) {
  // A scalar broadcast, so a large splat costs nothing until it runs.
  Tensor scalar(dtype, {});
  scalar.SetDouble(0, value);
  ASSIGN_OR_RETURN(Value * c, Constant(std::move(scalar)));
  if (shape.empty()) return c;
  return BroadcastInDim(c, std::move(shape), {});
}

absl::StatusOr<Value*> Builder::Reshape(Value* x, Shape shape) {
  return Build(OpCode::kReshape, {x}, {{"shape", std::move(shape)}});
}

absl::StatusOr<Value*> Builder::Slice(Value* x, std::vector<int64_t> start, std::vector<int64_t> limit) {
  return Build(OpCode::kSlice, {x}, {{"start", std::move(start)}, {"limit", std::move(limit)}});
}

absl::StatusOr<Value*> Builder::Concat(std::vector<Value*> xs, int64_t axis) {
  return Build(OpCode::kConcat, std::move(xs), {{"axis", axis}});
}

absl::StatusOr<Value*> Builder::BroadcastInDim(Value* x, Shape shape, std::vector<int64_t> dims) {
  return Build(OpCode::kBroadcastInDim, {x}, {{"shape", std::move(shape)}, {"dims", std::move(dims)}});
}

absl::StatusOr<Value*> Builder::Compare(Value* a, Value* b, std::string direction) {
  return Build(OpCode::kCompare, {a, b}, {{"direction", std::move(direction)}});
}

absl::StatusOr<Value*> Builder::Cast(Value* x, DType dtype) { return Build(OpCode::kCast, {x}, {{"dtype", dtype}}); }

absl::StatusOr<Op*> Builder::Yield(std::vector<Value*> values) { return Create(OpCode::kYield, std::move(values)); }

absl::StatusOr<Op*> Builder::Return(std::vector<Value*> values) { return Create(OpCode::kReturn, std::move(values)); }

}  // namespace loom::ir
