// Loom's Sgemm next to OpenBLAS's cblas_sgemm (single thread) on the LSTM gate shapes:
// [M, K]·[K, 1024]ᵀ for K = 356 (layer 0: input 100 + hidden 256) and 512 (layer 1) at
// batch M = 32, and K = 256 at batch 1 (a streaming step). Arguments: M, K (and, for
// Loom's Sgemm, threads).
// Run: OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1 build/bench/gemm_bench
// (Debian's OpenBLAS 0.3.21 does not recognise this CPU and would fall back to SSE3.)
#include <cblas.h>

#include <random>
#include <vector>

#include "benchmark/benchmark.h"
#include "runtime/gemm.h"
#include "runtime/thread_pool.h"

namespace {

struct Operands {
  std::vector<float> a, w, c;
  Operands(int64_t m, int64_t n, int64_t k) : a(m * k), w(n * k), c(m * n) {
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(-1, 1);
    for (float& v : a) v = u(rng);
    for (float& v : w) v = u(rng);
  }
};

void Flops(benchmark::State& state, int64_t m, int64_t n, int64_t k) {
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * m * n * k, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

void BM_LoomSgemm(benchmark::State& state) {
  int64_t m = state.range(0), n = 1024, k = state.range(1);
  loom::SetNumThreads(static_cast<int>(state.range(2)));
  Operands o(m, n, k);
  for (auto _ : state) {
    loom::Sgemm(false, true, m, n, k, o.a.data(), k, o.w.data(), k, o.c.data(), n, false);
    benchmark::DoNotOptimize(o.c.data());
  }
  Flops(state, m, n, k);
  state.SetLabel(loom::SgemmKernelName());
  loom::SetNumThreads(1);
}

// The weight packed once outside the timed loop, as the JIT does for a loop-invariant
// weight inside a scan.
void BM_LoomSgemmPackedB(benchmark::State& state) {
  int64_t m = state.range(0), n = 1024, k = state.range(1);
  Operands o(m, n, k);
  std::vector<float> packed(loom::PackedBFloats(n, k));
  loom::PackB(true, n, k, o.w.data(), k, packed.data());
  for (auto _ : state) {
    loom::SgemmPackedB(false, m, n, k, o.a.data(), k, packed.data(), o.c.data(), n, false);
    benchmark::DoNotOptimize(o.c.data());
  }
  Flops(state, m, n, k);
}

void BM_OpenBlasSgemm(benchmark::State& state) {
  int64_t m = state.range(0), n = 1024, k = state.range(1);
  Operands o(m, n, k);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, o.a.data(), k, o.w.data(), k, 0.0f,
                o.c.data(), n);
    benchmark::DoNotOptimize(o.c.data());
  }
  Flops(state, m, n, k);
}

void Shapes(benchmark::internal::Benchmark* b) { b->Args({32, 356})->Args({32, 512})->Args({1, 256}); }
// The third argument: threads (the runtime's pool; 1 is the comparison with OpenBLAS).
BENCHMARK(BM_LoomSgemm)->Args({32, 356, 1})->Args({32, 512, 1})->Args({1, 256, 1})->Args({32, 512, 2})->Args({1600, 512, 1})->Args({1600, 512, 2});
BENCHMARK(BM_LoomSgemmPackedB)->Apply(Shapes);
BENCHMARK(BM_OpenBlasSgemm)->Apply(Shapes);

}  // namespace

BENCHMARK_MAIN();
