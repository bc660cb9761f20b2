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
}

#endif  // LOOM_RUNTIME_KERNELS_ABI_H_
