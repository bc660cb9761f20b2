// PyTorch parity: every case of tests/golden (written by tools/golden/make_golden.py
// with python3-torch) runs through Loom's frontend and interpreter on PyTorch's weights
// and inputs, and must agree with PyTorch's outputs and loss to 1e-5 relative.
#include "tests/unit/testing/golden.h"

#include <cmath>
#include <filesystem>

#include "absl/strings/match.h"
#include "frontends/lower.h"
#include "frontends/params.h"
#include "gtest/gtest.h"
#include "ir/interpreter.h"
#include "runtime/npy.h"

namespace loom::frontends {
namespace {

namespace fs = std::filesystem;

using testing::ExpectCloseToNpy;
using testing::GoldenDir;

std::vector<std::string> Cases() { return testing::GoldenCases(/*training=*/false); }

// Parameter k, element i = 0.1*sin(0.731*i + 1.3*k), as the script fills them.
Checkpoint FormulaParams(const ir::Module& module) {
  Checkpoint c;
  int k = 0;
  for (const ir::Global& g : module.globals()) {
    if (!g.trainable) continue;
    Tensor t(DType::kF32, g.type.shape);
    for (int64_t i = 0; i < t.num_elements(); ++i) {
      t.values<float>()[i] = static_cast<float>(0.1 * std::sin(0.731 * i + 1.3 * k));
    }
    c.tensors.emplace_back(g.name, std::move(t));
    ++k;
  }
  return c;
}

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, MatchesPyTorch) {
  std::string dir = GoldenDir() + "/" + GetParam();
  auto file = LoadModelFile(dir + "/model.pbtxt");
  ASSERT_TRUE(file.ok()) << file.status();
  // The batch is the size of the input dimension the model leaves as -1.
  const proto::Input& first = file->model.input(0);
  auto x0 = ReadNpy(dir + "/inputs/" + first.name() + ".npy");
  ASSERT_TRUE(x0.ok()) << x0.status();
  LowerOptions options;
  for (int d = 0; d < first.shape_size(); ++d) {
    if (first.shape(d) == -1) options.batch = x0->shape()[d];
  }
  auto module = LowerModel(*file, options);
  ASSERT_TRUE(module.ok()) << module.status();

  Checkpoint params;
  if (fs::exists(dir + "/weights.txt")) {
    params = FormulaParams(**module);
  } else {
    auto imported = ImportNpyDir(**module, dir + "/params");
    ASSERT_TRUE(imported.ok()) << imported.status();
    params = std::move(*imported);
  }
  ir::Interpreter interp(**module);
  for (auto& [name, t] : params.tensors) ASSERT_TRUE(interp.SetGlobal(name, t).ok()) << name;

  for (const char* fn : {"forward", "loss"}) {
    const ir::Function* f = (*module)->FindFunction(fn);
    if (f == nullptr) continue;
    bool is_loss = std::string(fn) == "loss";
    if (is_loss && !fs::exists(dir + "/expected/loss.npy")) continue;
    std::vector<Tensor> inputs;
    for (const ir::Value* arg : f->body().arguments()) {
      auto t = ReadNpy(dir + "/inputs/" + arg->name_hint() + ".npy");
      ASSERT_TRUE(t.ok()) << t.status();
      inputs.push_back(std::move(*t));
    }
    auto results = interp.Run(fn, inputs);
    ASSERT_TRUE(results.ok()) << results.status();
    if (is_loss) {
      ExpectCloseToNpy((*results)[0], dir + "/expected/loss.npy", 1e-5, "loss");
      continue;
    }
    ASSERT_EQ(static_cast<int>(results->size()), file->model.output_size());
    for (int i = 0; i < file->model.output_size(); ++i) {
      ExpectCloseToNpy((*results)[i], dir + "/expected/" + file->model.output(i) + ".npy", 1e-5, file->model.output(i));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(PyTorch, GoldenTest, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param; });

TEST(GoldenTest, CoversEverySeedModelAndLayerKind) {
  std::vector<std::string> cases = Cases();
  for (const char* want : {"sentiment_lstm", "char_rnn", "peephole_lstm", "rnn_1layer", "lstm_1layer", "gru_1layer",
                           "lstm_2layer_bidirectional_lengths"}) {
    EXPECT_NE(std::find(cases.begin(), cases.end(), want), cases.end()) << want;
  }
}

}  // namespace
}  // namespace loom::frontends
