// train_step exists for both seed models and trains in the interpreter: the char-RNN
// (Adagrad, clipping to [-5, 5], truncated BPTT) learns a repeating text, and the full
// SentimentLSTM (Adam, dropout) takes steps that change its weights and counters.
#include <cmath>

#include "compiler/autodiff/train_step.h"
#include "compiler/pipeline/compile.h"
#include "compiler/pipeline/training_options.h"
#include "frontends/lower.h"
#include "gtest/gtest.h"
#include "ir/interpreter.h"

namespace loom::autodiff {
namespace {

std::unique_ptr<ir::Module> TrainableModel(const std::string& file_name, frontends::LowerOptions options) {
  auto file = frontends::LoadModelFile(LOOM_SOURCE_DIR "/examples/" + file_name);
  EXPECT_TRUE(file.ok()) << file.status();
  auto module = frontends::LowerModel(*file, options);
  EXPECT_TRUE(module.ok()) << module.status();
  auto train = loom::pipeline::TrainStepOptionsFor(*file);
  EXPECT_TRUE(train.ok()) << train.status();
  auto step = AddTrainStep(**module, *train);
  EXPECT_TRUE(step.ok()) << step.status();
  return std::move(*module);
}

TEST(SeedModelsTrainTest, CharRnnLearnsARepeatingText) {
  const int64_t V = 5;
  auto module = TrainableModel("char_rnn.pbtxt", {.batch = 1, .vocab = V});
  ir::Interpreter interp(*module, /*seed=*/1);
  // "abcdeabcde..." shifted by one: the next character is always predictable.
  Tensor chars(DType::kI64, {1, 25}), targets(DType::kI64, {1, 25});
  for (int64_t t = 0; t < 25; ++t) {
    chars.values<int64_t>()[t] = t % V;
    targets.values<int64_t>()[t] = (t + 1) % V;
  }
  double first = 0, last = 0;
  // 100 steps: the first 60 or so are chaotic (the summed loss jumps as high as 170), and
  // where a run is at step 60 depends on the rounding of its sums; by step 80 every
  // order tried has converged.
  for (int step = 0; step < 100; ++step) {
    auto loss = interp.Run("train_step", {chars, targets});
    ASSERT_TRUE(loss.ok()) << loss.status();
    double l = (*loss)[0].values<float>()[0];
    ASSERT_TRUE(std::isfinite(l));
    if (step == 0) first = l;
    last = l;
  }
  // Summed over 25 steps: starts near 25·ln 5 ≈ 40, ends far below.
  EXPECT_NEAR(first, 25 * std::log(5.0), 1.0);
  EXPECT_LT(last, first / 10);
  // Truncated BPTT: the final hidden state was carried into module state.
  const Tensor* h = interp.GetGlobal("rnn.h_n");
  double norm = 0;
  for (float v : h->values<float>()) norm += v * v;
  EXPECT_GT(norm, 0);
  // Adagrad accumulated squared (clipped) gradients.
  EXPECT_GT(interp.GetGlobal("fc.weight.sum")->values<float>()[0], 0);
}

TEST(SeedModelsTrainTest, SentimentLstmTakesSteps) {
  auto module = TrainableModel("sentiment_lstm.pbtxt", {.batch = 4});
  ir::Interpreter interp(*module, /*seed=*/2);
  Tensor tokens(DType::kI64, {4, 50}), labels(DType::kF32, {4, 1});
  for (int64_t i = 0; i < tokens.num_elements(); ++i) tokens.values<int64_t>()[i] = (i * 7919) % 10000;
  for (int64_t b = 0; b < 4; ++b) labels.values<float>()[b] = b % 2;
  Tensor before = *interp.GetGlobal("lstm.weight_hh_l1");
  for (int step = 0; step < 2; ++step) {
    auto loss = interp.Run("train_step", {tokens, labels});
    ASSERT_TRUE(loss.ok()) << loss.status();
    EXPECT_TRUE(std::isfinite((*loss)[0].values<float>()[0]));
    EXPECT_NEAR((*loss)[0].values<float>()[0], std::log(2.0), 0.2);  // BCE near chance at init
  }
  EXPECT_FALSE(interp.GetGlobal("lstm.weight_hh_l1")->BitwiseEqual(before));
  EXPECT_EQ(interp.GetGlobal("optimizer.step")->values<int64_t>()[0], 2);
  EXPECT_EQ(interp.GetGlobal("rng.step")->values<int64_t>()[0], 2);  // a fresh dropout mask per step
  EXPECT_NE(interp.GetGlobal("embedding.weight.exp_avg"), nullptr);
}

}  // namespace
}  // namespace loom::autodiff
