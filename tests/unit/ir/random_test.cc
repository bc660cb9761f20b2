// The counter-based RNG: Philox4x32-10 known answers, and the random ops built on it.
#include <cmath>

#include "gtest/gtest.h"
#include "support/philox.h"
#include "tests/unit/testing/ir_test_util.h"

namespace loom::testing {
namespace {

// Known-answer vectors of Random123 (kat_vectors, philox4x32 10 rounds).
TEST(PhiloxTest, KnownAnswers) {
  using A4 = std::array<uint32_t, 4>;
  EXPECT_EQ(Philox4x32({0, 0, 0, 0}, {0, 0}), (A4{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(Philox4x32({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}),
            (A4{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(Philox4x32({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}),
            (A4{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

std::string RandomModule(const std::string& op, const std::string& attrs, const std::string& type) {
  return MainModule("%ctr: i64[]", type, "    %r = " + op + " %ctr {" + attrs + "} : " + type + "\n    return %r");
}

TEST(RandomOpsTest, UniformIsPhiloxPerElementAndInRange) {
  auto r = RunMain(RandomModule("random_uniform", "dtype = f32, high = 3.0, low = -1.0, seed = 42, shape = [100, 100]",
                                "f32[100,100]"),
                   {L({}, {7})});
  ASSERT_TRUE(r.ok()) << r.status();
  auto v = (*r)[0].values<float>();
  double sum = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    float want = -1.0f + 4.0f * UniformFloat(RandomBits(42, 7, i));
    ASSERT_EQ(v[i], want) << i;
    ASSERT_GE(v[i], -1.0f);
    ASSERT_LT(v[i], 3.0f);
    sum += v[i];
  }
  EXPECT_NEAR(sum / v.size(), 1.0, 0.05);  // mean of U(-1, 3); 5 sigma is ~0.058
}

TEST(RandomOpsTest, CounterChangesTheDraw) {
  std::string text = RandomModule("random_uniform", "dtype = f64, seed = 1, shape = [8]", "f64[8]");
  auto a = RunMain(text, {L({}, {0})}), b = RunMain(text, {L({}, {1})}), c = RunMain(text, {L({}, {0})});
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_TRUE((*a)[0].BitwiseEqual((*c)[0]));
  EXPECT_FALSE((*a)[0].BitwiseEqual((*b)[0]));
}

TEST(RandomOpsTest, BernoulliKeepsAboutP) {
  auto r = RunMain(RandomModule("bernoulli", "p = 0.3, seed = 5, shape = [200, 100]", "i1[200,100]"), {L({}, {3})});
  ASSERT_TRUE(r.ok()) << r.status();
  int kept = 0;
  auto v = (*r)[0].values<bool>();
  for (size_t i = 0; i < v.size(); ++i) {
    ASSERT_EQ(v[i], BernoulliDraw(RandomBits(5, 3, i), 0.3));
    kept += v[i];
  }
  EXPECT_NEAR(kept / 20000.0, 0.3, 0.02);  // 6 sigma
}

TEST(RandomOpsTest, BernoulliEdges) {
  for (double p : {0.0, 1.0}) {
    auto r = RunMain(
        RandomModule("bernoulli", "p = " + std::string(p ? "1.0" : "0.0") + ", seed = 5, shape = [64]", "i1[64]"),
        {L({}, {0})});
    ASSERT_TRUE(r.ok());
    for (bool b : (*r)[0].values<bool>()) EXPECT_EQ(b, p == 1.0);
  }
}

// A data-parallel rank's dropout: rows r·B onwards of the whole batch's mask, whichever
// axis the batch is (here time-major [T, B, H], the inter-layer dropout's).
TEST(RandomOpsTest, ARanksRowsDrawTheWholeBatchsRows) {
  constexpr int64_t T = 3, B = 2, H = 5, kRanks = 3;
  auto whole = RunMain(RandomModule("bernoulli", "batch_axis = 1, p = 0.5, seed = 11, shape = [3, 6, 5]", "i1[3,6,5]"),
                       {L({}, {4})});
  ASSERT_TRUE(whole.ok()) << whole.status();
  for (int64_t r = 0; r < kRanks; ++r) {
    std::string attrs =
        "batch_axis = 1, batch_offset = " + std::to_string(r * B) + ", p = 0.5, seed = 11, shape = [3, 2, 5]";
    auto mine = RunMain(RandomModule("bernoulli", attrs, "i1[3,2,5]"), {L({}, {4})});
    ASSERT_TRUE(mine.ok()) << mine.status();
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t b = 0; b < B; ++b) {
        for (int64_t h = 0; h < H; ++h) {
          ASSERT_EQ((*mine)[0].values<bool>()[(t * B + b) * H + h],
                    (*whole)[0].values<bool>()[(t * kRanks * B + r * B + b) * H + h])
              << "rank " << r << " at " << t << "," << b << "," << h;
        }
      }
    }
  }
  // Batch-major with no offset draws as without a batch axis.
  auto plain = RunMain(RandomModule("bernoulli", "p = 0.5, seed = 11, shape = [6, 5]", "i1[6,5]"), {L({}, {4})});
  auto axis0 =
      RunMain(RandomModule("bernoulli", "batch_axis = 0, p = 0.5, seed = 11, shape = [6, 5]", "i1[6,5]"), {L({}, {4})});
  ASSERT_TRUE(plain.ok() && axis0.ok());
  EXPECT_TRUE((*plain)[0].BitwiseEqual((*axis0)[0]));
}

TEST(RandomOpsTest, BadBatchAxisIsRefused) {
  auto r =
      RunMain(RandomModule("bernoulli", "batch_axis = 2, p = 0.5, seed = 1, shape = [6, 5]", "i1[6,5]"), {L({}, {0})});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("batch_axis 2 is not an axis of [6, 5]"), std::string::npos) << r.status();
}

}  // namespace
}  // namespace loom::testing
