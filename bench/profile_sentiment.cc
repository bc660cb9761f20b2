// Runs a SentimentLSTM function loomc compiled (header sentiment.h, class STEP_CLASS) on
// random parameters and tokens, for perf to sample: see profile_sentiment.sh.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "sentiment.h"

// The training step has labels; the forward has none.
template <class Step>
void SetLabels(Step& step) {
  if constexpr (requires { step.input_label(); }) {
    for (int i = 0; i < 32; ++i) step.input_label()[i] = static_cast<float>(i % 2);
  }
}

int main(int argc, char** argv) {
  int steps = argc > 1 ? std::atoi(argv[1]) : 60;
  int threads = argc > 2 ? std::atoi(argv[2]) : 1;
  STEP_CLASS step;
  if (threads > 1) step.SetThreads(threads, LoomSpawnThreads);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> weight(-0.0625f, 0.0625f);
  struct {
    float* data;
    int size;
  } params[] = {{step.embedding_weight(), 10000 * 100}, {step.lstm_weight_ih_l0(), 1024 * 100},
                {step.lstm_weight_hh_l0(), 1024 * 256}, {step.lstm_weight_ih_l1(), 1024 * 256},
                {step.lstm_weight_hh_l1(), 1024 * 256}, {step.fc_weight(), 256}};
  for (auto [data, size] : params)
    for (int i = 0; i < size; ++i) data[i] = weight(rng);
  for (int i = 0; i < 32 * 50; ++i) step.input_tokens()[i] = static_cast<int64_t>(rng() % 10000);
  SetLabels(step);
  auto start = std::chrono::steady_clock::now();
  for (int s = 0; s < steps; ++s) {
    if (!step.Run()) return 1;
  }
  std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - start;
  std::printf("%d runs, %.1f ms each, first output %g\n", steps, elapsed.count() / steps, step.output_0()[0]);
}
