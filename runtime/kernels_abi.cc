#include "runtime/kernels_abi.h"

#include "runtime/gemm.h"

extern "C" {

void loom_sgemm(int32_t trans_a, int32_t trans_b, int64_t m, int64_t n, int64_t k, const float* a,
                const float* b, float* c) {
  loom::Sgemm(trans_a, trans_b, m, n, k, a, trans_a ? m : k, b, trans_b ? k : n, c, n, false);
}

int64_t loom_sgemm_packed_b_bytes(int64_t n, int64_t k) {
  return loom::PackedBFloats(n, k) * static_cast<int64_t>(sizeof(float));
}

void loom_sgemm_pack_b(int32_t trans_b, int64_t n, int64_t k, const float* b, float* packed) {
  loom::PackB(trans_b, n, k, b, trans_b ? k : n, packed);
}

void loom_sgemm_packed_b(int32_t trans_a, int64_t m, int64_t n, int64_t k, const float* a, const float* packed,
                         float* c) {
  loom::SgemmPackedB(trans_a, m, n, k, a, trans_a ? m : k, packed, c, n, false);
}

// f64 GEMM appears only in double-precision checks, where exactness matters more than
// speed: a plain loop in k order, as the interpreter computes it.
void loom_dgemm(int32_t trans_a, int32_t trans_b, int64_t m, int64_t n, int64_t k, const double* a,
                const double* b, double* c) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) c[i * n + j] = 0;
    for (int64_t p = 0; p < k; ++p) {
      double av = trans_a ? a[p * m + i] : a[i * k + p];
      for (int64_t j = 0; j < n; ++j) c[i * n + j] += av * (trans_b ? b[j * k + p] : b[p * n + j]);
    }
  }
}

}  // extern "C"
