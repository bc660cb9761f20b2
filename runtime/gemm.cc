#include "runtime/gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "runtime/thread_pool.h"

namespace loom {
namespace {

using gemm_internal::KernelSet;
using gemm_internal::kMr;
using gemm_internal::kNr;

// Cache blocking: an A block of kMc×kKc stays in L2, a B micro-panel of kKc×kNr in L1.
constexpr int64_t kMc = 128, kKc = 256;

struct Free {
  void operator()(float* p) const { std::free(p); }
};
std::unique_ptr<float, Free> Buffer(int64_t floats) {
  size_t bytes = (static_cast<size_t>(floats) * sizeof(float) + 63) / 64 * 64;
  return std::unique_ptr<float, Free>(static_cast<float*>(std::aligned_alloc(64, std::max<size_t>(bytes, 64))));
}

int64_t RoundUp(int64_t x, int64_t to) { return (x + to - 1) / to * to; }

// B[pc:pc+kc, jc:jc+nc] of op(B) into panels of kNr columns, zero-padded.
void PackPanels(bool trans, const float* b, int64_t ldb, int64_t pc, int64_t kc, int64_t jc, int64_t nc, float* out) {
  for (int64_t jp = 0; jp < nc; jp += kNr) {
    int64_t w = std::min<int64_t>(kNr, nc - jp);
    float* panel = out + jp * kc;
#if defined(__x86_64__)
    if (trans && __builtin_cpu_supports("avx2")) {
      gemm_internal::PackBTransposedAvx(b, ldb, pc, kc, jc + jp, w, panel);
      continue;
    }
#endif
    if (trans) {
      // Read each column of op(B) (a row of B) contiguously.
      for (int64_t j = 0; j < kNr; ++j) {
        const float* src = b + (jc + jp + j) * ldb + pc;
        for (int64_t p = 0; p < kc; ++p) panel[p * kNr + j] = j < w ? src[p] : 0.0f;
      }
      continue;
    }
    for (int64_t p = 0; p < kc; ++p) {
      float* row = panel + p * kNr;
      const float* src = b + (pc + p) * ldb + jc + jp;
      for (int64_t j = 0; j < w; ++j) row[j] = src[j];
      for (int64_t j = w; j < kNr; ++j) row[j] = 0;
    }
  }
}

// A[ic:ic+mc, pc:pc+kc] of op(A) into panels of kMr rows, zero-padded.
void PackA(bool trans, const float* a, int64_t lda, int64_t ic, int64_t mc, int64_t pc, int64_t kc, float* out) {
  for (int64_t ip = 0; ip < mc; ip += kMr) {
    int64_t h = std::min<int64_t>(kMr, mc - ip);
    float* panel = out + ip * kc;
    for (int64_t p = 0; p < kc; ++p) {
      float* col = panel + p * kMr;
      for (int64_t i = 0; i < h; ++i) {
        int64_t r = ic + ip + i, kk = pc + p;
        col[i] = trans ? a[kk * lda + r] : a[r * lda + kk];
      }
      for (int64_t i = h; i < kMr; ++i) col[i] = 0;
    }
  }
}

// Below this much work, waking the other threads costs more than they save.
constexpr double kParallelFlops = 4e6;

// body(j0, j1) for column ranges of C that together cover [0, n), each a whole number of
// kNr-wide panels, one per thread when the product is large enough to share.
template <typename Body>
void SplitColumns(int64_t m, int64_t n, int64_t k, Body body) {
  int64_t parts = std::min<int64_t>(NumThreads(), (n + kNr - 1) / kNr);
  if (parts < 2 || 2.0 * m * n * k < kParallelFlops) return body(0, n);
  int64_t per = RoundUp((n + parts - 1) / parts, kNr);
  ParallelFor(parts, [&](int64_t p) {
    int64_t j0 = p * per, j1 = std::min(n, j0 + per);
    if (j0 < j1) body(j0, j1);
  });
}

bool ZeroSized(int64_t m, int64_t n, int64_t k, float* c, int64_t ldc, bool accumulate) {
  if (m <= 0 || n <= 0) return true;
  if (k > 0) return false;
  if (!accumulate) {
    for (int64_t i = 0; i < m; ++i) std::memset(c + i * ldc, 0, n * sizeof(float));
  }
  return true;
}

// The blocked loops over K, M and N around the micro-kernel. panel(pc, kc, jr, nr)
// gives the B panel for those rows and columns, ldbp floats per row.
template <typename Panel>
void Blocked(const KernelSet& ks, bool trans_a, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
             float* c, int64_t ldc, bool accumulate, int64_t ldbp, Panel panel) {
  int64_t mc_max = std::min(kMc, RoundUp(m, kMr));
  auto apack = Buffer(std::min(kKc, k) * mc_max);
  for (int64_t pc = 0; pc < k; pc += kKc) {
    int64_t kc = std::min(kKc, k - pc);
    bool acc = accumulate || pc > 0;
    for (int64_t ic = 0; ic < m; ic += kMc) {
      int64_t mc = std::min(kMc, m - ic);
      PackA(trans_a, a, lda, ic, mc, pc, kc, apack.get());
      for (int64_t jr = 0; jr < n; jr += kNr) {
        int64_t nr = std::min<int64_t>(kNr, n - jr);
        const float* bp = panel(pc, kc, jr, nr);
        for (int64_t ir = 0; ir < mc; ir += kMr) {
          ks.tile(kc, apack.get() + ir * kc, bp, ldbp, c + (ic + ir) * ldc + jr, ldc,
                  static_cast<int>(std::min<int64_t>(kMr, mc - ir)), static_cast<int>(nr), acc);
        }
      }
    }
  }
}

void MicroKernelPortable(int64_t kc, const float* ap, const float* bp, int64_t ldbp, float* c, int64_t ldc, int mr,
                         int nr, bool accumulate) {
  float acc[kMr][kNr] = {};
  for (int64_t p = 0; p < kc; ++p) {
    for (int i = 0; i < kMr; ++i) {
      float av = ap[p * kMr + i];
      for (int j = 0; j < nr; ++j) acc[i][j] += av * bp[p * ldbp + j];
    }
  }
  for (int i = 0; i < mr; ++i) {
    for (int j = 0; j < nr; ++j) c[i * ldc + j] = accumulate ? c[i * ldc + j] + acc[i][j] : acc[i][j];
  }
}

void DotKernelPortable(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
                       float* c, int64_t ldc, bool accumulate) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      float sum = 0;
      for (int64_t p = 0; p < k; ++p) sum += a[i * lda + p] * b[j * ldb + p];
      c[i * ldc + j] = accumulate ? c[i * ldc + j] + sum : sum;
    }
  }
}

}  // namespace

namespace gemm_internal {

KernelSet PortableKernels() { return {"portable", MicroKernelPortable, DotKernelPortable}; }

KernelSet BestKernels() {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx512f")) return {"avx512", MicroKernelAvx512, DotKernelAvx512};
#endif
  return PortableKernels();
}

void SgemmWith(const KernelSet& ks, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
               int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate) {
  if (ZeroSized(m, n, k, c, ldc, accumulate)) return;
  std::unique_ptr<float, Free> rows;
  if (m <= kMr && trans_b && trans_a) {
    // The dot kernel reads rows of A: transpose the few there are once, for every thread.
    rows = Buffer(m * k);
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t p = 0; p < k; ++p) rows.get()[i * k + p] = a[p * lda + i];
    }
  }
  SplitColumns(m, n, k, [&](int64_t j0, int64_t j1) {
    int64_t nn = j1 - j0;
    const float* bj = trans_b ? b + j0 * ldb : b + j0;
    float* cj = c + j0;
    if (m <= kMr && trans_b) {
      // Few rows against Bᵀ: dot products over contiguous rows beat transposing B.
      return rows ? ks.dot(m, nn, k, rows.get(), k, bj, ldb, cj, ldc, accumulate)
                  : ks.dot(m, nn, k, a, lda, bj, ldb, cj, ldc, accumulate);
    }
    if (m <= kMr) {
      // One row tile uses each element of B once: read it in place.
      return Blocked(ks, trans_a, m, nn, k, a, lda, cj, ldc, accumulate, ldb,
                     [&](int64_t pc, int64_t, int64_t jr, int64_t) { return bj + pc * ldb + jr; });
    }
    // Each B micro-panel is packed right before the tiles that use it, while it is in L1.
    auto bpack = Buffer(std::min(kKc, k) * kNr);
    Blocked(ks, trans_a, m, nn, k, a, lda, cj, ldc, accumulate, kNr, [&](int64_t pc, int64_t kc, int64_t jr, int64_t nr) {
      PackPanels(trans_b, bj, ldb, pc, kc, jr, nr, bpack.get());
      return static_cast<const float*>(bpack.get());
    });
  });
}

void SgemmPackedBWith(const KernelSet& ks, bool trans_a, int64_t m, int64_t n, int64_t k, const float* a,
                      int64_t lda, const float* packed_b, float* c, int64_t ldc, bool accumulate) {
  if (ZeroSized(m, n, k, c, ldc, accumulate)) return;
  int64_t npad = RoundUp(n, kNr);
  SplitColumns(m, n, k, [&](int64_t j0, int64_t j1) {
    Blocked(ks, trans_a, m, j1 - j0, k, a, lda, c + j0, ldc, accumulate, kNr,
            [&](int64_t pc, int64_t kc, int64_t jr, int64_t) { return packed_b + pc * npad + (j0 + jr) * kc; });
  });
}

}  // namespace gemm_internal

// The K blocks of kKc rows one after another; within one, the kNr-wide panels.
int64_t PackedBFloats(int64_t n, int64_t k) { return RoundUp(n, kNr) * std::max<int64_t>(k, 1); }

void PackB(bool trans_b, int64_t n, int64_t k, const float* b, int64_t ldb, float* packed) {
  int64_t npad = RoundUp(n, kNr);
  for (int64_t pc = 0; pc < k; pc += kKc) {
    PackPanels(trans_b, b, ldb, pc, std::min(kKc, k - pc), 0, n, packed + pc * npad);
  }
}

const char* SgemmKernelName() { return gemm_internal::BestKernels().name; }

void Sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
           const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate) {
  static const KernelSet kernels = gemm_internal::BestKernels();
  gemm_internal::SgemmWith(kernels, trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
}

void SgemmPackedB(bool trans_a, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                  const float* packed_b, float* c, int64_t ldc, bool accumulate) {
  static const KernelSet kernels = gemm_internal::BestKernels();
  gemm_internal::SgemmPackedBWith(kernels, trans_a, m, n, k, a, lda, packed_b, c, ldc, accumulate);
}

}  // namespace loom
