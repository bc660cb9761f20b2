// The generated matrix products: tiles that fit the target's registers, and results
// within the error bound of any correct summation (|c - c*| ≤ 2·K·u·Σ|a||b|, u the unit
// roundoff) against a double-precision reference — over transposes, batches, f32 and
// f64, edges that are not multiples of the tile, K longer than a block, zero sizes — for
// every x86 CPU level this machine runs (its own, x86-64-v3 = AVX2, x86-64 = SSE2
// without FMA). Then what the arena keeps: weights packed once per parameter update.
#include <cmath>
#include <limits>
#include <random>

#include "absl/strings/str_cat.h"
#include "compiler/codegen/compiled_function.h"
#include "compiler/codegen/gemm_plan.h"
#include "compiler/pipeline/compile.h"
#include "gtest/gtest.h"
#include "ir/interpreter.h"
#include "runtime/thread_pool.h"
#include "tests/unit/codegen/jit_test_util.h"
#include "tests/unit/testing/ir_test_util.h"

namespace loom::codegen {
namespace {

constexpr VectorRegisters kAvx2{256, 16, true}, kAvx512{512, 32, true}, kNeon{128, 32, true}, kSse2{128, 16, false};

int RegistersUsed(int rows, int nv, int split, const VectorRegisters& r) {
  return split * rows * nv + nv + 1 + (r.fma ? 0 : 1);
}

TEST(GemmPlanTest, TilesFitTheRegisters) {
  for (const VectorRegisters& r : {kAvx2, kAvx512, kNeon, kSse2}) {
    for (DType d : {DType::kF32, DType::kF64}) {
      for (int64_t m : {1, 2, 3, 5, 8, 13, 32, 100, 1600}) {
        for (int64_t n : {1, 7, 100, 256, 1024}) {
          GemmPlan p = PlanGemm({m, n, 256, false, true, d}, r);
          std::string what = absl::StrCat(p.ToString(), " for ", r.bits, "-bit x", r.count);
          EXPECT_EQ(p.lanes, r.bits / 8 / static_cast<int>(DTypeSize(d))) << what;
          EXPECT_LE(p.mr, m) << what;
          EXPECT_LE(RegistersUsed(p.mr, p.nv, p.split, r), r.count) << what;
          EXPECT_LE(RegistersUsed(static_cast<int>(p.tail_rows()), p.nv, p.tail_split, r), r.count) << what;
          EXPECT_GE(p.kc, 1) << what;
          EXPECT_LE(p.kc, 256) << what;
        }
      }
    }
  }
}

// The LSTM gate product at batch 32 fills the machine: a tile of at least 12
// accumulators (FMA latency × ports) whose rows divide the batch, so no row is padding.
TEST(GemmPlanTest, TheGateProductUsesWholeTiles) {
  for (const VectorRegisters& r : {kAvx2, kAvx512, kNeon}) {
    GemmPlan p = PlanGemm({32, 1024, 256, false, true, DType::kF32}, r);
    EXPECT_GE(p.mr * p.nv, 12) << p.ToString();
    EXPECT_EQ(1024 % p.nr(), 0) << p.ToString();
  }
  // One row (a streaming step): partial sums over K keep enough FMAs in flight.
  GemmPlan gemv = PlanGemm({1, 1024, 256, false, true, DType::kF32}, kAvx2);
  EXPECT_GE(gemv.split * gemv.nv, 6) << gemv.ToString();
}

// Aᵀ is packed where many panels read it (a weight gradient for AVX2), read in place
// where few do, and A never.
TEST(GemmPlanTest, TransposedAIsPackedWhereManyPanelsReadIt) {
  EXPECT_TRUE(PlanGemm({1024, 256, 1600, true, false, DType::kF32}, kAvx2).pack_a);
  EXPECT_FALSE(PlanGemm({1024, 256, 1600, false, false, DType::kF32}, kAvx2).pack_a);
  EXPECT_FALSE(PlanGemm({1024, 8, 1600, true, false, DType::kF32}, kAvx2).pack_a);  // one panel
  EXPECT_FALSE(PlanGemm({1, 256, 1600, true, false, DType::kF32}, kAvx2).pack_a);
}

// Threads share a product by panels: a large one gets several where N allows (the
// SentimentLSTM's embedding-projection gradient, N = 100), a small one the fastest tile.
TEST(GemmPlanTest, LargeProductsHavePanelsToShare) {
  EXPECT_GE(PlanGemm({1024, 100, 1600, true, false, DType::kF32}, kAvx512).num_panels(), 4);
  EXPECT_GE(PlanGemm({1024, 100, 1600, true, false, DType::kF32}, kAvx2).num_panels(), 4);
  EXPECT_EQ(PlanGemm({1024, 20, 1600, true, false, DType::kF32}, kAvx512).num_panels(), 2);  // as many as N has
  EXPECT_EQ(PlanGemm({4, 100, 16, false, false, DType::kF32}, kAvx512).num_panels(), 1);
}

struct Case {
  int64_t m, n, k;
  bool ta, tb;
  DType dtype = DType::kF32;
  int64_t batch = 0;  // 0: a 2-D product
};

std::string TypeText(DType d, int64_t batch, int64_t rows, int64_t cols) {
  return absl::StrCat(DTypeName(d), "[", batch ? absl::StrCat(batch, ",") : "", rows, ",", cols, "]");
}

std::string ProductModule(const Case& c) {
  std::string a = c.ta ? TypeText(c.dtype, c.batch, c.k, c.m) : TypeText(c.dtype, c.batch, c.m, c.k);
  std::string b = c.tb ? TypeText(c.dtype, c.batch, c.n, c.k) : TypeText(c.dtype, c.batch, c.k, c.n);
  std::string out = TypeText(c.dtype, c.batch, c.m, c.n);
  return testing::MainModule(absl::StrCat("%a: ", a, ", %b: ", b), out,
                             absl::StrCat("    %c = matmul %a, %b {transpose_a = ", c.ta ? "true" : "false",
                                          ", transpose_b = ", c.tb ? "true" : "false", "} : ", out, "\n    return %c"));
}

Tensor Random(DType d, Shape shape, std::mt19937_64& rng) {
  Tensor t(d, shape);
  std::uniform_real_distribution<double> u(-1, 1);
  for (int64_t i = 0; i < t.num_elements(); ++i) t.SetDouble(i, u(rng));
  return t;
}

// Checks c against the exact product, element by element, within the bound.
void ExpectProduct(const Case& c, const Tensor& a, const Tensor& b, const Tensor& got, const std::string& what) {
  double u =
      c.dtype == DType::kF32 ? std::numeric_limits<float>::epsilon() / 2 : std::numeric_limits<double>::epsilon() / 2;
  int64_t batches = std::max<int64_t>(c.batch, 1);
  for (int64_t bt = 0; bt < batches; ++bt) {
    for (int64_t i = 0; i < c.m; ++i) {
      for (int64_t j = 0; j < c.n; ++j) {
        double want = 0, magnitude = 0;
        for (int64_t p = 0; p < c.k; ++p) {
          double av = a.GetDouble(bt * c.m * c.k + (c.ta ? p * c.m + i : i * c.k + p));
          double bv = b.GetDouble(bt * c.k * c.n + (c.tb ? j * c.k + p : p * c.n + j));
          want += av * bv;
          magnitude += std::abs(av * bv);
        }
        double g = got.GetDouble(bt * c.m * c.n + i * c.n + j);
        ASSERT_LE(std::abs(g - want), 2 * c.k * u * magnitude + 1e-300)
            << what << " [" << bt << "," << i << "," << j << "]: " << g << " vs " << want;
      }
    }
  }
}

std::vector<Case> Cases() {
  std::vector<Case> cases;
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      for (auto [m, n, k] : std::vector<std::array<int64_t, 3>>{{1, 1, 1},
                                                                {1, 1024, 256},
                                                                {32, 1024, 256},
                                                                {32, 1024, 356},
                                                                {7, 75, 100},
                                                                {13, 17, 9},
                                                                {33, 100, 64},
                                                                {2, 3, 1},
                                                                {100, 100, 1},
                                                                {5, 40, 2000},
                                                                {3, 4, 0},
                                                                {0, 4, 3}}) {
        cases.push_back({m, n, k, ta, tb});
      }
      // Tall products whose row tiles loop outside the panels (and pack Aᵀ), K blocked.
      cases.push_back({300, 100, 900, ta, tb});
      cases.push_back({120, 200, 300, ta, tb});
      cases.push_back({9, 21, 33, ta, tb, DType::kF64});
      cases.push_back({4, 70, 130, ta, tb, DType::kF32, /*batch=*/3});
    }
  }
  cases.push_back({32, 1024, 256, false, true, DType::kF64});
  return cases;
}

// This machine's CPU, and the x86-64 levels below it that it can run.
std::vector<std::string> Cpus() {
  std::vector<std::string> cpus = {"host"};
  for (const char* cpu : {"x86-64-v3", "x86-64"}) {
    if (JitEngine::Create(cpu).ok()) cpus.push_back(cpu);
  }
  return cpus;
}

TEST(GemmTest, ProductsAreWithinTheErrorBoundOnEveryCpu) {
  for (const std::string& cpu : Cpus()) {
    auto engine = JitEngine::Create(cpu);
    ASSERT_TRUE(engine.ok()) << engine.status();
    std::mt19937_64 rng(7);
    for (const Case& c : Cases()) {
      std::string text = ProductModule(c);
      auto m = testing::ParseAndVerify(text);
      ASSERT_TRUE(m.ok()) << m.status() << "\n" << text;
      auto f = loom::pipeline::CompileFunction(**engine, **m, "main");
      ASSERT_TRUE(f.ok()) << f.status();
      const ir::Function& main = *(*m)->FindFunction("main");
      Tensor a = Random(c.dtype, main.body().argument(0)->type().shape, rng);
      Tensor b = Random(c.dtype, main.body().argument(1)->type().shape, rng);
      CompiledFunction::Globals globals;
      auto got = (*f)->Run({a, b}, globals);
      ASSERT_TRUE(got.ok()) << got.status();
      ExpectProduct(c, a, b, (*got)[0], absl::StrCat(cpu, ": ", text));
    }
  }
}

// Threads share a product by units (a row tile × a panel, GemmPlan::num_units): each
// element is still summed by one thread in one order, so 2 and 3 threads give the bits
// of one — for a wide product packing its panels per thread, one reading B in place
// whose 2 or 3 shares cut panels between row tiles, and tall ones (rows outside the
// panels, Aᵀ packed per row tile) with B in place and packed by the threads together.
TEST(GemmTest, ThreadsGiveTheSameBits) {
  SetNumThreads(3);
  std::mt19937_64 rng(3);
  for (const Case& c : std::vector<Case>{{64, 1024, 512, false, true},
                                         {32, 356, 256, false, false},
                                         {300, 100, 900, true, false},
                                         {400, 256, 700, true, false}}) {
    std::string text = ProductModule(c);
    auto m = testing::ParseAndVerify(text);
    ASSERT_TRUE(m.ok()) << m.status();
    auto executable = pipeline::CompileExecutable(Jit(), **m, "main", pipeline::DefaultPipeline(),
                                                  /*always_threaded=*/true);
    ASSERT_TRUE(executable.ok()) << executable.status();
    const ir::Function& main = *(*m)->FindFunction("main");
    Tensor a = Random(c.dtype, main.body().argument(0)->type().shape, rng);
    Tensor b = Random(c.dtype, main.body().argument(1)->type().shape, rng);
    std::vector<Tensor> results;
    for (int threads : {1, 2, 3}) {
      auto f = CompiledFunction::Create(*executable, "main");
      ASSERT_TRUE(f.ok()) << f.status();
      (*f)->set_threads(threads);
      CompiledFunction::Globals globals;
      auto got = (*f)->Run({a, b}, globals);
      ASSERT_TRUE(got.ok()) << got.status();
      results.push_back((*got)[0]);
      EXPECT_TRUE(results.back().BitwiseEqual(results.front())) << threads << " threads: " << text;
    }
    ExpectProduct(c, a, b, results.back(), "three threads: " + text);
  }
  SetNumThreads(1);
}

// y = x·Wᵀ with W a parameter, and optionally the update W += d stored by the function.
std::string ParameterModule(bool update) {
  return absl::StrCat(
      "module @t {\n  param @w : f32[40,24] = uniform(-1.0, 1.0)\n",
      "  func @main(%x: f32[6,24], %d: f32[40,24]) -> (f32[6,40]) {\n", "    %w = load {global = @w} : f32[40,24]\n",
      "    %y = matmul %x, %w {transpose_b = true} : f32[6,40]\n",
      update ? "    %w2 = add %w, %d : f32[40,24]\n    store %w2 {global = @w}\n" : "", "    return %y\n  }\n}\n");
}

// Whether got is x·wᵀ.
void ExpectTimesTransposed(const Tensor& x, const Tensor& w, const Tensor& got, const std::string& what) {
  ExpectProduct({6, 40, 24, false, true}, x, w, got, what);
}

TEST(GemmTest, ParametersArePackedOncePerUpdate) {
  auto m = testing::ParseAndVerify(ParameterModule(/*update=*/false));
  ASSERT_TRUE(m.ok()) << m.status();
  auto f = loom::pipeline::CompileFunction(Jit(), **m, "main");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ((*f)->layout().packed_globals, std::vector<std::string>{"w"});
  std::mt19937_64 rng(5);
  Tensor x = Random(DType::kF32, {6, 24}, rng), d(DType::kF32, {40, 24});
  Tensor w1 = Random(DType::kF32, {40, 24}, rng), w2 = Random(DType::kF32, {40, 24}, rng);
  CompiledFunction::Globals globals{{"w", w1}};
  auto first = (*f)->Run({x, d}, globals, /*params_version=*/1);
  ASSERT_TRUE(first.ok());
  ExpectTimesTransposed(x, w1, (*first)[0], "version 1");
  // The same version promises the same parameters: the packed copy of w1 is used.
  globals["w"] = w2;
  auto kept = (*f)->Run({x, d}, globals, 1);
  ASSERT_TRUE(kept.ok());
  EXPECT_TRUE((*kept)[0].BitwiseEqual((*first)[0]));
  auto next = (*f)->Run({x, d}, globals, 2);
  ASSERT_TRUE(next.ok());
  ExpectTimesTransposed(x, w2, (*next)[0], "version 2");
  // Version 0 (unknown) repacks every run.
  globals["w"] = w1;
  auto unknown = (*f)->Run({x, d}, globals, 0);
  ASSERT_TRUE(unknown.ok());
  EXPECT_TRUE((*unknown)[0].BitwiseEqual((*first)[0]));
}

// A function that stores a parameter it multiplies by (a training step) repacks on its
// next run even when the caller passes the same version.
TEST(GemmTest, AnUpdateInvalidatesTheFunctionsOwnPacks) {
  auto m = testing::ParseAndVerify(ParameterModule(/*update=*/true));
  ASSERT_TRUE(m.ok()) << m.status();
  auto f = loom::pipeline::CompileFunction(Jit(), **m, "main");
  ASSERT_TRUE(f.ok()) << f.status();
  std::mt19937_64 rng(9);
  Tensor x = Random(DType::kF32, {6, 24}, rng), d = Random(DType::kF32, {40, 24}, rng);
  Tensor w = Random(DType::kF32, {40, 24}, rng);
  CompiledFunction::Globals globals{{"w", w}};
  for (int run = 0; run < 3; ++run) {
    Tensor before = globals.at("w");
    auto y = (*f)->Run({x, d}, globals, 7);
    ASSERT_TRUE(y.ok());
    ExpectTimesTransposed(x, before, (*y)[0], absl::StrCat("run ", run));
  }
}

}  // namespace
}  // namespace loom::codegen
