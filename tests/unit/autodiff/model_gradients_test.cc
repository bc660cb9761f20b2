// Models are built in f32 as users write them and promoted to f64 for the check.
// Gradients of whole models, through scans (BPTT), lengths and dropout, against central
// finite differences in f64: RNN, LSTM and GRU (2 layers, bidirectional, variable
// lengths), the peephole custom cell and a small SentimentLSTM.
#include <random>

#include "compiler/pipeline/compile.h"
#include "gtest/gtest.h"
#include "loom/nn.h"
#include "tests/unit/testing/f64.h"
#include "tests/unit/testing/gradient_check.h"

namespace loom::testing {
namespace {

Tensor Random(DType dtype, Shape shape, double lo, double hi, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  Tensor t(dtype, shape);
  for (int64_t i = 0; i < t.num_elements(); ++i) t.SetDouble(i, IsFloat(dtype) ? u(rng) : std::floor(u(rng)));
  return t;
}

void ExpectGradientsMatch(nn::Model& m, int64_t batch, std::vector<Tensor> inputs, int per_param) {
  auto module = loom::frontends::LowerModel(m.file(), {.batch = batch});
  ASSERT_TRUE(module.ok()) << module.status();
  {
    absl::Status p = PromoteToF64(**module);
    ASSERT_TRUE(p.ok()) << p;
  }
  auto check = CheckGradients(**module, inputs, /*seed=*/3, per_param);
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_GT(check->checked, 10);
  EXPECT_LT(check->worst, 1e-7) << check->worst_where;
}

void RecurrentCase(const std::string& kind) {
  const int64_t B = 3, T = 4, I = 3, H = 4;
  nn::Model m(kind);
  nn::Var x = m.Input("x", DType::kF32, {-1, T, I});
  nn::Var len = m.Input("len", DType::kI64, {-1});
  nn::Var y = m.Input("y", DType::kF32, {-1, T, 2});
  nn::RecurrentOptions o{.num_layers = 2, .bidirectional = true, .batch_first = true, .lengths = len};
  nn::Recurrent r = kind == "rnn"    ? m.RNN("rnn", x, I, H, o)
                    : kind == "lstm" ? m.LSTM("lstm", x, I, H, o)
                                     : m.GRU("gru", x, I, H, o);
  nn::Var head = m.Linear("head", r.output, 2 * H, 2);
  m.MSELoss(head, y, len);
  ExpectGradientsMatch(m, B,
                       {Random(DType::kF64, {B, T, I}, -1, 1, 1), Tensor::FromVector<int64_t>({B}, {4, 2, 3}),
                        Random(DType::kF64, {B, T, 2}, -1, 1, 2)},
                       /*per_param=*/12);
}

TEST(ModelGradientsTest, Rnn) { RecurrentCase("rnn"); }
TEST(ModelGradientsTest, Lstm) { RecurrentCase("lstm"); }
TEST(ModelGradientsTest, Gru) { RecurrentCase("gru"); }

TEST(ModelGradientsTest, PeepholeCustomCell) {
  auto file = frontends::LoadModelFile(LOOM_SOURCE_DIR "/examples/peephole_lstm.pbtxt");
  ASSERT_TRUE(file.ok()) << file.status();
  auto module = frontends::LowerModel(*file, {.batch = 2});
  ASSERT_TRUE(module.ok()) << module.status();
  {
    absl::Status p = PromoteToF64(**module);
    ASSERT_TRUE(p.ok()) << p;
  }
  auto check = CheckGradients(**module,
                              {Random(DType::kF64, {2, 12, 16}, -1, 1, 4), Tensor::FromVector<int64_t>({2}, {12, 7}),
                               Random(DType::kF64, {2, 12, 4}, -1, 1, 5)},
                              3, /*per_param=*/6);
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_LT(check->worst, 1e-7) << check->worst_where;
}

TEST(ModelGradientsTest, SmallSentimentLstmWithLengthsAndDropout) {
  const int64_t B = 3, T = 5;
  nn::Model m("SmallSentiment");
  nn::Var tokens = m.Input("tokens", DType::kI64, {-1, T});
  nn::Var len = m.Input("len", DType::kI64, {-1});
  nn::Var label = m.Input("label", DType::kF32, {-1, 1});
  nn::Var emb = m.Embedding("embedding", tokens, 20, 5);
  nn::Recurrent lstm =
      m.LSTM("lstm", emb, 5, 6, {.num_layers = 2, .dropout = 0.5, .batch_first = true, .lengths = len});
  nn::Var fc = m.Linear("fc", m.Dropout("dropout", m.Select("last", lstm.h_n, 0, -1), 0.5), 6, 1);
  m.Output(fc);
  m.BCEWithLogitsLoss(fc, label);
  ASSERT_TRUE(m.SetTraining("seed: 9").ok());
  ExpectGradientsMatch(m, B,
                       {Random(DType::kI64, {B, T}, 0, 20, 6), Tensor::FromVector<int64_t>({B}, {5, 1, 3}),
                        Tensor::FromVector<double>({B, 1}, {1, 0, 1})},
                       /*per_param=*/10);
}

}  // namespace
}  // namespace loom::testing
