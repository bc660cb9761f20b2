// The block's op list and the module's globals: both are indexed (an op knows its place,
// a global's name its entry) so that passes stay linear on models of many layers.
#include "gtest/gtest.h"
#include "ir/builder.h"
#include "ir/ir.h"

namespace loom::ir {
namespace {

std::vector<Op*> Order(Block& block) {
  std::vector<Op*> out;
  for (const auto& op : block.ops()) out.push_back(op.get());
  return out;
}

TEST(BlockTest, InsertBeforeAndEraseKeepTheOrder) {
  Module m;
  Block& body = m.AddFunction("main")->body();
  Value* x = body.AddArgument({DType::kF32, {2}});
  Builder b(&body);
  Op* a = (*b.Build(OpCode::kTanh, {x}))->defining_op();
  Op* c = (*b.Build(OpCode::kExp, {x}))->defining_op();
  Builder before_c(&body, c);
  Op* mid = (*before_c.Build(OpCode::kNeg, {x}))->defining_op();
  Builder before_a(&body, a);
  Op* first = (*before_a.Build(OpCode::kAbs, {x}))->defining_op();
  EXPECT_EQ(Order(body), (std::vector<Op*>{first, a, mid, c}));

  body.Erase(mid);
  EXPECT_EQ(Order(body), (std::vector<Op*>{first, a, c}));
  // An op of another block is not found here: inserting before it appends.
  Block& other = m.AddFunction("other")->body();
  Value* y = other.AddArgument({DType::kF32, {2}});
  Op* elsewhere = (*Builder(&other).Build(OpCode::kTanh, {y}))->defining_op();
  EXPECT_EQ(body.Find(elsewhere), body.ops().end());
  Op* last = (*Builder(&body, elsewhere).Build(OpCode::kExp, {x}))->defining_op();
  EXPECT_EQ(Order(body), (std::vector<Op*>{first, a, c, last}));
}

TEST(ModuleTest, FindGlobalAnswersWithTheFirstOfAName) {
  Module m;
  m.AddGlobal({"w", true, {DType::kF32, {2}}, {}, {}});
  m.AddGlobal({"s", false, {DType::kF32, {3}}, {}, {}});
  m.AddGlobal({"w", false, {DType::kF32, {4}}, {}, {}});  // the verifier refuses this
  ASSERT_NE(m.FindGlobal("w"), nullptr);
  EXPECT_EQ(m.FindGlobal("w")->type.shape, (Shape{2}));
  EXPECT_EQ(m.FindGlobal("s")->type.shape, (Shape{3}));
  EXPECT_EQ(m.FindGlobal("x"), nullptr);
  std::unique_ptr<Module> copy = CloneModule(m);
  EXPECT_EQ(copy->FindGlobal("s"), &copy->globals()[1]);
}

}  // namespace
}  // namespace loom::ir
