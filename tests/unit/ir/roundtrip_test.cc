// Property tests over random modules: text and binary forms round-trip exactly.
#include "gtest/gtest.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/serialize.h"
#include "ir/verifier.h"
#include "tests/unit/testing/random_module.h"

namespace loom::testing {
namespace {

constexpr int kModules = 300;

TEST(RoundTripTest, PrintParsePrintIsIdentical) {
  for (int seed = 0; seed < kModules; ++seed) {
    auto m = RandomModule(seed);
    ASSERT_TRUE(m.ok()) << "seed " << seed << ": " << m.status();
    std::string text = ir::Print(**m);
    auto parsed = ir::ParseModule(text);
    ASSERT_TRUE(parsed.ok()) << "seed " << seed << ": " << parsed.status() << "\n" << text;
    ASSERT_TRUE(ir::Verify(**parsed).ok()) << ir::Verify(**parsed) << "\n" << text;
    ASSERT_EQ(ir::Print(**parsed), text) << "seed " << seed;
  }
}

TEST(RoundTripTest, BinaryRoundTripIsIdentical) {
  for (int seed = 0; seed < kModules; ++seed) {
    auto m = RandomModule(seed);
    ASSERT_TRUE(m.ok()) << m.status();
    auto back = ir::DeserializeModule(ir::SerializeModule(**m));
    ASSERT_TRUE(back.ok()) << back.status();
    ASSERT_TRUE(ir::Verify(**back).ok()) << ir::Verify(**back);
    ASSERT_EQ(ir::Print(**back), ir::Print(**m)) << "seed " << seed;
  }
}

TEST(RoundTripTest, GeneratorCoversRegions) {
  int scans = 0, fusions = 0;
  for (int seed = 0; seed < kModules; ++seed) {
    auto m = RandomModule(seed);
    ASSERT_TRUE(m.ok());
    ir::Walk(**m, [&](ir::Op& op) {
      scans += op.code() == ir::OpCode::kScan;
      fusions += op.code() == ir::OpCode::kFusion;
    });
  }
  EXPECT_GT(scans, kModules / 4);
  EXPECT_GT(fusions, kModules / 4);
}

TEST(RoundTripTest, FloatsKeepEveryBit) {
  for (float f : {0.1f, -0.0f, 1e-45f, 3.4028235e38f, 16777217.0f, 1.0f / 3}) {
    float back = std::strtof(ir::FormatFloat(f).c_str(), nullptr);
    EXPECT_EQ(std::memcmp(&back, &f, sizeof f), 0) << ir::FormatFloat(f);
  }
  EXPECT_EQ(ir::FormatDouble(2.0), "2.0");
  EXPECT_EQ(ir::FormatDouble(-INFINITY), "-inf");
}

TEST(RoundTripTest, CorruptBinaryIsAnError) {
  auto m = RandomModule(1);
  ASSERT_TRUE(m.ok());
  std::string bytes = ir::SerializeModule(**m);
  auto truncated = ir::DeserializeModule(bytes.substr(0, bytes.size() / 2));
  EXPECT_FALSE(truncated.ok() && ir::Verify(**truncated).ok());
  EXPECT_FALSE(ir::DeserializeModule("\xff\xff\xff garbage").ok());
}

}  // namespace
}  // namespace loom::testing
