// Sgemm against a double-precision reference, over transposes, accumulation, leading
// dimensions and shapes that are not multiples of the tile (and larger than a block).
#include "runtime/gemm.h"

#include <cmath>
#include <random>
#include <vector>
#include <atomic>

#include <string>

#include "gtest/gtest.h"
#include "runtime/thread_pool.h"

namespace loom {
namespace {

struct Shape3 {
  int64_t m, n, k;
};

// B is used as given, or packed first (PackB + SgemmPackedB).
void Check(const gemm_internal::KernelSet& kernels, bool ta, bool tb, Shape3 s, bool accumulate, uint64_t seed,
           bool prepack = false) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-1, 1);
  int64_t lda = (ta ? s.m : s.k) + 3, ldb = (tb ? s.k : s.n) + 1, ldc = s.n + 5;
  std::vector<float> a((ta ? s.k : s.m) * lda), b((tb ? s.n : s.k) * ldb), c(s.m * ldc);
  for (float& v : a) v = u(rng);
  for (float& v : b) v = u(rng);
  for (float& v : c) v = u(rng);
  std::vector<float> c0 = c;
  if (prepack) {
    std::vector<float> packed(PackedBFloats(s.n, s.k));
    PackB(tb, s.n, s.k, b.data(), ldb, packed.data());
    gemm_internal::SgemmPackedBWith(kernels, ta, s.m, s.n, s.k, a.data(), lda, packed.data(), c.data(), ldc,
                                    accumulate);
  } else {
    gemm_internal::SgemmWith(kernels, ta, tb, s.m, s.n, s.k, a.data(), lda, b.data(), ldb, c.data(), ldc,
                             accumulate);
  }
  for (int64_t i = 0; i < s.m; ++i) {
    for (int64_t j = 0; j < s.n; ++j) {
      double want = accumulate ? c0[i * ldc + j] : 0;
      for (int64_t p = 0; p < s.k; ++p) {
        double av = ta ? a[p * lda + i] : a[i * lda + p];
        double bv = tb ? b[j * ldb + p] : b[p * ldb + j];
        want += av * bv;
      }
      ASSERT_NEAR(c[i * ldc + j], want, 1e-5 * (1 + s.k)) << i << "," << j;
    }
    // Padding past n is untouched.
    for (int64_t j = s.n; j < ldc; ++j) ASSERT_EQ(c[i * ldc + j], c0[i * ldc + j]);
  }
}

std::vector<gemm_internal::KernelSet> Kernels() {
  std::vector<gemm_internal::KernelSet> kernels = {gemm_internal::PortableKernels()};
  if (std::string(SgemmKernelName()) != "portable") kernels.push_back(gemm_internal::BestKernels());
  return kernels;
}

TEST(GemmTest, MatchesReferenceOnEdgeShapes) {
  // Rows 1..8 take the unpacked small-batch paths (every row count of the dot kernel);
  // K not a multiple of the kernels' unrolling.
  const Shape3 shapes[] = {{1, 1, 1},   {2, 45, 17},   {3, 70, 513}, {4, 9, 33},    {5, 19, 40},
                           {6, 33, 300}, {7, 31, 9},   {8, 32, 5},   {9, 33, 300},  {32, 100, 17},
                           {130, 40, 2}, {1, 300, 257}, {1, 40, 13}, {2, 40, 7}};
  uint64_t seed = 0;
  for (Shape3 s : shapes) {
    for (bool ta : {false, true}) {
      for (bool tb : {false, true}) {
        for (bool acc : {false, true}) {
          for (const auto& kernels : Kernels()) {
            Check(kernels, ta, tb, s, acc, ++seed);
            Check(kernels, ta, tb, s, acc, ++seed, /*prepack=*/true);
          }
        }
      }
    }
  }
}

TEST(GemmTest, LstmGateShapes) {
  for (const auto& kernels : Kernels()) {
    Check(kernels, false, true, {32, 1024, 356}, false, 1);
    Check(kernels, false, true, {32, 1024, 512}, true, 2, /*prepack=*/true);
    Check(kernels, false, true, {1, 1024, 256}, false, 3);
    Check(kernels, false, false, {1, 256, 1024}, true, 4, /*prepack=*/true);
  }
}

// Split across threads, each column of C is computed exactly as on one thread.
TEST(GemmTest, TwoThreadsGiveTheSameBits) {
  const Shape3 shapes[] = {{32, 1024, 356}, {4, 1024, 512}, {130, 300, 257}, {1, 2048, 1024}};
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<float> u(-1, 1);
  for (Shape3 s : shapes) {
    for (bool tb : {false, true}) {
      std::vector<float> a(s.m * s.k), b(s.k * s.n), packed(PackedBFloats(s.n, s.k));
      for (float& v : a) v = u(rng);
      for (float& v : b) v = u(rng);
      PackB(tb, s.n, s.k, b.data(), tb ? s.k : s.n, packed.data());
      std::vector<float> one(s.m * s.n), two(s.m * s.n), one_packed(s.m * s.n), two_packed(s.m * s.n);
      SetNumThreads(1);
      Sgemm(false, tb, s.m, s.n, s.k, a.data(), s.k, b.data(), tb ? s.k : s.n, one.data(), s.n, false);
      SgemmPackedB(false, s.m, s.n, s.k, a.data(), s.k, packed.data(), one_packed.data(), s.n, false);
      SetNumThreads(2);
      EXPECT_EQ(NumThreads(), 2);
      Sgemm(false, tb, s.m, s.n, s.k, a.data(), s.k, b.data(), tb ? s.k : s.n, two.data(), s.n, false);
      SgemmPackedB(false, s.m, s.n, s.k, a.data(), s.k, packed.data(), two_packed.data(), s.n, false);
      SetNumThreads(1);
      EXPECT_EQ(one, two) << s.m << "x" << s.n << "x" << s.k << " tb=" << tb;
      EXPECT_EQ(one_packed, two_packed) << s.m << "x" << s.n << "x" << s.k << " tb=" << tb;
    }
  }
}

TEST(ThreadPoolTest, RunsEveryIndexOnce) {
  SetNumThreads(2);
  for (int64_t n : {0, 1, 2, 3, 100}) {
    std::vector<std::atomic<int>> hits(n);
    ParallelFor(n, [&](int64_t i) { hits[i]++; });
    for (int64_t i = 0; i < n; ++i) EXPECT_EQ(hits[i].load(), 1) << n << " " << i;
  }
  SetNumThreads(1);
}

TEST(GemmTest, ZeroK) {
  std::vector<float> c(6, 7.0f);
  Sgemm(false, false, 2, 3, 0, nullptr, 0, nullptr, 3, c.data(), 3, false);
  for (float v : c) EXPECT_EQ(v, 0.0f);
  std::vector<float> d(6, 7.0f);
  Sgemm(false, false, 2, 3, 0, nullptr, 0, nullptr, 3, d.data(), 3, true);
  for (float v : d) EXPECT_EQ(v, 7.0f);
}

TEST(GemmTest, ReportsItsKernel) {
  std::string name = SgemmKernelName();
  EXPECT_TRUE(name == "avx512" || name == "portable") << name;
}

}  // namespace
}  // namespace loom
