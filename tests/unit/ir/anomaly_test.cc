// The interpreter's anomaly detection (loom train --detect-anomaly): it stops at the
// first op whose result is not finite, and says which op, at which scan step, and what.
#include "gtest/gtest.h"
#include "ir/interpreter.h"
#include "ir/printer.h"
#include "tests/unit/testing/ir_test_util.h"

namespace loom::testing {
namespace {

// c' = c * c from c = 10: 1e2, 1e4, 1e8, 1e16, 1e32, then inf at step 5 — before the
// log of the final carry could matter, and the division after it never runs.
const char kSquaring[] = R"(module @M {
  func @main(%c0: f32[1], %xs: f32[8,1]) -> (f32[1]) {
    %c = scan carries(%c0) steps(%xs) invariants() {length = 8} {
    ^bb(%cp: f32[1], %x: f32[1]):
      %sq = mul %cp, %cp : f32[1]
      yield %sq
    } : f32[1]
    %l = log %c : f32[1]
    %q = div %l, %l : f32[1]
    return %q
  }
}
)";

TEST(AnomalyTest, NamesTheFirstNonFiniteOpAndItsScanStep) {
  auto module = ParseAndVerify(kSquaring);
  ASSERT_TRUE(module.ok()) << module.status();
  ir::Interpreter interpreter(**module);
  interpreter.set_detect_anomaly(true);
  auto r = interpreter.Run("main", {F({1}, {10}), F({8, 1}, {0, 0, 0, 0, 0, 0, 0, 0})});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'mul' produced inf"), std::string::npos) << r.status();
  const ir::Interpreter::Anomaly& a = interpreter.anomaly();
  ASSERT_NE(a.op, nullptr);
  EXPECT_EQ(a.op->name(), "mul");
  EXPECT_EQ(a.scan_steps, std::vector<int64_t>{5});
  EXPECT_EQ(a.value, INFINITY);
  EXPECT_EQ(ir::PrintOpLine(*(*module)->FindFunction("main"), *a.op), "%sq = mul %cp, %cp : f32[1]");
}

TEST(AnomalyTest, OffByDefaultAndSilentOnFiniteRuns) {
  auto module = ParseAndVerify(kSquaring);
  ASSERT_TRUE(module.ok()) << module.status();
  ir::Interpreter plain(**module);
  auto r = plain.Run("main", {F({1}, {10}), F({8, 1}, {0, 0, 0, 0, 0, 0, 0, 0})});
  ASSERT_TRUE(r.ok()) << r.status();  // inf / inf is NaN: no error without detection
  EXPECT_TRUE(std::isnan((*r)[0].values<float>()[0]));

  ir::Interpreter checking(**module);
  checking.set_detect_anomaly(true);
  // From 1, squaring stays 1; log 1 = 0; 0 / 0 is the first NaN, outside the scan.
  auto q = checking.Run("main", {F({1}, {1}), F({8, 1}, {0, 0, 0, 0, 0, 0, 0, 0})});
  ASSERT_FALSE(q.ok());
  ASSERT_NE(checking.anomaly().op, nullptr);
  EXPECT_EQ(checking.anomaly().op->name(), "div");
  EXPECT_TRUE(checking.anomaly().scan_steps.empty());
  EXPECT_TRUE(std::isnan(checking.anomaly().value));
}

}  // namespace
}  // namespace loom::testing
