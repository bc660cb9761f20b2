// Parameters and state: initializers, load, store, and state carried across runs.
#include <cmath>

#include "gtest/gtest.h"
#include "ir/interpreter.h"
#include "tests/unit/testing/ir_test_util.h"

namespace loom::testing {
namespace {

constexpr char kCounter[] = R"(module @t {
  param @w : f32[2] = constant(1.5)
  state @n : f32[2] = zeros
  func @main(%x: f32[2]) -> (f32[2]) {
    %w = load {global = @w} : f32[2]
    %n = load {global = @n} : f32[2]
    %a = mul %x, %w : f32[2]
    %b = add %n, %a : f32[2]
    store %b {global = @n}
    %after = load {global = @n} : f32[2]
    return %after
  }
}
)";

TEST(GlobalsTest, StoreIsSeenByLaterLoadsAndLaterRuns) {
  auto m = ParseAndVerify(kCounter);
  ASSERT_TRUE(m.ok()) << m.status();
  ir::Interpreter interp(**m);
  auto r1 = interp.Run("main", {F({2}, {1, 2})});
  ASSERT_TRUE(r1.ok()) << r1.status();
  EXPECT_EQ((*r1)[0].values<float>()[1], 3.0f);
  auto r2 = interp.Run("main", {F({2}, {1, 2})});
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ((*r2)[0].values<float>()[0], 3.0f);
  EXPECT_EQ((*r2)[0].values<float>()[1], 6.0f);
  EXPECT_EQ(interp.GetGlobal("n")->values<float>()[1], 6.0f);
}

TEST(GlobalsTest, SetGlobalChecksType) {
  auto m = ParseAndVerify(kCounter);
  ASSERT_TRUE(m.ok());
  ir::Interpreter interp(**m);
  EXPECT_EQ(interp.SetGlobal("w", F({3}, {1, 2, 3})).message(), "@w is f32[2], got f32[3]");
  EXPECT_TRUE(interp.SetGlobal("w", F({2}, {4, 5})).ok());
  auto r = interp.Run("main", {F({2}, {1, 1})});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].values<float>()[1], 5.0f);
}

TEST(GlobalsTest, InitializersDrawTheirDistributions) {
  ir::Global u{"u", true, {DType::kF32, {10000}}, {ir::Initializer::Kind::kUniform, -0.25, 0.25}, {}};
  ir::Global n{"n", true, {DType::kF64, {10000}}, {ir::Initializer::Kind::kNormal, 1.0, 2.0}, {}};
  Tensor tu = ir::InitialValue(u, 3), tn = ir::InitialValue(n, 3);
  double su = 0, sn = 0, sn2 = 0;
  for (int i = 0; i < 10000; ++i) {
    float x = tu.values<float>()[i];
    ASSERT_GE(x, -0.25f);
    ASSERT_LT(x, 0.25f);
    su += x;
    sn += tn.values<double>()[i];
    sn2 += tn.values<double>()[i] * tn.values<double>()[i];
  }
  EXPECT_NEAR(su / 10000, 0.0, 0.01);
  double mean = sn / 10000;
  EXPECT_NEAR(mean, 1.0, 0.1);
  EXPECT_NEAR(std::sqrt(sn2 / 10000 - mean * mean), 2.0, 0.1);
  // Deterministic in the seed, different across seeds.
  EXPECT_TRUE(tu.BitwiseEqual(ir::InitialValue(u, 3)));
  EXPECT_FALSE(tu.BitwiseEqual(ir::InitialValue(u, 4)));
}

}  // namespace
}  // namespace loom::testing
