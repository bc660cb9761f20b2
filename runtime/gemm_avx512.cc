// The AVX-512 kernels. The micro-kernel holds an 8×32 tile of C in 16 zmm accumulators;
// each step over K loads one 32-wide row of B (2 zmm) and broadcasts 8 values of A. The
// dot kernel serves a few rows of A against Bᵀ without packing.
// Compiled with -mavx512f; only called when the CPU has it.
#include <immintrin.h>

#include <algorithm>
#include <type_traits>

#include "runtime/gemm.h"

namespace loom::gemm_internal {
namespace {

__mmask16 Mask(int64_t n) { return n >= 16 ? 0xffff : n <= 0 ? 0 : static_cast<__mmask16>((1u << n) - 1); }

// MR rows of the tile; kFull when all 32 columns are there (no masked loads). Fewer rows leave FMA latency exposed, so the loop over K is
// split into U interleaved partial sums, keeping 16 accumulators in flight.
template <int MR, bool kFull>
void Tile(int64_t kc, const float* ap, const float* bp, int64_t ldbp, float* c, int64_t ldc, int mr, int nr,
          bool accumulate) {
  constexpr int U = kMr / MR;
  __mmask16 m0 = Mask(nr), m1 = Mask(nr - 16);
  __m512 acc[U][MR][2];
  for (int u = 0; u < U; ++u) {
    for (int i = 0; i < MR; ++i) acc[u][i][0] = acc[u][i][1] = _mm512_setzero_ps();
  }
  auto step = [&](int slot, int64_t p) __attribute__((always_inline)) {
    const float* brow = bp + p * ldbp;
    __m512 b0 = kFull ? _mm512_loadu_ps(brow) : _mm512_maskz_loadu_ps(m0, brow);
    __m512 b1 = kFull ? _mm512_loadu_ps(brow + 16) : _mm512_maskz_loadu_ps(m1, brow + 16);
    const float* a = ap + p * kMr;
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      __m512 av = _mm512_set1_ps(a[i]);
      acc[slot][i][0] = _mm512_fmadd_ps(av, b0, acc[slot][i][0]);
      acc[slot][i][1] = _mm512_fmadd_ps(av, b1, acc[slot][i][1]);
    }
  };
  // Whole groups of U steps, then the rest into the first partial sums.
  int64_t p = 0;
  for (; p + U <= kc; p += U) {
#pragma GCC unroll 8
    for (int u = 0; u < U; ++u) step(u, p + u);
  }
  for (; p < kc; ++p) step(0, p);
  for (int i = 0; i < mr; ++i) {
    __m512 r0 = acc[0][i][0], r1 = acc[0][i][1];
    for (int u = 1; u < U; ++u) {
      r0 = _mm512_add_ps(r0, acc[u][i][0]);
      r1 = _mm512_add_ps(r1, acc[u][i][1]);
    }
    float* row = c + i * ldc;
    if (accumulate) {
      r0 = _mm512_add_ps(r0, _mm512_maskz_loadu_ps(m0, row));
      r1 = _mm512_add_ps(r1, _mm512_maskz_loadu_ps(m1, row + 16));
    }
    _mm512_mask_storeu_ps(row, m0, r0);
    _mm512_mask_storeu_ps(row + 16, m1, r1);
  }
}

// M rows of A against JB rows of B, 16 lanes of K at a time (masked at the end).
template <int M, int JB>
void Dots(int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, int jb, float* c, int64_t ldc,
          bool accumulate) {
  __m512 acc[M][JB];
  for (int i = 0; i < M; ++i) {
    for (int j = 0; j < JB; ++j) acc[i][j] = _mm512_setzero_ps();
  }
  for (int64_t p = 0; p < k; p += 16) {
    __mmask16 mask = Mask(k - p);
    __m512 bv[JB];
    // Rows past jb repeat row 0: in bounds, and their sums are dropped.
    for (int j = 0; j < JB; ++j) bv[j] = _mm512_maskz_loadu_ps(mask, b + (j < jb ? j : 0) * ldb + p);
    for (int i = 0; i < M; ++i) {
      __m512 av = _mm512_maskz_loadu_ps(mask, a + i * lda + p);
      for (int j = 0; j < JB; ++j) acc[i][j] = _mm512_fmadd_ps(av, bv[j], acc[i][j]);
    }
  }
  for (int i = 0; i < M; ++i) {
    for (int j = 0; j < jb; ++j) {
      float sum = _mm512_reduce_add_ps(acc[i][j]);
      c[i * ldc + j] = accumulate ? c[i * ldc + j] + sum : sum;
    }
  }
}

template <int M>
void DotRows(int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc,
             bool accumulate) {
  constexpr int JB = M <= 2 ? 8 : 4;
  for (int64_t j = 0; j < n; j += JB) {
    Dots<M, JB>(k, a, lda, b + j * ldb, ldb, static_cast<int>(std::min<int64_t>(JB, n - j)), c + j, ldc, accumulate);
  }
}

}  // namespace

void MicroKernelAvx512(int64_t kc, const float* ap, const float* bp, int64_t ldbp, float* c, int64_t ldc, int mr,
                       int nr, bool accumulate) {
  auto tile = [&](auto rows) {
    constexpr int MR = decltype(rows)::value;
    if (nr == kNr) return Tile<MR, true>(kc, ap, bp, ldbp, c, ldc, mr, nr, accumulate);
    Tile<MR, false>(kc, ap, bp, ldbp, c, ldc, mr, nr, accumulate);
  };
  if (mr == 1) return tile(std::integral_constant<int, 1>());
  if (mr == 2) return tile(std::integral_constant<int, 2>());
  if (mr <= 4) return tile(std::integral_constant<int, 4>());
  tile(std::integral_constant<int, 8>());
}

void DotKernelAvx512(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
                     float* c, int64_t ldc, bool accumulate) {
  // Four rows of A at a time (16 accumulators), the rest one or two at a time.
  int64_t i = 0;
  for (; i + 4 <= m; i += 4) DotRows<4>(n, k, a + i * lda, lda, b, ldb, c + i * ldc, ldc, accumulate);
  for (; i + 2 <= m; i += 2) DotRows<2>(n, k, a + i * lda, lda, b, ldb, c + i * ldc, ldc, accumulate);
  for (; i < m; ++i) DotRows<1>(n, k, a + i * lda, lda, b, ldb, c + i * ldc, ldc, accumulate);
}

}  // namespace loom::gemm_internal

namespace loom::gemm_internal {

// op(B) = Bᵀ panel: column j of the panel is row (col0 + j) of B, read contiguously over
// k. 8×8 blocks are transposed in registers; the ragged edges go element by element.
void PackBTransposedAvx(const float* b, int64_t ldb, int64_t k0, int64_t kc, int64_t col0, int64_t w, float* panel) {
  int64_t full_cols = w / 8 * 8, full_k = kc / 8 * 8;
  for (int64_t j = 0; j < full_cols; j += 8) {
    const float* src = b + (col0 + j) * ldb + k0;
    for (int64_t p = 0; p < full_k; p += 8) {
      __m256 r0 = _mm256_loadu_ps(src + 0 * ldb + p), r1 = _mm256_loadu_ps(src + 1 * ldb + p);
      __m256 r2 = _mm256_loadu_ps(src + 2 * ldb + p), r3 = _mm256_loadu_ps(src + 3 * ldb + p);
      __m256 r4 = _mm256_loadu_ps(src + 4 * ldb + p), r5 = _mm256_loadu_ps(src + 5 * ldb + p);
      __m256 r6 = _mm256_loadu_ps(src + 6 * ldb + p), r7 = _mm256_loadu_ps(src + 7 * ldb + p);
      __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
      __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
      __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
      __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
      __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
      __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
      __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
      __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
      float* dst = panel + p * kNr + j;
      _mm256_storeu_ps(dst + 0 * kNr, _mm256_permute2f128_ps(s0, s4, 0x20));
      _mm256_storeu_ps(dst + 1 * kNr, _mm256_permute2f128_ps(s1, s5, 0x20));
      _mm256_storeu_ps(dst + 2 * kNr, _mm256_permute2f128_ps(s2, s6, 0x20));
      _mm256_storeu_ps(dst + 3 * kNr, _mm256_permute2f128_ps(s3, s7, 0x20));
      _mm256_storeu_ps(dst + 4 * kNr, _mm256_permute2f128_ps(s0, s4, 0x31));
      _mm256_storeu_ps(dst + 5 * kNr, _mm256_permute2f128_ps(s1, s5, 0x31));
      _mm256_storeu_ps(dst + 6 * kNr, _mm256_permute2f128_ps(s2, s6, 0x31));
      _mm256_storeu_ps(dst + 7 * kNr, _mm256_permute2f128_ps(s3, s7, 0x31));
    }
  }
  for (int64_t j = 0; j < kNr; ++j) {
    const float* src = b + (col0 + j) * ldb + k0;
    bool done_cols = j < full_cols;
    for (int64_t p = done_cols ? full_k : 0; p < kc; ++p) panel[p * kNr + j] = j < w ? src[p] : 0.0f;
  }
}

}  // namespace loom::gemm_internal
