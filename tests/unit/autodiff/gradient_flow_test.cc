// The seed's vanishing-gradient lesson: on the same data, ‖∂L/∂h_t‖ of a vanilla RNN
// decays over 50 steps far faster than an LSTM's. The loss reads only the last step.
// The LSTM's forget-gate bias starts at 1 (Jozefowicz et al. 2015, the usual practice);
// with PyTorch's plain init both decay alike (the test prints that curve too).
#include <cmath>
#include <cstdio>
#include <random>

#include "compiler/autodiff/gradients.h"
#include "compiler/pipeline/compile.h"
#include "gtest/gtest.h"
#include "ir/interpreter.h"
#include "loom/nn.h"

namespace loom::autodiff {
namespace {

constexpr int64_t kB = 4, kT = 50, kI = 8, kH = 32;

// ‖∂L/∂h_t‖ for t = 0..T-1 of a one-layer `kind` network on fixed data.
std::vector<double> Flow(const std::string& kind, bool forget_bias_one = false) {
  nn::Model m(kind);
  nn::Var x = m.Input("x", DType::kF32, {-1, kT, kI});
  nn::Var y = m.Input("y", DType::kF32, {-1, 1});
  nn::Recurrent r =
      kind == "rnn" ? m.RNN("rnn", x, kI, kH, {.batch_first = true}) : m.LSTM("lstm", x, kI, kH, {.batch_first = true});
  nn::Var last = m.Select("last", r.output, 1, -1);
  nn::Var head = m.Linear("head", last, kH, 1);
  m.MSELoss(head, y);
  auto module = loom::frontends::LowerModel(m.file(), {.batch = kB});
  EXPECT_TRUE(module.ok()) << module.status();
  auto g = AddGradientFunction(**module, {.gradient_flow = true});
  EXPECT_TRUE(g.ok()) << g.status();
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<float> u(-1, 1);
  Tensor xs(DType::kF32, {kB, kT, kI}), ys(DType::kF32, {kB, 1});
  for (float& v : xs.values<float>()) v = u(rng);
  for (float& v : ys.values<float>()) v = u(rng);
  ir::Interpreter interp(**module, /*seed=*/7);
  if (forget_bias_one) {
    Tensor bias = *interp.GetGlobal("lstm.bias_ih_l0");
    for (int64_t i = kH; i < 2 * kH; ++i) bias.values<float>()[i] = 1.0f;  // gate order i, f, g, o
    EXPECT_TRUE(interp.SetGlobal("lstm.bias_ih_l0", bias).ok());
  }
  auto out = interp.Run("loss_grad", {xs, ys});
  EXPECT_TRUE(out.ok()) << out.status();
  const Tensor& flow = out->back();  // the one scan's per-step norms
  EXPECT_EQ(flow.shape(), (Shape{kT}));
  std::vector<double> norms;
  for (int64_t t = 0; t < kT; ++t) norms.push_back(flow.GetDouble(t));
  return norms;
}

TEST(GradientFlowTest, VanillaRnnVanishesFasterThanLstm) {
  std::vector<double> rnn = Flow("rnn"), plain = Flow("lstm"), lstm = Flow("lstm", true);
  std::printf("  t   |dL/dh_t| RNN   LSTM (forget bias 1)   LSTM (PyTorch init)\n");
  for (int64_t t = kT - 1; t >= 0; t -= 7) {
    std::printf("%4lld  %13.3e  %20.3e  %20.3e\n", (long long)t, rnn[t], lstm[t], plain[t]);
  }
  // Gradient at the first step relative to the last, where the loss reads h.
  double rnn_ratio = rnn[0] / rnn[kT - 1], lstm_ratio = lstm[0] / lstm[kT - 1];
  std::printf("first/last: RNN %.3e, LSTM %.3e\n", rnn_ratio, lstm_ratio);
  for (double v : rnn) ASSERT_TRUE(std::isfinite(v));
  EXPECT_GT(rnn[kT - 1], 0);
  EXPECT_LT(rnn_ratio, 1e-3);              // vanished
  EXPECT_GT(lstm_ratio, 100 * rnn_ratio);  // the LSTM keeps far more of it
  // Both decay monotonically from the end towards the start over the last 10 steps.
  for (int64_t t = kT - 10; t < kT - 1; ++t) EXPECT_LT(rnn[t], rnn[t + 1]) << t;
}

}  // namespace
}  // namespace loom::autodiff
