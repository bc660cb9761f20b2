// PyTorch parity of training: for each optimizer (and both clipping modes), the loss and
// every parameter's gradient on the first batch, and the parameters after three
// optimizer steps, agree with torch.optim to 1e-4 relative. Reference data from
// tools/golden/make_golden.py (tests/golden/train_*).

#include "compiler/autodiff/gradients.h"
#include "compiler/pipeline/compile.h"
#include "compiler/pipeline/training_options.h"
#include "frontends/lower.h"
#include "frontends/params.h"
#include "gtest/gtest.h"
#include "ir/interpreter.h"
#include "runtime/npy.h"
#include "tests/unit/testing/golden.h"

namespace loom::autodiff {
namespace {

using testing::ExpectCloseToNpy;
using testing::GoldenDir;

std::vector<std::string> Cases() { return testing::GoldenCases(/*training=*/true); }

class TrainingParityTest : public ::testing::TestWithParam<std::string> {};

TEST_P(TrainingParityTest, MatchesTorchOptim) {
  std::string dir = GoldenDir() + "/" + GetParam();
  auto file = frontends::LoadModelFile(dir + "/model.pbtxt");
  ASSERT_TRUE(file.ok()) << file.status();
  auto module = frontends::LowerModel(*file, {.batch = 3});
  ASSERT_TRUE(module.ok()) << module.status();
  auto options = loom::pipeline::TrainStepOptionsFor(*file);
  ASSERT_TRUE(options.ok()) << options.status();
  ASSERT_TRUE(AddGradientFunction(**module, {}).ok());
  auto step = AddTrainStep(**module, *options);
  ASSERT_TRUE(step.ok()) << step.status();
  auto params = frontends::ImportNpyDir(**module, dir + "/params");
  ASSERT_TRUE(params.ok()) << params.status();
  ir::Interpreter interp(**module);
  for (auto& [name, t] : params->tensors) ASSERT_TRUE(interp.SetGlobal(name, t).ok());
  std::vector<Tensor> inputs;
  for (const char* in : {"x", "lengths", "y"}) {
    auto t = ReadNpy(dir + "/inputs/" + in + ".npy");
    ASSERT_TRUE(t.ok());
    inputs.push_back(*t);
  }

  auto grads = interp.Run("loss_grad", inputs);
  ASSERT_TRUE(grads.ok()) << grads.status();
  ExpectCloseToNpy((*grads)[0], dir + "/expected/loss.npy", 1e-4, "loss");
  int k = 1;
  for (auto& [name, t] : params->tensors)
    ExpectCloseToNpy((*grads)[k++], dir + "/grads/" + name + ".npy", 1e-4, "d " + name);

  for (int s = 0; s < 3; ++s) {
    auto loss = interp.Run("train_step", inputs);
    ASSERT_TRUE(loss.ok()) << loss.status();
    if (s == 0) ExpectCloseToNpy((*loss)[0], dir + "/expected/loss.npy", 1e-4, "train_step loss");
  }
  for (auto& [name, t] : params->tensors) {
    ExpectCloseToNpy(*interp.GetGlobal(name), dir + "/after3/" + name + ".npy", 1e-4, name + " after 3 steps");
  }
  EXPECT_EQ(interp.GetGlobal("optimizer.step")->values<int64_t>()[0], 3);
}

INSTANTIATE_TEST_SUITE_P(TorchOptim, TrainingParityTest, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param; });

TEST(TrainingParityTest, CoversEveryOptimizerAndClipping) {
  std::vector<std::string> cases = Cases();
  for (const char* want : {"train_sgd_momentum_nesterov", "train_sgd_clip_norm", "train_adagrad_clip_value",
                           "train_rmsprop_momentum", "train_adam"}) {
    EXPECT_NE(std::find(cases.begin(), cases.end(), want), cases.end()) << want;
  }
}

}  // namespace
}  // namespace loom::autodiff
