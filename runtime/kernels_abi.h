// Functions generated code calls, with C linkage. Their names are part of the ABI
// between codegen and runtime: the JIT resolves them in the host process, and objects
// built by loomc link them from the runtime.
#ifndef LOOM_RUNTIME_KERNELS_ABI_H_
#define LOOM_RUNTIME_KERNELS_ABI_H_

#include <cstdint>

extern "C" {
// C[m,n] = op(A)·op(B), row-major, contiguous (lda = cols of A as stored, etc.).
void loom_sgemm(int32_t trans_a, int32_t trans_b, int64_t m, int64_t n, int64_t k, const float* a,
                const float* b, float* c);
void loom_dgemm(int32_t trans_a, int32_t trans_b, int64_t m, int64_t n, int64_t k, const double* a,
                const double* b, double* c);
// op(B) (k×n) into `packed` (loom_sgemm_packed_b_bytes(n, k) bytes, 64-byte aligned),
// once for a weight that many products share; then C[m,n] = op(A)·packed.
int64_t loom_sgemm_packed_b_bytes(int64_t n, int64_t k);
void loom_sgemm_pack_b(int32_t trans_b, int64_t n, int64_t k, const float* b, float* packed);
void loom_sgemm_packed_b(int32_t trans_a, int64_t m, int64_t n, int64_t k, const float* a, const float* packed,
                         float* c);
}

// Every kernel generated code may call, for the JIT to resolve: X(name).
#define LOOM_RUNTIME_KERNELS(X) X(loom_sgemm) X(loom_dgemm) X(loom_sgemm_pack_b) X(loom_sgemm_packed_b)

#endif  // LOOM_RUNTIME_KERNELS_ABI_H_
