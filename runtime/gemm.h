// Single-precision GEMM for the generated code: C = op(A)·op(B) (or C += when
// accumulating), row-major with leading dimensions.
// BLIS-style: A and B are packed into cache-sized panels and an 8×32 register tile of
// AVX-512 accumulators (16 zmm) streams over K with broadcast-FMA. Two shapes skip the
// packing of B because it would cost as much as the product: a few rows of A (batch 1 to
// 8) against B read in place, and B packed once in advance by the caller (a weight that
// a whole time loop multiplies by). Other CPUs run the same loops with portable kernels.
#ifndef LOOM_RUNTIME_GEMM_H_
#define LOOM_RUNTIME_GEMM_H_

#include <cstdint>

namespace loom {

void Sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
           const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate);

// op(B) (k×n) packed for SgemmPackedB: PackedBFloats(n, k) floats, 64-byte aligned.
int64_t PackedBFloats(int64_t n, int64_t k);
void PackB(bool trans_b, int64_t n, int64_t k, const float* b, int64_t ldb, float* packed);
void SgemmPackedB(bool trans_a, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                  const float* packed_b, float* c, int64_t ldc, bool accumulate);

// Which kernels Sgemm runs on this CPU ("avx512" or "portable").
const char* SgemmKernelName();

namespace gemm_internal {

inline constexpr int kMr = 8, kNr = 32;
// C[0:mr, 0:nr] (+)= Ap·Bp over kc. Ap is kc×kMr (row i of the tile at [p*kMr + i],
// zero past mr); row p of Bp starts at bp + p*ldbp: a packed panel (ldbp = kNr) or B
// itself; columns past nr are never read.
using MicroKernel = void (*)(int64_t kc, const float* ap, const float* bp, int64_t ldbp, float* c, int64_t ldc,
                             int mr, int nr, bool accumulate);
// C[0:m, 0:n] (+)= A·Bᵀ for m ≤ kMr with the rows of A and B contiguous over k: dot
// products straight from B, for the nn.Linear layout at small batch.
using DotKernel = void (*)(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
                           int64_t ldb, float* c, int64_t ldc, bool accumulate);
struct KernelSet {
  const char* name;
  MicroKernel tile;
  DotKernel dot;
};
KernelSet PortableKernels();
// The kernels of this CPU.
KernelSet BestKernels();

// Sgemm and SgemmPackedB with given kernels (tests run each set).
void SgemmWith(const KernelSet& kernels, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
               const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate);
void SgemmPackedBWith(const KernelSet& kernels, bool trans_a, int64_t m, int64_t n, int64_t k, const float* a,
                      int64_t lda, const float* packed_b, float* c, int64_t ldc, bool accumulate);
#if defined(__x86_64__)
// Packs op(B) = Bᵀ (columns col0.. of op(B), k0..k0+kc) into a kNr-wide panel.
void PackBTransposedAvx(const float* b, int64_t ldb, int64_t k0, int64_t kc, int64_t col0, int64_t w, float* panel);
void MicroKernelAvx512(int64_t kc, const float* ap, const float* bp, int64_t ldbp, float* c, int64_t ldc, int mr,
                       int nr, bool accumulate);
void DotKernelAvx512(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
                     float* c, int64_t ldc, bool accumulate);
#endif

}  // namespace gemm_internal
}  // namespace loom

#endif  // LOOM_RUNTIME_GEMM_H_
