// The SentimentLSTM built in C++ with loom::nn, compiled to native code with loom::Jit,
// trained for 150 steps on generated data, then asked for predictions on data it has
// not seen. It uses only the public API (one header, Loom::loom).
//
// The data: each review is 50 token ids of a 10,000-word vocabulary. Most are neutral
// words drawn from the whole vocabulary; about one in four is a sentiment word of the
// review's label (ids 1-50 positive, 51-100 negative). A model that has learned which
// words carry sentiment classifies nearly all reviews; chance is 50%.
#include <cmath>
#include <cstdio>
#include <random>
#include <string>

#include "loom/loom.h"

namespace {

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
  return 1;
}

void Reviews(std::mt19937_64& rng, loom::Tensor& tokens, loom::Tensor& labels) {
  int64_t batch = labels.num_elements();
  for (int64_t b = 0; b < batch; ++b) {
    bool positive = rng() % 2;
    labels.values<float>()[b] = positive;
    for (int64_t t = 0; t < 50; ++t) {
      bool sentiment = rng() % 4 == 0;
      int64_t word = sentiment ? 1 + static_cast<int64_t>(rng() % 50) + (positive ? 0 : 50)
                               : 101 + static_cast<int64_t>(rng() % 9899);
      tokens.values<int64_t>()[b * 50 + t] = word;
    }
  }
}

}  // namespace

int main() {
  loom::nn::Model m("SentimentLSTM");
  auto tokens = m.Input("tokens", loom::DType::kI64, {-1, 50});
  auto label = m.Input("label", loom::DType::kF32, {-1, 1});
  auto lstm = m.LSTM("lstm", m.Embedding("embedding", tokens, 10000, 100), 100, 256,
                     {.num_layers = 2, .dropout = 0.5, .batch_first = true});
  auto fc = m.Linear("fc", m.Dropout("dropout", m.Select("last_hidden", lstm.h_n, 0, -1), 0.5), 256, 1);
  m.Output(fc);
  m.BCEWithLogitsLoss(fc, label);
  if (absl::Status s = m.SetTraining("optimizer { lr: 0.001 adam {} }"); !s.ok()) return Fail(s);

  auto jit = loom::Jit::Create();
  if (!jit.ok()) return Fail(jit.status());
  auto model = (*jit)->Compile(m, {.batch = 32}, /*seed=*/1);
  if (!model.ok()) return Fail(model.status());
  int64_t count = 0;
  for (const std::string& name : (*model)->ParameterNames()) count += (*model)->Parameter(name)->num_elements();
  std::printf("SentimentLSTM: %lld parameters\n", static_cast<long long>(count));

  std::mt19937_64 rng(7);
  loom::Tensor x(loom::DType::kI64, {32, 50}), y(loom::DType::kF32, {32, 1});
  for (int step = 1; step <= 150; ++step) {
    Reviews(rng, x, y);
    auto loss = (*model)->TrainStep({x, y});
    if (!loss.ok()) return Fail(loss.status());
    if (step % 25 == 0 || step == 1) std::printf("step %3d  loss %.4f\n", step, *loss);
  }

  // Eight fresh batches: 256 reviews the model has never seen.
  int correct = 0, total = 0;
  for (int batch = 0; batch < 8; ++batch) {
    Reviews(rng, x, y);
    auto logits = (*model)->Forward({x});
    if (!logits.ok()) return Fail(logits.status());
    for (int64_t b = 0; b < 32; ++b, ++total) {
      float p = 1.0f / (1.0f + std::exp(-(*logits)[0].values<float>()[b]));
      correct += (p > 0.5f) == (y.values<float>()[b] > 0.5f);
      if (batch == 0 && b < 4) {
        std::printf("review %lld: label %.0f, P(positive) = %.3f\n", static_cast<long long>(b), y.values<float>()[b],
                    p);
      }
    }
  }
  double accuracy = 100.0 * correct / total;
  std::printf("accuracy on %d new reviews: %.1f%%\n", total, accuracy);
  if (accuracy < 90) {
    std::printf("FAILED: a trained model classifies at least 90%% of them (chance is 50%%)\n");
    return 1;
  }
  return 0;
}
