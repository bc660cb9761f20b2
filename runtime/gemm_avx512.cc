// The AVX-512 micro-kernel: an 8×32 tile of C in 16 zmm accumulators; each step over K
// loads one 32-wide row of the B panel (2 zmm) and broadcasts 8 values of A.
// Compiled with -mavx512f; only called when the CPU has it.
#include <immintrin.h>

#include "runtime/gemm.h"

namespace loom::gemm_internal {

void MicroKernelAvx512(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, int mr, int nr,
                       bool accumulate) {
  __m512 acc[kMr][2];
  for (int i = 0; i < kMr; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kc; ++p) {
    __m512 b0 = _mm512_load_ps(bp + p * kNr);
    __m512 b1 = _mm512_load_ps(bp + p * kNr + 16);
    const float* a = ap + p * kMr;
#pragma GCC unroll 8
    for (int i = 0; i < kMr; ++i) {
      __m512 av = _mm512_set1_ps(a[i]);
      acc[i][0] = _mm512_fmadd_ps(av, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(av, b1, acc[i][1]);
    }
  }
  __mmask16 m0 = nr >= 16 ? 0xffff : static_cast<__mmask16>((1u << nr) - 1);
  __mmask16 m1 = nr >= 32 ? 0xffff : nr <= 16 ? 0 : static_cast<__mmask16>((1u << (nr - 16)) - 1);
  for (int i = 0; i < mr; ++i) {
    float* row = c + i * ldc;
    __m512 r0 = acc[i][0], r1 = acc[i][1];
    if (accumulate) {
      r0 = _mm512_add_ps(r0, _mm512_maskz_loadu_ps(m0, row));
      r1 = _mm512_add_ps(r1, _mm512_maskz_loadu_ps(m1, row + 16));
    }
    _mm512_mask_storeu_ps(row, m0, r0);
    _mm512_mask_storeu_ps(row + 16, m1, r1);
  }
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
