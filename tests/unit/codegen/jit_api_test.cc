// loom::Jit: forward and train_step through native code agree with the interpreter;
// parameters by PyTorch name; checkpoints round-trip; compiled code is cached.
#include <cmath>

#include "api/internal.h"
#include "compiler/autodiff/gradients.h"
#include "frontends/lower.h"
#include "gtest/gtest.h"
#include "ir/interpreter.h"
#include "loom/jit.h"

namespace loom {
namespace {

nn::Model SmallTagger() {
  nn::Model m("Tagger");
  auto x = m.Input("x", DType::kF32, {-1, 6, 3});
  auto y = m.Input("y", DType::kF32, {-1, 6, 2});
  auto gru = m.GRU("gru", x, 3, 5, {.batch_first = true});
  auto head = m.Linear("head", gru.output, 5, 2);
  m.Output(head);
  m.MSELoss(head, y);
  EXPECT_TRUE(m.SetTraining("optimizer { lr: 0.05 sgd { momentum: 0.9 } }").ok());
  return m;
}

Tensor Ramp(Shape shape, float scale) {
  Tensor t(DType::kF32, shape);
  for (int64_t i = 0; i < t.num_elements(); ++i) t.values<float>()[i] = scale * static_cast<float>((i * 37) % 11 - 5);
  return t;
}

// Lengths outside 1..T are refused before running (0 made the loss 0/0 = NaN).
TEST(JitApiTest, LengthsOutsideOneToTAreRefused) {
  nn::Model m("Masked");
  auto x = m.Input("x", DType::kF32, {-1, 6, 3});
  auto y = m.Input("y", DType::kF32, {-1, 6, 2});
  auto lengths = m.Input("lengths", DType::kI64, {-1});
  auto gru = m.GRU("gru", x, 3, 5, {.batch_first = true, .lengths = lengths});
  auto head = m.Linear("head", gru.output, 5, 2);
  m.Output(head);
  m.MSELoss(head, y, lengths);
  EXPECT_TRUE(m.SetTraining("optimizer { lr: 0.05 sgd {} }").ok());
  auto jit = Jit::Create();
  ASSERT_TRUE(jit.ok()) << jit.status();
  auto model = (*jit)->Compile(m, {.batch = 2}, /*seed=*/3);
  ASSERT_TRUE(model.ok()) << model.status();
  Tensor xs = Ramp({2, 6, 3}, 0.1f), ys = Ramp({2, 6, 2}, 0.05f);
  auto zero = (*model)->TrainStep({xs, ys, Tensor::FromVector<int64_t>({2}, {0, 0})});
  EXPECT_EQ(zero.status().message(),
            "input 'lengths': length 0 (element 0) must be 1 to 6, the time steps there are (as PyTorch's "
            "pack_padded_sequence requires)");
  auto long_one = (*model)->Forward({xs, Tensor::FromVector<int64_t>({2}, {3, 7})});
  EXPECT_FALSE(long_one.ok());
  auto fine = (*model)->TrainStep({xs, ys, Tensor::FromVector<int64_t>({2}, {1, 6})});
  ASSERT_TRUE(fine.ok()) << fine.status();
  EXPECT_TRUE(std::isfinite(*fine));
}

TEST(JitApiTest, ForwardAndTrainStepMatchTheInterpreter) {
  auto jit = Jit::Create();
  ASSERT_TRUE(jit.ok()) << jit.status();
  auto model = (*jit)->Compile(SmallTagger(), {.batch = 4}, /*seed=*/3);
  ASSERT_TRUE(model.ok()) << model.status();
  ir::Interpreter interp(*(*model)->impl().module, /*seed=*/3);
  Tensor x = Ramp({4, 6, 3}, 0.1f), y = Ramp({4, 6, 2}, 0.05f);
  for (int step = 0; step < 4; ++step) {
    auto loss = (*model)->TrainStep({x, y});
    auto want = interp.Run("train_step", {x, y});
    ASSERT_TRUE(loss.ok() && want.ok());
    EXPECT_NEAR(*loss, want->at(0).values<float>()[0], 1e-5 * std::abs(*loss) + 1e-7) << step;
  }
  auto out = (*model)->Forward({x});
  auto want = interp.Run("forward", {x});
  ASSERT_TRUE(out.ok() && want.ok());
  for (int64_t i = 0; i < want->at(0).num_elements(); ++i) {
    EXPECT_NEAR((*out)[0].values<float>()[i], want->at(0).values<float>()[i], 1e-5);
  }
}

// ComputeGradients: the interpreter's @loss_grad, no update, and a borrowed input read
// where it lies.
TEST(JitApiTest, GradientsMatchTheInterpreterAndChangeNothing) {
  auto jit = Jit::Create();
  ASSERT_TRUE(jit.ok()) << jit.status();
  nn::Model tagger = SmallTagger();
  auto model = (*jit)->Compile(tagger, {.batch = 4}, /*seed=*/3);
  ASSERT_TRUE(model.ok()) << model.status();
  Tensor x = Ramp({4, 6, 3}, 0.1f), y = Ramp({4, 6, 2}, 0.05f);
  TensorMap before = (*model)->globals();
  auto grads = (*model)->ComputeGradients({Tensor::Borrowed(DType::kF32, {4, 6, 3}, x.raw_data()), y});
  ASSERT_TRUE(grads.ok()) << grads.status();
  for (const auto& [name, t] : before) EXPECT_TRUE(t.BitwiseEqual((*model)->globals().at(name))) << name;

  auto module = frontends::LowerModel(tagger.file(), {.batch = 4});
  ASSERT_TRUE(module.ok());
  auto grad_fn = autodiff::AddGradientFunction(**module, {.gradient_flow = true, .input_grads = true});
  ASSERT_TRUE(grad_fn.ok()) << grad_fn.status();
  ir::Interpreter interp(**module, /*seed=*/3);
  auto want = interp.Run("loss_grad", {x, y});
  ASSERT_TRUE(want.ok()) << want.status();
  EXPECT_NEAR(grads->value, want->at(0).GetDouble(0), 1e-6);
  ASSERT_EQ(grads->parameters.size(), 6u);  // the GRU's four, the head's two
  size_t k = 1;
  for (const auto& [name, g] : grads->parameters) {
    const Tensor& w = want->at(k++);
    ASSERT_EQ(g.shape(), w.shape()) << name;
    for (int64_t i = 0; i < g.num_elements(); ++i) EXPECT_NEAR(g.GetDouble(i), w.GetDouble(i), 1e-5) << name << i;
  }
  ASSERT_EQ(grads->inputs.size(), 2u);  // x's and y's gradients
  for (const Tensor& g : grads->inputs) {
    const Tensor& w = want->at(k++);
    for (int64_t i = 0; i < g.num_elements(); ++i) EXPECT_NEAR(g.GetDouble(i), w.GetDouble(i), 1e-5);
  }
  ASSERT_EQ(grads->flows.size(), 1u);
  EXPECT_EQ(grads->flows[0].first, "gru.l0");
  EXPECT_EQ(grads->flows[0].second.shape(), Shape({6}));

  // With cotangents: the value is Σ forward · cotangent.
  auto out = (*model)->Forward({x});
  ASSERT_TRUE(out.ok());
  Tensor cotangent = Ramp({4, 6, 2}, 0.3f);
  auto vjp = (*model)->ComputeGradients({x}, {cotangent});
  ASSERT_TRUE(vjp.ok()) << vjp.status();
  double dot = 0;
  for (int64_t i = 0; i < cotangent.num_elements(); ++i) dot += (*out)[0].GetDouble(i) * cotangent.GetDouble(i);
  EXPECT_NEAR(vjp->value, dot, 1e-5 * std::max(1.0, std::abs(dot)));
  EXPECT_EQ(vjp->inputs.size(), 1u);
}

TEST(JitApiTest, ParametersAndCheckpoints) {
  auto jit = Jit::Create();
  ASSERT_TRUE(jit.ok());
  auto model = (*jit)->Compile(SmallTagger(), {.batch = 2}, 1);
  ASSERT_TRUE(model.ok());
  std::vector<std::string> names = (*model)->ParameterNames();
  ASSERT_EQ(names.front(), "gru.weight_ih_l0");
  ASSERT_EQ(names.back(), "head.bias");
  EXPECT_EQ((*model)->Parameter("gru.weight_hh_l0")->shape(), (Shape{15, 5}));
  EXPECT_EQ((*model)->SetParameter("head.bias", Tensor(DType::kF32, {3})).message(),
            "parameter head.bias is f32[2], got f32[3]");
  EXPECT_FALSE((*model)->Parameter("head.bias.momentum_buffer").ok());  // state, not a parameter
  ASSERT_TRUE((*model)->SetParameter("head.bias", Tensor::FromVector<float>({2}, {0.5f, -0.5f})).ok());
  Tensor x = Ramp({2, 6, 3}, 0.1f), y = Ramp({2, 6, 2}, 0.05f);
  ASSERT_TRUE((*model)->TrainStep({x, y}).ok());
  std::string path = ::testing::TempDir() + "/jit_api.ckpt";
  ASSERT_TRUE((*model)->SaveCheckpoint(path).ok());
  auto next = (*model)->TrainStep({x, y});

  // A fresh model from the checkpoint takes the same next step: optimizer state came too.
  auto again = (*jit)->Compile(SmallTagger(), {.batch = 2}, 99);
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE((*again)->LoadCheckpoint(path).ok());
  auto replay = (*again)->TrainStep({x, y});
  ASSERT_TRUE(next.ok() && replay.ok());
  EXPECT_EQ(*next, *replay);
  EXPECT_TRUE((*again)->Parameter("head.weight")->BitwiseEqual(*(*model)->Parameter("head.weight")));
}

TEST(JitApiTest, ModelsWithoutALossHaveNoTrainStep) {
  nn::Model m("Plain");
  m.Output(m.Activation("act", m.Input("x", DType::kF32, {-1, 2}), "tanh"));
  auto jit = Jit::Create();
  auto model = (*jit)->Compile(m, {}, 0);
  ASSERT_TRUE(model.ok());
  EXPECT_EQ((*model)->TrainStep({Tensor(DType::kF32, {1, 2})}).status().message(),
            "model 'Plain' has no @train_step (it needs a loss and an optimizer)");
  EXPECT_EQ((*model)->Forward({Tensor(DType::kF32, {1, 3})}).status().message(),
            "input 0 must be f32[1,2], got f32[1,3]");
}

}  // namespace
}  // namespace loom

namespace loom {
namespace {

// Streaming one step at a time gives the same outputs as the whole sequence at once.
TEST(JitApiTest, StreamingStepsMatchTheWholeSequence) {
  const int64_t T = 7;
  nn::Model m("Stream");
  auto x = m.Input("x", DType::kF32, {-1, T, 3});
  auto lstm = m.LSTM("lstm", x, 3, 4, {.num_layers = 2, .batch_first = true});
  m.Output(m.Linear("head", lstm.output, 4, 2));
  auto jit = Jit::Create();
  auto model = (*jit)->Compile(m, {.batch = 2, .streaming = true}, /*seed=*/5);
  ASSERT_TRUE(model.ok()) << model.status();
  Tensor xs = Ramp({2, T, 3}, 0.2f);
  auto whole = (*model)->Forward({xs});
  ASSERT_TRUE(whole.ok()) << whole.status();
  for (int pass = 0; pass < 2; ++pass) {  // twice: ResetState starts the stream again
    (*model)->ResetState();
    for (int64_t t = 0; t < T; ++t) {
      Tensor xt(DType::kF32, {2, 1, 3});
      for (int64_t b = 0; b < 2; ++b) {
        for (int64_t i = 0; i < 3; ++i) xt.values<float>()[b * 3 + i] = xs.values<float>()[(b * T + t) * 3 + i];
      }
      auto y = (*model)->Step({xt});
      ASSERT_TRUE(y.ok()) << y.status();
      ASSERT_EQ((*y)[0].shape(), (Shape{2, 1, 2}));
      for (int64_t b = 0; b < 2; ++b) {
        for (int64_t k = 0; k < 2; ++k) {
          EXPECT_NEAR((*y)[0].values<float>()[b * 2 + k], (*whole)[0].values<float>()[(b * T + t) * 2 + k], 1e-5)
              << "pass " << pass << " t " << t;
        }
      }
    }
  }
  auto plain = (*jit)->Compile(m, {.batch = 2}, 5);
  EXPECT_EQ((*plain)->Step({Tensor(DType::kF32, {2, 1, 3})}).status().message(),
            "model 'Stream' has no @step (compile it with CompileOptions::streaming)");
}

}  // namespace
}  // namespace loom
