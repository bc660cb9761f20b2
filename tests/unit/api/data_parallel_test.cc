// Data-parallel training through loom::Jit (CompileOptions::world), with in-process
// ranks (testing/thread_ranks.h) in place of MPI's: two ranks of batch B, each training
// on its rows of a whole batch, give the losses and parameters of one model trained on
// the whole batch of 2B — with dropout (each row's mask as in the whole batch) and with a
// loss whose mean counts the valid positions of every rank (lengths). The reference
// interpreter, running each rank's @train_step with the same collectives, is the oracle
// for the compiled code. tests/mpi/ does the same over Open MPI, as processes.
#include <algorithm>
#include <cmath>
#include <thread>

#include "api/internal.h"
#include "frontends/model_file.h"
#include "gtest/gtest.h"
#include "ir/interpreter.h"
#include "loom/jit.h"
#include "tests/unit/testing/thread_ranks.h"

namespace loom {
namespace {

constexpr int kRanks = 2, kSteps = 3;

// Dropout between the LSTM's layers (time-major) and after it (batch-major).
constexpr char kClassifier[] = R"(
name: "TinySentiment"
input { name: "tokens" dtype: I64 shape: [-1, 7] }
input { name: "label" dtype: F32 shape: [-1, 1] }
layer { name: "embedding" inputs: "tokens" embedding { num_embeddings: 50 embedding_dim: 6 } }
layer { name: "lstm" inputs: "embedding"
        lstm { input_size: 6 hidden_size: 10 num_layers: 2 dropout: 0.5 batch_first: true } }
layer { name: "last_hidden" inputs: "lstm.h_n" select { dim: 0 index: -1 } }
layer { name: "dropout" inputs: "last_hidden" dropout { p: 0.5 } }
layer { name: "fc" inputs: "dropout" linear { in_features: 10 out_features: 1 } }
output: "fc"
loss { input: "fc" target: "label" bce_with_logits: true }
training { optimizer { lr: 0.5 sgd {} } seed: 5 }
)";

// A mean over the valid positions only: the count is every rank's (an all_reduce in
// the loss), with global-norm clipping after the gradients are summed.
constexpr char kTagger[] = R"(
name: "TinyTagger"
input { name: "x" dtype: F32 shape: [-1, 6, 3] }
input { name: "lengths" dtype: I64 shape: [-1] }
input { name: "y" dtype: F32 shape: [-1, 6, 2] }
layer { name: "gru" inputs: "x" gru { input_size: 3 hidden_size: 5 batch_first: true lengths: "lengths" } }
layer { name: "head" inputs: "gru" linear { in_features: 5 out_features: 2 } }
output: "head"
loss { input: "head" target: "y" mse: true lengths: "lengths" }
training { optimizer { lr: 0.2 sgd { momentum: 0.9 } } clip { by_norm: 0.5 } seed: 2 }
)";

// Dropout on [B, 4]: at batch 4 two axes are as long as the batch.
constexpr char kSquare[] = R"(
name: "Square"
input { name: "x" dtype: F32 shape: [-1, 4] }
input { name: "y" dtype: F32 shape: [-1, 4] }
layer { name: "dropout" inputs: "x" dropout { p: 0.5 } }
output: "dropout"
loss { input: "dropout" target: "y" mse: true }
training { optimizer { lr: 0.1 sgd {} } }
)";

using Batch = std::vector<Tensor>;

// Whole batch k of `rows` rows: deterministic, different per step.
Batch WholeBatch(const nn::Model& model, int64_t rows, int k) {
  Batch batch;
  const auto& m = model.file().model;
  for (int i = 0; i < m.input_size(); ++i) {
    Shape shape;
    for (int64_t d : m.input(i).shape()) shape.push_back(d < 0 ? rows : d);
    bool ints = m.input(i).dtype() == frontends::proto::I64;
    Tensor t(ints ? DType::kI64 : DType::kF32, shape);
    for (int64_t e = 0; e < t.num_elements(); ++e) {
      int64_t h = (e * 7919 + k * 104729 + i * 31) % 997;
      if (m.input(i).name() == "lengths") {
        t.values<int64_t>()[e] = 1 + (e * 5 + k) % 6;  // 1..6, varying per row and step
      } else if (ints) {
        t.values<int64_t>()[e] = h % 50;
      } else if (m.input(i).name() == "label") {
        t.values<float>()[e] = static_cast<float>(h % 2);
      } else {
        t.values<float>()[e] = static_cast<float>(h) / 997.0f - 0.5f;
      }
    }
    batch.push_back(std::move(t));
  }
  return batch;
}

// Rank r's rows of a whole batch (every input is batch-first).
Batch RowsOf(const Batch& whole, int r, int64_t rows) {
  Batch mine;
  for (const Tensor& t : whole) {
    Shape shape = t.shape();
    shape[0] = rows;
    Tensor part(t.dtype(), shape);
    int64_t bytes = part.byte_size();
    std::memcpy(part.raw_data(), static_cast<const char*>(t.raw_data()) + r * bytes, bytes);
    mine.push_back(std::move(part));
  }
  return mine;
}

double RelativeDifference(const Tensor& a, const Tensor& b) {
  double diff = 0, scale = 1e-30;
  for (int64_t i = 0; i < a.num_elements(); ++i) {
    diff = std::max(diff, std::abs(a.GetDouble(i) - b.GetDouble(i)));
    scale = std::max(scale, std::abs(b.GetDouble(i)));
  }
  return diff / scale;
}

struct Trained {
  std::vector<float> losses;
  TensorMap params;
};

class DataParallelTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    auto file = frontends::ParseModelText(GetParam(), "model.pbtxt");
    ASSERT_TRUE(file.ok()) << file.status();
    model_ = std::make_unique<nn::Model>(*file);
    auto jit = Jit::Create({.threads = 1});
    ASSERT_TRUE(jit.ok()) << jit.status();
    jit_ = std::move(*jit);
  }
  std::unique_ptr<nn::Model> model_;
  std::unique_ptr<Jit> jit_;
  static constexpr int64_t kRows = 4;  // per rank
};

TEST_P(DataParallelTest, RanksTrainAsOneProcessOnTheWholeBatch) {
  // One process, the whole batch.
  auto whole = jit_->Compile(*model_, {.batch = kRows * kRanks}, /*seed=*/9);
  ASSERT_TRUE(whole.ok()) << whole.status();
  Trained one;
  for (int k = 0; k < kSteps; ++k) {
    auto loss = (*whole)->TrainStep(WholeBatch(*model_, kRows * kRanks, k));
    ASSERT_TRUE(loss.ok()) << loss.status();
    one.losses.push_back(*loss);
  }
  for (const std::string& name : (*whole)->ParameterNames()) one.params[name] = *(*whole)->Parameter(name);

  // Two ranks, compiled code and the interpreter side by side on each.
  testing::Team team(kRanks), oracle_team(kRanks);
  std::vector<std::unique_ptr<CompiledModel>> ranks;
  for (int r = 0; r < kRanks; ++r) {
    auto m = jit_->Compile(*model_, {.batch = kRows, .world = team.rank(r)}, /*seed=*/9);
    ASSERT_TRUE(m.ok()) << m.status();
    ranks.push_back(std::move(*m));
  }
  std::vector<Trained> got(kRanks), oracle(kRanks);
  std::vector<absl::Status> failed(kRanks);
  std::vector<std::thread> threads;
  for (int r = 0; r < kRanks; ++r) {
    threads.emplace_back([&, r] {
      ir::Interpreter interpreter(*ranks[r]->impl().module, /*seed=*/9);
      interpreter.set_collectives(&oracle_team.rank(r)->collectives());
      for (int k = 0; k < kSteps && failed[r].ok(); ++k) {
        Batch mine = RowsOf(WholeBatch(*model_, kRows * kRanks, k), r, kRows);
        absl::StatusOr<float> loss = ranks[r]->TrainStep(mine);
        absl::StatusOr<std::vector<Tensor>> reference = interpreter.Run("train_step", mine);
        if (!loss.ok() || !reference.ok()) {
          failed[r] = loss.ok() ? reference.status() : loss.status();
          break;
        }
        got[r].losses.push_back(*loss);
        oracle[r].losses.push_back(static_cast<float>((*reference)[0].GetDouble(0)));
      }
      for (const std::string& name : ranks[r]->ParameterNames()) {
        got[r].params[name] = *ranks[r]->Parameter(name);
        oracle[r].params[name] = *interpreter.GetGlobal(name);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int r = 0; r < kRanks; ++r) ASSERT_TRUE(failed[r].ok()) << "rank " << r << ": " << failed[r];

  for (int k = 0; k < kSteps; ++k) {
    // Each rank reports the whole batch's loss.
    EXPECT_NEAR(got[0].losses[k], one.losses[k], 1e-5 * std::abs(one.losses[k])) << "step " << k;
    EXPECT_EQ(got[0].losses[k], got[1].losses[k]);
    EXPECT_NEAR(oracle[0].losses[k], got[0].losses[k], 1e-5 * std::abs(one.losses[k])) << "step " << k;
  }
  for (const auto& [name, want] : one.params) {
    // The ranks make one update, bit for bit; the one process's, to rounding.
    const Tensor& r0 = got[0].params.at(name);
    EXPECT_EQ(0, std::memcmp(r0.raw_data(), got[1].params.at(name).raw_data(), r0.byte_size())) << name;
    EXPECT_LT(RelativeDifference(r0, want), 1e-5) << name;
    EXPECT_LT(RelativeDifference(oracle[0].params.at(name), r0), 1e-5) << name;
    // And training moved it: the comparison is not of initial values.
    EXPECT_GT(RelativeDifference(want, *ir::Interpreter(*ranks[0]->impl().module, 9).GetGlobal(name)), 1e-4) << name;
  }
  // The gradients crossed: every parameter's elements, and the loss, once per step.
  int64_t parameters = 0;
  for (const auto& [name, t] : one.params) parameters += t.num_elements();
  EXPECT_GE(team.elements_summed(), kSteps * (parameters + 1));
}

// Where the batch is cannot be told from a shape with two axes of the batch's length:
// one process draws as ever, a rank of several refuses (its rows would draw wrongly).
TEST(DataParallelErrorsTest, AmbiguousDropoutIsRefusedOnRanks) {
  auto file = frontends::ParseModelText(kSquare, "square.pbtxt");
  ASSERT_TRUE(file.ok()) << file.status();
  auto jit = Jit::Create({.threads = 1});
  ASSERT_TRUE(jit.ok());
  nn::Model model(*file);
  EXPECT_TRUE((*jit)->Compile(model, {.batch = 4}, 1).ok());
  testing::Team team(2);
  auto ranked = (*jit)->Compile(model, {.batch = 4, .world = team.rank(1)}, 1);
  ASSERT_FALSE(ranked.ok());
  EXPECT_NE(ranked.status().message().find("layer 'dropout': cannot tell the batch axis of f32[4,4] (batch 4)"),
            std::string::npos)
      << ranked.status();
  EXPECT_TRUE((*jit)->Compile(model, {.batch = 3, .world = team.rank(1)}, 1).ok());
}

INSTANTIATE_TEST_SUITE_P(Models, DataParallelTest, ::testing::Values(kClassifier, kTagger),
                         [](const auto& info) { return info.index == 0 ? "DropoutClassifier" : "LengthsTagger"; });

}  // namespace
}  // namespace loom
