// Model-level timings through loom::Jit: the SentimentLSTM (batch 32, sequence 50)
// forward and training step with Adam, the char-RNN training step (hidden 100,
// sequence 25, batch 1), a gate-by-gate GRU's training step, a streaming LSTM step, an
// LSTM(256) over 100 steps at batch 1, and compile times (an LSTM forward at sequence
// lengths 50 and 5000; the SentimentLSTM's training step). Each model runs with the
// default pipeline ("full") and with each loop optimization turned off ("-gate-fusion",
// ...), to show what each buys. Code is generated for $LOOM_TARGET_CPU (default: this
// CPU); bench/compare.py runs this beside oneDNN and PyTorch.
// Run: LOOM_NUM_THREADS=1 build/bench/model_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <map>
#include <string>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "benchmark/benchmark.h"
#include "compiler/pipeline/compile.h"
#include "frontends/lower.h"
#include "frontends/model_file.h"
#include "loom/jit.h"

namespace {

// The pipeline variants: the default one, the default one without one pass, and none of
// the three (cleanup only).
const char* const kVariants[] = {"full", "-hoist-input-projection", "-gate-fusion", "-elementwise-fusion", "none"};

// A variant's pipeline: "none" is O1 (cleanup only), "-pass" the default one without it.
std::string Pipeline(const std::string& variant) {
  if (variant == "none") return "O1";
  if (variant == "full") return "default";
  return "default," + variant;
}

loom::Jit& JitFor(const std::string& variant) {
  static auto* jits = new std::map<std::string, std::unique_ptr<loom::Jit>>();
  auto& jit = (*jits)[variant];
  if (!jit) jit = std::move(*loom::Jit::Create({.pipeline = Pipeline(variant)}));
  return *jit;
}

std::unique_ptr<loom::CompiledModel> Compile(const std::string& variant, const std::string& file,
                                             loom::CompileOptions options) {
  auto m = loom::nn::Model::Load(LOOM_SOURCE_DIR "/examples/" + file);
  return std::move(*JitFor(variant).Compile(*m, options, 1));
}

void BM_SentimentForward(benchmark::State& state, std::string variant) {
  auto model = Compile(variant, "sentiment_lstm.pbtxt", {.batch = 32});
  loom::Tensor x(loom::DType::kI64, {32, 50});
  (void)model->Forward({x});  // compiles
  for (auto _ : state) benchmark::DoNotOptimize(model->Forward({x}));
}

void BM_SentimentTrainStep(benchmark::State& state, std::string variant) {
  auto model = Compile(variant, "sentiment_lstm.pbtxt", {.batch = 32});
  loom::Tensor x(loom::DType::kI64, {32, 50}), y(loom::DType::kF32, {32, 1});
  (void)model->TrainStep({x, y});
  for (auto _ : state) benchmark::DoNotOptimize(model->TrainStep({x, y}));
}

// A custom cell written gate by gate (examples/gru_by_gate.pbtxt): what gate-fusion is for.
void BM_GruByGateTrainStep(benchmark::State& state, std::string variant) {
  auto model = Compile(variant, "gru_by_gate.pbtxt", {.batch = 16});
  loom::Tensor x(loom::DType::kF32, {16, 32, 64}), y(loom::DType::kF32, {16, 32, 8});
  (void)model->TrainStep({x, y});
  for (auto _ : state) benchmark::DoNotOptimize(model->TrainStep({x, y}));
}

void BM_CharRnnTrainStep(benchmark::State& state, std::string variant) {
  auto model = Compile(variant, "char_rnn.pbtxt", {.batch = 1, .vocab = 65});
  loom::Tensor x(loom::DType::kI64, {1, 25}), y(loom::DType::kI64, {1, 25});
  (void)model->TrainStep({x, y});
  for (auto _ : state) benchmark::DoNotOptimize(model->TrainStep({x, y}));
}

// Streaming inference: one LSTM(256, 256) step at batch 1, state kept between calls.
void BM_StreamingLstmStep(benchmark::State& state, std::string variant) {
  loom::nn::Model m("Streaming");
  auto x = m.Input("x", loom::DType::kF32, {-1, 1, 256});
  m.Output(m.LSTM("lstm", x, 256, 256, {.batch_first = true}).output);
  auto model = JitFor(variant).Compile(m, {.batch = 1, .streaming = true}, 1);
  loom::Tensor in(loom::DType::kF32, {1, 1, 256});
  (void)(*model)->Step({in});
  for (auto _ : state) benchmark::DoNotOptimize((*model)->Step({in}));
}

// Inference over a whole sequence at batch 1: an LSTM(256, 256) over 100 steps.
void BM_Lstm100StepsBatch1(benchmark::State& state, std::string variant) {
  loom::nn::Model m("Lstm100");
  auto x = m.Input("x", loom::DType::kF32, {-1, 100, 256});
  m.Output(m.LSTM("lstm", x, 256, 256, {.batch_first = true}).output);
  auto model = JitFor(variant).Compile(m, {.batch = 1}, 1);
  loom::Tensor in(loom::DType::kF32, {1, 100, 256});
  (void)(*model)->Forward({in});
  for (auto _ : state) benchmark::DoNotOptimize((*model)->Forward({in}));
}

// A 2-layer bidirectional GRU (64 -> 128 each way), batch 16, 32 steps, forward.
void BM_BiGruForward(benchmark::State& state, std::string variant) {
  loom::nn::Model m("BiGru");
  auto x = m.Input("x", loom::DType::kF32, {-1, 32, 64});
  m.Output(m.GRU("gru", x, 64, 128, {.num_layers = 2, .bidirectional = true, .batch_first = true}).output);
  auto model = JitFor(variant).Compile(m, {.batch = 16}, 1);
  loom::Tensor in(loom::DType::kF32, {16, 32, 64});
  (void)(*model)->Forward({in});
  for (auto _ : state) benchmark::DoNotOptimize((*model)->Forward({in}));
}

// Two stacked LSTM(64) layers at batch 1 over 100 steps, forward or training step
// (SGD): steps too small to split across threads, which run as a wavefront instead
// (passes/wavefront.cc) — the "-wavefront" variant runs them on one thread.
void BM_StackedLstmBatch1(benchmark::State& state, std::string variant, bool training) {
  loom::nn::Model m("Stacked");
  auto x = m.Input("x", loom::DType::kF32, {-1, 100, 64});
  auto y = m.Input("y", loom::DType::kF32, {-1, 100, 64});
  auto lstm = m.LSTM("lstm", x, 64, 64, {.num_layers = 2, .batch_first = true}).output;
  m.Output(lstm);
  m.MSELoss(lstm, y);
  (void)m.SetTraining("optimizer { lr: 0.01 sgd {} }");
  auto model = JitFor(variant).Compile(m, {.batch = 1}, 1);
  loom::Tensor in(loom::DType::kF32, {1, 100, 64}), target(loom::DType::kF32, {1, 100, 64});
  if (training) {
    (void)(*model)->TrainStep({in, target});
    for (auto _ : state) benchmark::DoNotOptimize((*model)->TrainStep({in, target}));
  } else {
    (void)(*model)->Forward({in});
    for (auto _ : state) benchmark::DoNotOptimize((*model)->Forward({in}));
  }
}

// Per-call overhead at batch 1: an LSTM(8, 16) over one step, so that the call costs
// more than the model (bench/python_overhead.py makes the same call from Python).
void BM_TinyLstmForward(benchmark::State& state) {
  loom::nn::Model m("Tiny");
  auto x = m.Input("x", loom::DType::kF32, {-1, 1, 8});
  m.Output(m.LSTM("lstm", x, 8, 16, {.batch_first = true}).output);
  auto model = JitFor("full").Compile(m, {.batch = 1}, 1);
  std::vector<loom::Tensor> in = {loom::Tensor(loom::DType::kF32, {1, 1, 8})};
  (void)(*model)->Forward(in);
  for (auto _ : state) benchmark::DoNotOptimize((*model)->Forward(in));
}

BENCHMARK(BM_TinyLstmForward)->Unit(benchmark::kMicrosecond);

// Serving: state.threads() callers, each with its own Session of one compiled
// SentimentLSTM (batch 1, one thread per call); items_per_second is the total forwards.
void BM_ServingSentimentForward(benchmark::State& state) {
  static loom::CompiledModel* model = [] {
    auto m = loom::nn::Model::Load(LOOM_SOURCE_DIR "/examples/sentiment_lstm.pbtxt");
    return JitFor("full").Compile(*m, {.batch = 1}, 1)->release();
  }();
  auto session = model->NewSession();
  loom::Tensor x(loom::DType::kI64, {1, 50});
  (void)(*session)->Forward({x});
  for (auto _ : state) benchmark::DoNotOptimize((*session)->Forward({x}));
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_ServingSentimentForward)->ThreadRange(1, 8)->UseRealTime()->Unit(benchmark::kMicrosecond);

// Compile time (emission and LLVM, no cache) of an LSTM's forward for a sequence length:
// the scan is a loop, so the time should not depend on it.
void BM_CompileLstmForward(benchmark::State& state) {
  int64_t T = state.range(0);
  loom::nn::Model m("Lstm");
  auto x = m.Input("x", loom::DType::kF32, {-1, T, 64});
  m.Output(m.Linear("fc", m.LSTM("lstm", x, 64, 128, {.batch_first = true}).output, 128, 4));
  auto module = loom::frontends::LowerModel(m.file(), {.batch = 8});
  auto engine = loom::codegen::JitEngine::Create();
  for (auto _ : state) {
    benchmark::DoNotOptimize(loom::pipeline::CompileFunction(**engine, **module, "forward"));
  }
}

BENCHMARK(BM_CompileLstmForward)->Arg(50)->Arg(5000)->Unit(benchmark::kMillisecond)->Iterations(3);

// Compile time of the SentimentLSTM's training step (batch 32): the largest function
// the seed models have.
void BM_CompileSentimentTrainStep(benchmark::State& state) {
  auto file = loom::frontends::LoadModelFile(LOOM_SOURCE_DIR "/examples/sentiment_lstm.pbtxt");
  auto module = loom::pipeline::PrepareModel(*file, {.batch = 32});
  auto engine = loom::codegen::JitEngine::Create();
  for (auto _ : state) {
    benchmark::DoNotOptimize(loom::pipeline::CompileFunction(**engine, **module, "train_step"));
  }
}

BENCHMARK(BM_CompileSentimentTrainStep)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

int main(int argc, char** argv) {
  for (const char* v : kVariants) {
    std::string variant = v;
    benchmark::RegisterBenchmark(("SentimentForward/" + variant).c_str(), BM_SentimentForward, variant)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("SentimentTrainStep/" + variant).c_str(), BM_SentimentTrainStep, variant)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("GruByGateTrainStep/" + variant).c_str(), BM_GruByGateTrainStep, variant)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("CharRnnTrainStep/" + variant).c_str(), BM_CharRnnTrainStep, variant)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("StreamingLstmStep/" + variant).c_str(), BM_StreamingLstmStep, variant)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("Lstm100StepsBatch1/" + variant).c_str(), BM_Lstm100StepsBatch1, variant)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("BiGruForward/" + variant).c_str(), BM_BiGruForward, variant)
        ->Unit(benchmark::kMillisecond);
  }
  for (std::string variant : {"full", "-wavefront"}) {
    benchmark::RegisterBenchmark(("StackedLstmBatch1/" + variant).c_str(), BM_StackedLstmBatch1, variant, false)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("StackedLstmBatch1TrainStep/" + variant).c_str(), BM_StackedLstmBatch1, variant, true)
        ->Unit(benchmark::kMicrosecond);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
