// Loom's generated products on the LSTM gate shapes, next to OpenBLAS's cblas_sgemm and
// to the machine's FMA peak, single thread. C[M, 1024] = A[M, K]·W[1024, K]ᵀ with W a
// parameter (packed once, as in a model): K = 356 and 512 are the SentimentLSTM's layers
// at batch M = 32 (input + hidden), K = 256 a streaming step at batch 1, and M = 1600 the
// hoisted input projection of 50 steps; and the weight gradients after the backward
// scan. The CPU is $LOOM_TARGET_CPU (default: this one).
// Run: OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1 build/bench/gemm_bench
//      LOOM_TARGET_CPU=x86-64-v3 OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=1 build/bench/gemm_bench
#include <cblas.h>

#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "compiler/codegen/compiled_function.h"
#include "compiler/pipeline/compile.h"
#include "ir/parser.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"

namespace {

constexpr int64_t kN = 1024;

loom::codegen::JitEngine& Engine() {
  static auto* engine = loom::codegen::JitEngine::Create()->release();
  return *engine;
}

loom::Tensor Random(loom::Shape shape, uint64_t seed) {
  loom::Tensor t(loom::DType::kF32, shape);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1, 1);
  for (int64_t i = 0; i < t.num_elements(); ++i) t.values<float>()[i] = u(rng);
  return t;
}

void Flops(benchmark::State& state, int64_t m, int64_t n, int64_t k) {
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * m * n * k, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

void BM_Loom(benchmark::State& state) {
  int64_t m = state.range(0), k = state.range(1);
  std::string text =
      absl::StrCat("module @g {\n  param @w : f32[", kN, ",", k, "] = zeros\n  func @main(%x: f32[", m, ",", k,
                   "]) -> (f32[", m, ",", kN, "]) {\n    %w = load {global = @w} : f32[", kN, ",", k,
                   "]\n    %y = matmul %x, %w {transpose_b = true} : f32[", m, ",", kN, "]\n    return %y\n  }\n}\n");
  auto module = loom::ir::ParseModule(text, "gemm");
  auto f = loom::pipeline::CompileFunction(Engine(), **module, "main");
  if (!f.ok()) return state.SkipWithError(std::string(f.status().message()).c_str());
  loom::codegen::CompiledFunction::Globals globals{{"w", Random({kN, k}, 2)}};
  std::vector<loom::Tensor> x = {Random({m, k}, 1)};
  for (auto _ : state) benchmark::DoNotOptimize((*f)->Run(x, globals, /*params_version=*/1));
  Flops(state, m, kN, k);
  state.SetLabel(Engine().cpu());
}

// A weight gradient after a reverse scan: dW[M, N] = dG[T·B, M]ᵀ · X[T·B, N], both
// operands per call (nothing packed in advance). Arguments: M, N, K = T·B.
void BM_LoomWeightGradient(benchmark::State& state) {
  int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  std::string text =
      absl::StrCat("module @g {\n  func @main(%g: f32[", k, ",", m, "], %x: f32[", k, ",", n, "]) -> (f32[", m, ",", n,
                   "]) {\n    %w = matmul %g, %x {transpose_a = true} : f32[", m, ",", n, "]\n    return %w\n  }\n}\n");
  auto module = loom::ir::ParseModule(text, "gemm");
  auto f = loom::pipeline::CompileFunction(Engine(), **module, "main");
  if (!f.ok()) return state.SkipWithError(std::string(f.status().message()).c_str());
  loom::codegen::CompiledFunction::Globals globals;
  std::vector<loom::Tensor> in = {Random({k, m}, 1), Random({k, n}, 2)};
  for (auto _ : state) benchmark::DoNotOptimize((*f)->Run(in, globals));
  Flops(state, m, n, k);
  state.SetLabel(Engine().cpu());
}

void BM_OpenBlasWeightGradient(benchmark::State& state) {
  int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  loom::Tensor g = Random({k, m}, 1), x = Random({k, n}, 2), c(loom::DType::kF32, {m, n});
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k),
                1.0f, g.values<float>().data(), static_cast<int>(m), x.values<float>().data(), static_cast<int>(n),
                0.0f, c.values<float>().data(), static_cast<int>(n));
    benchmark::DoNotOptimize(c.raw_data());
  }
  Flops(state, m, n, k);
}

void BM_OpenBlas(benchmark::State& state) {
  int64_t m = state.range(0), k = state.range(1);
  loom::Tensor a = Random({m, k}, 1), w = Random({kN, k}, 2), c(loom::DType::kF32, {m, kN});
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m), kN, static_cast<int>(k), 1.0f,
                a.values<float>().data(), static_cast<int>(k), w.values<float>().data(), static_cast<int>(k), 0.0f,
                c.values<float>().data(), kN);
    benchmark::DoNotOptimize(c.raw_data());
  }
  Flops(state, m, kN, k);
}

// The FMA peak of the target's widest vectors: independent chains of llvm.fmuladd, more
// than latency × ports, generated for the same CPU as the products.
void BM_FmaPeak(benchmark::State& state) {
  constexpr int kChains = 12, kSteps = 1 << 20;
  static void (*peak)(float*) = [] {
    auto context = std::make_unique<llvm::LLVMContext>();
    auto module = std::make_unique<llvm::Module>("peak", *context);
    llvm::IRBuilder<> b(*context);
    int lanes = Engine().target().vector_registers().bits / 32;
    auto* vec = llvm::FixedVectorType::get(b.getFloatTy(), lanes);
    auto* f = llvm::Function::Create(llvm::FunctionType::get(b.getVoidTy(), {b.getPtrTy()}, false),
                                     llvm::Function::ExternalLinkage, "fma_peak", *module);
    auto* entry = llvm::BasicBlock::Create(*context, "entry", f);
    auto* loop = llvm::BasicBlock::Create(*context, "loop", f);
    auto* exit = llvm::BasicBlock::Create(*context, "exit", f);
    b.SetInsertPoint(entry);
    llvm::Value* x = b.CreateVectorSplat(lanes, b.CreateLoad(b.getFloatTy(), f->getArg(0)));
    b.CreateBr(loop);
    b.SetInsertPoint(loop);
    llvm::PHINode* i = b.CreatePHI(b.getInt32Ty(), 2);
    i->addIncoming(b.getInt32(0), entry);
    std::vector<llvm::PHINode*> acc;
    std::vector<llvm::Value*> next;
    for (int c = 0; c < kChains; ++c) {
      acc.push_back(b.CreatePHI(vec, 2));
      acc.back()->addIncoming(llvm::ConstantFP::get(vec, 0.001 * c), entry);
    }
    for (int c = 0; c < kChains; ++c)
      next.push_back(b.CreateIntrinsic(llvm::Intrinsic::fmuladd, {vec}, {acc[c], x, x}));
    llvm::Value* i_next = b.CreateAdd(i, b.getInt32(1));
    i->addIncoming(i_next, loop);
    for (int c = 0; c < kChains; ++c) acc[c]->addIncoming(next[c], loop);
    b.CreateCondBr(b.CreateICmpSLT(i_next, b.getInt32(kSteps)), loop, exit);
    b.SetInsertPoint(exit);
    llvm::Value* sum = next[0];
    for (int c = 1; c < kChains; ++c) sum = b.CreateFAdd(sum, next[c]);
    b.CreateStore(b.CreateExtractElement(sum, uint64_t{0}), f->getArg(0));
    b.CreateRetVoid();
    static auto code = Engine().Add(std::move(module), std::move(context), "fma_peak");
    return reinterpret_cast<void (*)(float*)>((*code)->address());
  }();
  float x = 0.999f;
  for (auto _ : state) {
    peak(&x);
    benchmark::DoNotOptimize(x);
  }
  int lanes = Engine().target().vector_registers().bits / 32;
  state.counters["GFLOP/s"] = benchmark::Counter(
      2.0 * lanes * kChains * kSteps, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
  state.SetLabel(Engine().cpu());
}

void Shapes(benchmark::internal::Benchmark* b) {
  for (auto [m, k] : std::vector<std::pair<int64_t, int64_t>>{{32, 356}, {32, 512}, {1, 256}, {1600, 100}}) {
    b->Args({m, k});
  }
}

BENCHMARK(BM_FmaPeak)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Loom)->Apply(Shapes)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_OpenBlas)->Apply(Shapes)->Unit(benchmark::kMicrosecond);
// The SentimentLSTM's weight gradients (batch 32 × 50 steps): layer 0's input and the rest.
BENCHMARK(BM_LoomWeightGradient)->Args({1024, 100, 1600})->Args({1024, 256, 1600})->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_OpenBlasWeightGradient)->Args({1024, 100, 1600})->Args({1024, 256, 1600})->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
