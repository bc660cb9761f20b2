// scan: a running sum, forward and reverse, with and without per-example lengths.
#include "gtest/gtest.h"
#include "tests/unit/testing/ir_test_util.h"

namespace loom::testing {
namespace {

// c' = c + x; yields c' as the carry and as the step output.
std::string RunningSum(const std::string& extra_attrs, bool lengths) {
  return MainModule(std::string("%c0: f32[2,1], %xs: f32[3,2,1]") + (lengths ? ", %len: i32[2]" : ""),
                    "f32[2,1], f32[3,2,1]",
                    std::string("    %c, %ys = scan carries(%c0) steps(%xs) invariants()") +
                        (lengths ? " lengths(%len)" : "") + " {length = 3" + extra_attrs + "} {\n" +
                        "    ^bb(%cp: f32[2,1], %x: f32[2,1]):\n      %cn = add %cp, %x : f32[2,1]\n"
                        "      yield %cn, %cn\n    } : f32[2,1], f32[3,2,1]\n    return %c, %ys");
}

const Tensor kXs = F({3, 2, 1}, {1, 2, 3, 4, 5, 6});
const Tensor kZero = F({2, 1}, {0, 0});

void ExpectValues(const Tensor& t, const std::vector<float>& want) {
  ASSERT_EQ(t.num_elements(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(t.values<float>()[i], want[i]) << i;
}

TEST(ScanTest, Forward) {
  auto r = RunMain(RunningSum("", false), {kZero, kXs});
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectValues((*r)[0], {9, 12});
  ExpectValues((*r)[1], {1, 2, 4, 6, 9, 12});
}

TEST(ScanTest, Reverse) {
  auto r = RunMain(RunningSum(", reverse = true", false), {kZero, kXs});
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectValues((*r)[0], {9, 12});
  ExpectValues((*r)[1], {9, 12, 8, 10, 5, 6});  // output t is the sum of steps t..2
}

TEST(ScanTest, LengthsFreezeCarriesAndZeroOutputs) {
  auto r = RunMain(RunningSum("", true), {kZero, kXs, I({2}, {1, 3})});
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectValues((*r)[0], {1, 12});
  ExpectValues((*r)[1], {1, 2, 0, 6, 0, 12});
}

TEST(ScanTest, ReverseWithLengthsStartsAtEachSequencesEnd) {
  auto r = RunMain(RunningSum(", reverse = true", true), {kZero, kXs, I({2}, {1, 3})});
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectValues((*r)[0], {1, 12});
  ExpectValues((*r)[1], {1, 12, 0, 10, 0, 6});
}

TEST(ScanTest, ZeroLengthReturnsTheInitialCarry) {
  std::string text = MainModule("%c0: f32[2], %xs: f32[0,2]", "f32[2], f32[0,2]",
                                "    %c, %ys = scan carries(%c0) steps(%xs) invariants() {length = 0} {\n"
                                "    ^bb(%cp: f32[2], %x: f32[2]):\n      %cn = add %cp, %x : f32[2]\n"
                                "      yield %cn, %cn\n    } : f32[2], f32[0,2]\n    return %c, %ys");
  auto r = RunMain(text, {F({2}, {7, 8}), F({0, 2}, {})});
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectValues((*r)[0], {7, 8});
  EXPECT_EQ((*r)[1].shape(), (Shape{0, 2}));
}

TEST(ScanTest, InvariantsReachEveryStep) {
  std::string text = MainModule("%c0: f32[], %xs: f32[3], %w: f32[]", "f32[]",
                                "    %c = scan carries(%c0) steps(%xs) invariants(%w) {length = 3} {\n"
                                "    ^bb(%cp: f32[], %x: f32[], %wi: f32[]):\n      %m = mul %cp, %wi : f32[]\n"
                                "      %cn = add %m, %x : f32[]\n      yield %cn\n    } : f32[]\n    return %c");
  // Horner: ((0*2 + 1)*2 + 2)*2 + 3 = 11
  auto r = RunMain(text, {F({}, {0}), F({3}, {1, 2, 3}), F({}, {2})});
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectValues((*r)[0], {11});
}

}  // namespace
}  // namespace loom::testing
