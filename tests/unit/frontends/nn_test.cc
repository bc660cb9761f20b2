// loom::nn builds the same IR as the equivalent model file, for each seed model.
#include "loom/nn.h"

#include "absl/strings/match.h"
#include "frontends/lower.h"
#include "frontends/model_file.h"
#include "gtest/gtest.h"
#include "ir/printer.h"

namespace loom::nn {
namespace {

std::string FileIr(const std::string& name, const frontends::LowerOptions& options) {
  auto file = frontends::LoadModelFile(LOOM_SOURCE_DIR "/examples/" + name);
  EXPECT_TRUE(file.ok()) << file.status();
  auto module = frontends::LowerModel(*file, options);
  EXPECT_TRUE(module.ok()) << module.status();
  return module.ok() ? ir::Print(**module) : "";
}

std::string CppIr(const Model& m, const frontends::LowerOptions& options) {
  auto module = frontends::LowerModel(m.file(), options);
  EXPECT_TRUE(module.ok()) << module.status();
  return module.ok() ? ir::Print(**module) : "";
}

std::string UniformInit(double a) {
  return "uniform { low: " + std::to_string(-a) + " high: " + std::to_string(a) + " }";
}

TEST(NnTest, SentimentLstmMatchesFile) {
  Model m("SentimentLSTM");
  Var tokens = m.Input("tokens", DType::kI64, {-1, 50});
  Var label = m.Input("label", DType::kF32, {-1, 1});
  Var emb = m.Embedding("embedding", tokens, 10000, 100);
  Recurrent lstm = m.LSTM("lstm", emb, 100, 256, {.num_layers = 2, .dropout = 0.5, .batch_first = true});
  Var last = m.Select("last_hidden", lstm.h_n, 0, -1);
  Var fc = m.Linear("fc", m.Dropout("dropout", last, 0.5), 256, 1);
  m.Output(fc);
  m.BCEWithLogitsLoss(fc, label);
  ASSERT_TRUE(m.SetTraining("seed: 1").ok());
  frontends::LowerOptions options{.batch = 4};
  std::string cpp = CppIr(m, options);
  EXPECT_EQ(cpp, FileIr("sentiment_lstm.pbtxt", options));
  EXPECT_NE(cpp.find("func @loss"), std::string::npos);
  EXPECT_NE(cpp.find("bernoulli"), std::string::npos);  // dropout in training
}

TEST(NnTest, CharRnnMatchesFile) {
  Model m("CharRNN");
  Var chars = m.Input("chars", DType::kI64, {-1, 25});
  Var targets = m.Input("targets", DType::kI64, {-1, 25});
  Var onehot = m.OneHot("onehot", chars, -1);
  Recurrent rnn = m.RNN("rnn", onehot, -1, 100, {.batch_first = true});
  ASSERT_TRUE(m.InitLastLayer("normal { mean: 0 std: 0.01 }", "zeros: true").ok());
  Var fc = m.Linear("fc", rnn.output, 100, -1);
  ASSERT_TRUE(m.InitLastLayer("normal { mean: 0 std: 0.01 }", "zeros: true").ok());
  m.Output(m.Softmax("probs", fc));
  m.CrossEntropyLoss(fc, targets, "sum");
  ASSERT_TRUE(m.SetTraining("seed: 1 carry_state: true").ok());  // truncated BPTT, as min-char-rnn
  frontends::LowerOptions options{.batch = 1, .vocab = 65};
  EXPECT_EQ(CppIr(m, options), FileIr("char_rnn.pbtxt", options));
}

TEST(NnTest, PeepholeCellMatchesFile) {
  auto attrs = [](std::string start, std::string limit) {
    return std::vector<std::pair<std::string, std::string>>{{"start", start}, {"limit", limit}};
  };
  auto bcast = [](std::string shape) {
    return std::vector<std::pair<std::string, std::string>>{{"shape", shape}, {"dims", "[1]"}};
  };
  CellBuilder cell("peephole_lstm", 16);
  cell.State("h", 32, "h_new").State("c", 32, "c_new");
  cell.Param("weight_ih", {128, 16}, UniformInit(0.176)).Param("weight_hh", {128, 32}, UniformInit(0.176));
  cell.Param("bias", {128}, "zeros: true");
  for (const char* p : {"w_ci", "w_cf", "w_co"}) cell.Param(p, {32}, UniformInit(0.1));
  cell.Op("gx", "matmul", {"x", "weight_ih"}, {{"transpose_b", "true"}})
      .Op("gh", "matmul", {"h", "weight_hh"}, {{"transpose_b", "true"}})
      .Op("gxh", "add", {"gx", "gh"})
      .Op("bias_b", "broadcast_in_dim", {"bias"}, bcast("[-1, 128]"))
      .Op("gates", "add", {"gxh", "bias_b"})
      .Op("gi", "slice", {"gates"}, attrs("[0, 0]", "[-1, 32]"))
      .Op("gf", "slice", {"gates"}, attrs("[0, 32]", "[-1, 64]"))
      .Op("gg", "slice", {"gates"}, attrs("[0, 64]", "[-1, 96]"))
      .Op("go", "slice", {"gates"}, attrs("[0, 96]", "[-1, 128]"))
      .Op("ci_b", "broadcast_in_dim", {"w_ci"}, bcast("[-1, 32]"))
      .Op("cf_b", "broadcast_in_dim", {"w_cf"}, bcast("[-1, 32]"))
      .Op("co_b", "broadcast_in_dim", {"w_co"}, bcast("[-1, 32]"))
      .Op("pi", "mul", {"ci_b", "c"})
      .Op("pf", "mul", {"cf_b", "c"})
      .Op("gi2", "add", {"gi", "pi"})
      .Op("gf2", "add", {"gf", "pf"})
      .Op("i", "sigmoid", {"gi2"})
      .Op("f", "sigmoid", {"gf2"})
      .Op("g", "tanh", {"gg"})
      .Op("fc", "mul", {"f", "c"})
      .Op("ig", "mul", {"i", "g"})
      .Op("c_new", "add", {"fc", "ig"})
      .Op("po", "mul", {"co_b", "c_new"})
      .Op("go2", "add", {"go", "po"})
      .Op("o", "sigmoid", {"go2"})
      .Op("tc", "tanh", {"c_new"})
      .Op("h_new", "mul", {"o", "tc"})
      .Output("h_new");
  Model m("PeepholeTagger");
  Var x = m.Input("x", DType::kF32, {-1, 12, 16});
  Var lengths = m.Input("lengths", DType::kI64, {-1});
  Var y = m.Input("y", DType::kF32, {-1, 12, 4});
  Var seq = m.Cell("peephole", x, cell, /*batch_first=*/true, lengths);
  Var head = m.Linear("head", seq, 32, 4);
  m.Output(head);
  m.MSELoss(head, y, lengths);
  ASSERT_TRUE(m.SetTraining("seed: 3").ok());
  frontends::LowerOptions options{.batch = 8};
  EXPECT_EQ(CppIr(m, options), FileIr("peephole_lstm.pbtxt", options));
}

TEST(NnTest, ErrorsNameTheLayer) {
  Model m("Broken");
  Var x = m.Input("x", DType::kF32, {-1, 8});
  m.Output(m.Linear("fc", x, 7, 2));
  auto module = frontends::LowerModel(m.file(), {});
  ASSERT_FALSE(module.ok());
  EXPECT_EQ(module.status().message(),
            "Broken: error: layer 'fc': expects input with last dimension 7 (in_features), got f32[1,8]");
}

}  // namespace
}  // namespace loom::nn

namespace loom::nn {
namespace {

TEST(NnTest, TextSectionsAreCheckedWhereTheyAreGiven) {
  Model m("Bad");
  Var x = m.Input("x", DType::kF32, {-1, 8});
  m.Output(m.Linear("fc", x, 8, 2));
  absl::Status s = m.SetTraining("optimizer { adamw {} }");
  EXPECT_EQ(s.message(),
            "training:1:19: error: unknown field 'adamw' in Optimizer (it has: lr, sgd, adagrad, rmsprop, adam, "
            "weight_decay)");
  EXPECT_EQ(m.status(), s);  // kept for Jit::Compile, in case the caller did not look
  EXPECT_FALSE(m.InitLastLayer("normal { mean: x }").ok());
  CellBuilder cell("c", 4);
  cell.Param("w", {4, 4}, "uniform { low: -1 high: }");
  EXPECT_FALSE(cell.status().ok());
  EXPECT_TRUE(absl::StartsWith(cell.status().message(), "init of w:1:"));
}

}  // namespace
}  // namespace loom::nn
