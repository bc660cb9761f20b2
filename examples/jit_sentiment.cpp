// The SentimentLSTM built in C++ with loom::nn, compiled to native code with loom::Jit,
// trained for 120 steps on generated data, then asked for predictions.
//
// The data: each sequence is 50 token ids; positive sequences draw most tokens from the
// first half of the vocabulary, negative ones from the second, so the task is learnable
// in a few steps.
#include <cmath>
#include <cstdio>
#include <random>

#include "frontends/jit.h"

int main() {
  loom::nn::Model m("SentimentLSTM");
  auto tokens = m.Input("tokens", loom::DType::kI64, {-1, 50});
  auto label = m.Input("label", loom::DType::kF32, {-1, 1});
  auto lstm = m.LSTM("lstm", m.Embedding("embedding", tokens, 10000, 100), 100, 256,
                     {.num_layers = 2, .dropout = 0.5, .batch_first = true});
  auto fc = m.Linear("fc", m.Dropout("dropout", m.Select("last_hidden", lstm.h_n, 0, -1), 0.5), 256, 1);
  m.Output(fc);
  m.BCEWithLogitsLoss(fc, label);
  m.training().mutable_optimizer()->set_lr(0.005);
  m.training().mutable_optimizer()->mutable_adam();

  auto jit = loom::Jit::Create();
  if (!jit.ok()) return std::fprintf(stderr, "%s\n", std::string(jit.status().message()).c_str()), 1;
  auto model = (*jit)->Compile(m, {.batch = 32}, /*seed=*/1);
  if (!model.ok()) return std::fprintf(stderr, "%s\n", std::string(model.status().message()).c_str()), 1;
  int64_t count = 0;
  for (const std::string& name : (*model)->ParameterNames()) count += (*model)->Parameter(name)->num_elements();
  std::printf("SentimentLSTM: %lld parameters\n", static_cast<long long>(count));

  std::mt19937_64 rng(7);
  auto batch = [&](loom::Tensor& x, loom::Tensor& y) {
    for (int64_t b = 0; b < 32; ++b) {
      bool positive = rng() % 2;
      y.values<float>()[b] = positive;
      for (int64_t t = 0; t < 50; ++t) {
        bool majority = rng() % 10 < 8;
        int64_t half = (positive == majority) ? 0 : 5000;
        x.values<int64_t>()[b * 50 + t] = half + static_cast<int64_t>(rng() % 5000);
      }
    }
  };
  loom::Tensor x(loom::DType::kI64, {32, 50}), y(loom::DType::kF32, {32, 1});
  for (int step = 1; step <= 120; ++step) {
    batch(x, y);
    auto loss = (*model)->TrainStep({x, y});
    if (!loss.ok()) return std::fprintf(stderr, "%s\n", std::string(loss.status().message()).c_str()), 1;
    if (step % 20 == 0 || step == 1) std::printf("step %2d  loss %.4f\n", step, *loss);
  }
  batch(x, y);
  auto logits = (*model)->Forward({x});
  if (!logits.ok()) return std::fprintf(stderr, "%s\n", std::string(logits.status().message()).c_str()), 1;
  int correct = 0;
  for (int64_t b = 0; b < 32; ++b) {
    float p = 1.0f / (1.0f + std::exp(-(*logits)[0].values<float>()[b]));
    correct += (p > 0.5f) == (y.values<float>()[b] > 0.5f);
    if (b < 6) std::printf("example %lld: label %.0f, P(positive) = %.3f\n", static_cast<long long>(b), y.values<float>()[b], p);
  }
  std::printf("accuracy on a fresh batch: %d/32\n", correct);
  return 0;
}
