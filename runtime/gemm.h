// Single-precision GEMM for the generated code and the interpreter-free paths:
// C = op(A)·op(B) (or C += when accumulating), row-major with leading dimensions.
// BLIS-style: B and A are packed into cache-sized panels and an 8×32 register tile of
// AVX-512 accumulators (16 zmm) streams over K with broadcast-FMA. Other CPUs run the
// same loops with a portable micro-kernel.
#ifndef LOOM_RUNTIME_GEMM_H_
#define LOOM_RUNTIME_GEMM_H_

#include <cstdint>

namespace loom {

void Sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
           const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate);

// Which micro-kernel Sgemm runs on this CPU ("avx512" or "portable").
const char* SgemmKernelName();

namespace gemm_internal {

inline constexpr int kMr = 8, kNr = 32;
// C[0:mr, 0:nr] (+)= Ap·Bp over kc: Ap is kc×kMr (row i of the tile at [p*kMr + i]), Bp
// is kc×kNr, both zero-padded past mr and nr.
using MicroKernel = void (*)(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, int mr,
                             int nr, bool accumulate);
void MicroKernelPortable(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, int mr, int nr,
                         bool accumulate);
// Sgemm with a given micro-kernel (tests run each one).
void SgemmWith(MicroKernel kernel, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
               int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate);
#if defined(__x86_64__)
// Packs op(B) = Bᵀ (columns col0.. of op(B), k0..k0+kc) into a kNr-wide panel.
void PackBTransposedAvx(const float* b, int64_t ldb, int64_t k0, int64_t kc, int64_t col0, int64_t w, float* panel);
void MicroKernelAvx512(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, int mr, int nr,
                       bool accumulate);
#endif

}  // namespace gemm_internal
}  // namespace loom

#endif  // LOOM_RUNTIME_GEMM_H_
