// Model-level timings through loom::Jit: the SentimentLSTM (batch 32, sequence 50)
// forward and training step with Adam, the char-RNN training step (hidden 100,
// sequence 25, batch 1), and compile time for sequence lengths 50 and 5000.
// Run: build/bench/model_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <string>

#include "benchmark/benchmark.h"
#include "compiler/codegen/compiled_function.h"
#include "frontends/jit.h"

namespace {

loom::Jit& TheJit() {
  static loom::Jit* jit = loom::Jit::Create()->release();
  return *jit;
}

std::unique_ptr<loom::CompiledModel> Compile(const std::string& file, loom::frontends::LowerOptions options) {
  auto f = loom::frontends::LoadModelFile(LOOM_SOURCE_DIR "/examples/" + file);
  return std::move(*TheJit().Compile(*f, options, 1));
}

void BM_SentimentForward(benchmark::State& state) {
  auto model = Compile("sentiment_lstm.pbtxt", {.batch = 32});
  loom::Tensor x(loom::DType::kI64, {32, 50});
  (void)model->Forward({x});  // compiles
  for (auto _ : state) benchmark::DoNotOptimize(model->Forward({x}));
}

void BM_SentimentTrainStep(benchmark::State& state) {
  auto model = Compile("sentiment_lstm.pbtxt", {.batch = 32});
  loom::Tensor x(loom::DType::kI64, {32, 50}), y(loom::DType::kF32, {32, 1});
  (void)model->TrainStep({x, y});
  for (auto _ : state) benchmark::DoNotOptimize(model->TrainStep({x, y}));
}

void BM_CharRnnTrainStep(benchmark::State& state) {
  auto model = Compile("char_rnn.pbtxt", {.batch = 1, .vocab = 65});
  loom::Tensor x(loom::DType::kI64, {1, 25}), y(loom::DType::kI64, {1, 25});
  (void)model->TrainStep({x, y});
  for (auto _ : state) benchmark::DoNotOptimize(model->TrainStep({x, y}));
}

// Streaming inference: one LSTM(256, 256) step at batch 1, state kept between calls.
void BM_StreamingLstmStep(benchmark::State& state) {
  loom::nn::Model m("Streaming");
  auto x = m.Input("x", loom::DType::kF32, {-1, 1, 256});
  m.Output(m.LSTM("lstm", x, 256, 256, {.batch_first = true}).output);
  auto model = TheJit().Compile(m, {.batch = 1, .streaming = true}, 1);
  loom::Tensor in(loom::DType::kF32, {1, 1, 256});
  (void)(*model)->Step({in});
  for (auto _ : state) benchmark::DoNotOptimize((*model)->Step({in}));
}

// Compile time (emission and LLVM, no cache) of an LSTM's forward for a sequence length:
// the scan is a loop, so the time should not depend on it.
void BM_CompileLstmForward(benchmark::State& state) {
  int64_t T = state.range(0);
  loom::nn::Model m("Lstm");
  auto x = m.Input("x", loom::DType::kF32, {-1, T, 64});
  m.Output(m.Linear("fc", m.LSTM("lstm", x, 64, 128, {.batch_first = true}).output, 128, 4));
  auto module = m.Lower({.batch = 8});
  auto engine = loom::codegen::JitEngine::Create();
  for (auto _ : state) {
    benchmark::DoNotOptimize(loom::codegen::CompiledFunction::Compile(**engine, **module, "forward"));
  }
}

BENCHMARK(BM_SentimentForward)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SentimentTrainStep)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CharRnnTrainStep)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StreamingLstmStep)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CompileLstmForward)->Arg(50)->Arg(5000)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
