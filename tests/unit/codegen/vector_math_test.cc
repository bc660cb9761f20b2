// The accuracy of the generated f32 exp, log, tanh and sigmoid (polynomials in IR, so
// they vectorize), against double-precision references, over the whole float range:
// every 251st bit pattern, positive and negative, normal and subnormal, plus the
// special values. Errors are in ULPs of the float result wherever the result is a
// normal float; the worst cases are printed and bounded here and quoted in the README.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "compiler/codegen/compiled_function.h"
#include "compiler/pipeline/compile.h"
#include "gtest/gtest.h"
#include "tests/unit/testing/ir_test_util.h"

namespace loom::codegen {
namespace {

constexpr int64_t kChunk = 1 << 20;

double Ulps(float got, double want) {
  if (std::isnan(want)) return std::isnan(got) ? 0 : 1e30;
  if (std::isinf(want)) return got == want ? 0 : 1e30;
  float w = static_cast<float>(want);
  if (std::abs(w) < std::numeric_limits<float>::min()) return 0;  // subnormal results: see Tiny
  double ulp = std::nextafter(std::abs(w), std::numeric_limits<float>::infinity()) - std::abs(w);
  return std::abs(static_cast<double>(got) - want) / ulp;
}

TEST(VectorMathTest, MaximumErrorOverTheFloatRange) {
  auto m = testing::ParseAndVerify(testing::MainModule(
      "%x: f32[1048576]", "f32[1048576], f32[1048576], f32[1048576], f32[1048576]",
      "    %e = exp %x : f32[1048576]\n    %l = log %x : f32[1048576]\n"
      "    %t = tanh %x : f32[1048576]\n    %s = sigmoid %x : f32[1048576]\n    return %e, %l, %t, %s"));
  ASSERT_TRUE(m.ok()) << m.status();
  auto jit = JitEngine::Create();
  ASSERT_TRUE(jit.ok());
  auto f = loom::pipeline::CompileFunction(**jit, **m, "main");
  ASSERT_TRUE(f.ok()) << f.status();
  CompiledFunction::Globals globals;
  double worst[4] = {0, 0, 0, 0};
  float worst_x[4] = {0, 0, 0, 0};
  double tiny_abs = 0;  // largest absolute error where the reference is subnormal or zero
  Tensor x(DType::kF32, {kChunk});
  uint64_t bits = 0;
  int64_t samples = 0;
  while (bits < (uint64_t{1} << 32)) {
    for (int64_t i = 0; i < kChunk; ++i, bits += 251) {
      uint32_t b = static_cast<uint32_t>(bits);
      std::memcpy(&x.values<float>()[i], &b, 4);
    }
    auto out = (*f)->Run({x}, globals);
    ASSERT_TRUE(out.ok());
    for (int64_t i = 0; i < kChunk; ++i) {
      double v = x.values<float>()[i];
      double want[4] = {std::exp(v), std::log(v), std::tanh(v), 1.0 / (1.0 + std::exp(-v))};
      for (int k = 0; k < 4; ++k) {
        float got = (*out)[k].values<float>()[i];
        double e = Ulps(got, want[k]);
        if (std::abs(want[k]) < std::numeric_limits<float>::min())
          tiny_abs = std::max(tiny_abs, std::abs(got - want[k]));
        if (e > worst[k]) worst[k] = e, worst_x[k] = static_cast<float>(v);
      }
    }
    samples += kChunk;
  }
  const char* names[4] = {"exp", "log", "tanh", "sigmoid"};
  for (int k = 0; k < 4; ++k) std::printf("%-8s max error %.2f ULP (at x = %.9g)\n", names[k], worst[k], worst_x[k]);
  std::printf("largest absolute error on subnormal or zero results: %.3g; %lld inputs\n", tiny_abs,
              static_cast<long long>(samples));
  EXPECT_LT(worst[0], 2.0);  // exp
  EXPECT_LT(worst[1], 2.0);  // log
  EXPECT_LT(worst[2], 3.0);  // tanh
  EXPECT_LT(worst[3], 3.0);  // sigmoid
  EXPECT_LT(tiny_abs, 1e-37);
}

TEST(VectorMathTest, SpecialValues) {
  auto m = testing::ParseAndVerify(
      testing::MainModule("%x: f32[7]", "f32[7], f32[7], f32[7], f32[7]",
                          "    %e = exp %x : f32[7]\n    %l = log %x : f32[7]\n    %t = tanh %x : f32[7]\n"
                          "    %s = sigmoid %x : f32[7]\n    return %e, %l, %t, %s"));
  ASSERT_TRUE(m.ok());
  auto jit = JitEngine::Create();
  auto f = loom::pipeline::CompileFunction(**jit, **m, "main");
  ASSERT_TRUE(f.ok());
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  CompiledFunction::Globals globals;
  auto out = (*f)->Run({Tensor::FromVector<float>({7}, {0.0f, -0.0f, inf, -inf, nan, 1.0f, -1.0f})}, globals);
  ASSERT_TRUE(out.ok());
  auto v = [&](int k, int i) { return (*out)[k].values<float>()[i]; };
  EXPECT_EQ(v(0, 0), 1.0f);
  EXPECT_EQ(v(0, 2), inf);
  EXPECT_EQ(v(0, 3), 0.0f);
  EXPECT_TRUE(std::isnan(v(0, 4)));
  EXPECT_EQ(v(1, 0), -inf);
  EXPECT_EQ(v(1, 2), inf);
  EXPECT_TRUE(std::isnan(v(1, 3)));
  EXPECT_TRUE(std::isnan(v(1, 4)));
  EXPECT_TRUE(std::isnan(v(1, 6)));
  EXPECT_EQ(v(1, 5), 0.0f);
  EXPECT_EQ(v(2, 0), 0.0f);
  EXPECT_TRUE(std::signbit(v(2, 1)));
  EXPECT_EQ(v(2, 2), 1.0f);
  EXPECT_EQ(v(2, 3), -1.0f);
  EXPECT_TRUE(std::isnan(v(2, 4)));
  EXPECT_EQ(v(3, 0), 0.5f);
  EXPECT_EQ(v(3, 2), 1.0f);
  EXPECT_EQ(v(3, 3), 0.0f);
  EXPECT_TRUE(std::isnan(v(3, 4)));
}

}  // namespace
}  // namespace loom::codegen
