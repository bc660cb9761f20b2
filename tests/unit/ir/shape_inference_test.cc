// The builder infers result types; malformed ops are refused with the op and the types.
#include "gtest/gtest.h"
#include "ir/builder.h"

namespace loom::ir {
namespace {

class ShapeInferenceTest : public ::testing::Test {
 protected:
  Value* Arg(DType d, Shape s) { return block_.AddArgument({d, std::move(s)}); }
  TensorType TypeOf(absl::StatusOr<Value*> v) {
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? (*v)->type() : TensorType{};
  }
  std::string ErrorOf(absl::StatusOr<Value*> v) {
    EXPECT_FALSE(v.ok());
    return v.ok() ? "" : std::string(v.status().message());
  }
  Block block_;
  Builder b_{&block_};
};

TEST_F(ShapeInferenceTest, Elementwise) {
  Value* x = Arg(DType::kF32, {2, 3});
  EXPECT_EQ(TypeOf(b_.Build(OpCode::kTanh, {x})), (TensorType{DType::kF32, {2, 3}}));
  EXPECT_EQ(TypeOf(b_.Compare(x, x, "lt")), (TensorType{DType::kI1, {2, 3}}));
  EXPECT_EQ(TypeOf(b_.Cast(x, DType::kI64)), (TensorType{DType::kI64, {2, 3}}));
  Value* s = Arg(DType::kF64, {});
  EXPECT_EQ(TypeOf(b_.Build(OpCode::kExp, {s})), (TensorType{DType::kF64, {}}));
}

TEST_F(ShapeInferenceTest, ElementwiseErrorsNameOpAndBothTypes) {
  Value* x = Arg(DType::kF32, {4});
  Value* y = Arg(DType::kF32, {3});
  EXPECT_EQ(ErrorOf(b_.Build(OpCode::kAdd, {x, y})), "'add' operand types differ: f32[4] and f32[3]");
  Value* i = Arg(DType::kI32, {4});
  EXPECT_EQ(ErrorOf(b_.Build(OpCode::kExp, {i})), "'exp' expects a floating-point operand, got i32[4]");
  EXPECT_EQ(ErrorOf(b_.Compare(x, x, "less")),
            "'compare' direction must be one of eq, ne, lt, le, gt, ge; got \"less\"");
}

TEST_F(ShapeInferenceTest, Matmul) {
  Value* a = Arg(DType::kF32, {2, 3});
  Value* b = Arg(DType::kF32, {3, 5});
  Value* bt = Arg(DType::kF32, {5, 3});
  EXPECT_EQ(TypeOf(b_.Build(OpCode::kMatmul, {a, b})), (TensorType{DType::kF32, {2, 5}}));
  EXPECT_EQ(TypeOf(b_.Build(OpCode::kMatmul, {a, bt}, {{"transpose_b", true}})), (TensorType{DType::kF32, {2, 5}}));
  EXPECT_EQ(TypeOf(b_.Build(OpCode::kMatmul, {a, a}, {{"transpose_a", true}})), (TensorType{DType::kF32, {3, 3}}));
  EXPECT_EQ(ErrorOf(b_.Build(OpCode::kMatmul, {a, bt})),
            "'matmul' contracting dimensions differ (3 vs 5): f32[2,3] and f32[5,3]");
  Value* a3 = Arg(DType::kF32, {4, 2, 3});
  Value* b3 = Arg(DType::kF32, {4, 3, 1});
  EXPECT_EQ(TypeOf(b_.Build(OpCode::kMatmul, {a3, b3})), (TensorType{DType::kF32, {4, 2, 1}}));
}

TEST_F(ShapeInferenceTest, DataMovement) {
  Value* x = Arg(DType::kF32, {2, 1, 3});
  EXPECT_EQ(TypeOf(b_.Reshape(x, {3, 2})), (TensorType{DType::kF32, {3, 2}}));
  EXPECT_EQ(ErrorOf(b_.Reshape(x, {4})), "'reshape' cannot reshape f32[2,1,3] to [4]: element counts differ");
  EXPECT_EQ(TypeOf(b_.Build(OpCode::kTranspose, {x}, {{"perm", std::vector<int64_t>{2, 0, 1}}})),
            (TensorType{DType::kF32, {3, 2, 1}}));
  EXPECT_EQ(TypeOf(b_.BroadcastInDim(x, {2, 5, 3}, {0, 1, 2})), (TensorType{DType::kF32, {2, 5, 3}}));
  EXPECT_EQ(ErrorOf(b_.BroadcastInDim(x, {3, 1, 3}, {0, 1, 2})),
            "'broadcast_in_dim' cannot broadcast f32[2,1,3] to [3, 1, 3] with dims [0, 1, 2]");
  EXPECT_EQ(TypeOf(b_.Concat({x, x}, 1)), (TensorType{DType::kF32, {2, 2, 3}}));
  EXPECT_EQ(TypeOf(b_.Slice(x, {0, 0, 1}, {2, 1, 3})), (TensorType{DType::kF32, {2, 1, 2}}));
  EXPECT_EQ(TypeOf(b_.Slice(x, {1, 0, 0}, {1, 1, 0})), (TensorType{DType::kF32, {0, 1, 0}}));
  EXPECT_EQ(ErrorOf(b_.Slice(x, {0, 0, 0}, {3, 1, 3})),
            "'slice' slice [0, 0, 0] to [3, 1, 3] by [1, 1, 1] is out of bounds for f32[2,1,3]");
  EXPECT_EQ(TypeOf(b_.Build(OpCode::kReduceSum, {x}, {{"axes", std::vector<int64_t>{0, 2}}})),
            (TensorType{DType::kF32, {1}}));
}

TEST_F(ShapeInferenceTest, GatherScatterOneHot) {
  Value* table = Arg(DType::kF32, {10, 4});
  Value* ids = Arg(DType::kI64, {2, 3});
  EXPECT_EQ(TypeOf(b_.Build(OpCode::kGather, {table, ids})), (TensorType{DType::kF32, {2, 3, 4}}));
  Value* upd = Arg(DType::kF32, {2, 3, 4});
  EXPECT_EQ(TypeOf(b_.Build(OpCode::kScatterAdd, {table, ids, upd})), (TensorType{DType::kF32, {10, 4}}));
  EXPECT_EQ(TypeOf(b_.Build(OpCode::kOneHot, {ids}, {{"depth", int64_t{7}}, {"dtype", DType::kF32}})),
            (TensorType{DType::kF32, {2, 3, 7}}));
  EXPECT_EQ(ErrorOf(b_.Build(OpCode::kGather, {table, table})), "'gather' indices must be integers, got f32[10,4]");
}

TEST_F(ShapeInferenceTest, MissingAndWrongAttributes) {
  Value* x = Arg(DType::kF32, {2});
  EXPECT_EQ(ErrorOf(b_.Build(OpCode::kReshape, {x})), "'reshape' needs attribute 'shape' (ints)");
  EXPECT_EQ(ErrorOf(b_.Build(OpCode::kReshape, {x}, {{"shape", int64_t{2}}})),
            "'reshape' attribute 'shape' must be ints, got int");
  EXPECT_EQ(ErrorOf(b_.Build(OpCode::kNeg, {x}, {{"axis", int64_t{0}}})), "'neg' has unknown attribute 'axis'");
  EXPECT_EQ(ErrorOf(b_.Build(OpCode::kNeg, {x, x})), "'neg' takes 1 operand, got 2");
}

}  // namespace
}  // namespace loom::ir
