// Compiled code gives the same bits on any number of threads (each element is computed
// by one thread, in the order one thread would): random modules, every golden model's
// forward and training step, the seed models' training; and one compiled function run
// from many threads at once, each caller with its own arena, gives each the serial
// result (the test command runs this binary under ThreadSanitizer too).
#include <cstring>
#include <thread>

#include "compiler/autodiff/train_step.h"
#include "compiler/codegen/compiled_function.h"
#include "compiler/pipeline/compile.h"
#include "compiler/pipeline/training_options.h"
#include "frontends/lower.h"
#include "gtest/gtest.h"
#include "ir/interpreter.h"
#include "ir/printer.h"
#include "loom/nn.h"
#include "runtime/thread_pool.h"
#include "support/status_macros.h"
#include "tests/unit/codegen/jit_test_util.h"
#include "tests/unit/testing/golden.h"
#include "tests/unit/testing/random_module.h"

namespace loom::codegen {
namespace {

void ExpectSameBits(const Tensor& a, const Tensor& b, const std::string& what) {
  ASSERT_EQ(ir::TypeOf(a), ir::TypeOf(b)) << what;
  EXPECT_EQ(std::memcmp(a.raw_data(), b.raw_data(), a.byte_size()), 0) << what;
}

// `steps` runs of `function` on 1 thread and on `threads`, from the same globals, give
// the same outputs and globals, bit for bit.
void ExpectThreadCountChangesNothing(const ir::Module& module, const std::string& function,
                                     const std::vector<Tensor>& inputs, const CompiledFunction::Globals& start,
                                     int threads, int steps, const std::string& what) {
  auto executable = pipeline::CompileExecutable(Jit(), module, function, *pipeline::FindNamedPipeline("default"),
                                                /*always_threaded=*/true);
  ASSERT_TRUE(executable.ok()) << what << ": " << executable.status();
  std::vector<std::vector<Tensor>> outputs(2);
  std::vector<CompiledFunction::Globals> globals(2, start);
  for (int run = 0; run < 2; ++run) {
    auto f = CompiledFunction::Create(*executable, what);
    ASSERT_TRUE(f.ok());
    (*f)->set_threads(run == 0 ? 1 : threads);
    for (int step = 0; step < steps; ++step) {
      auto got = (*f)->Run(inputs, globals[run]);
      ASSERT_TRUE(got.ok()) << what << ": " << got.status();
      for (Tensor& t : *got) outputs[run].push_back(std::move(t));
    }
  }
  for (size_t i = 0; i < outputs[0].size(); ++i) ExpectSameBits(outputs[1][i], outputs[0][i], what + " output");
  for (const auto& [name, value] : globals[0]) ExpectSameBits(globals[1].at(name), value, what + " @" + name);
}

// An LSTM(input, hidden) over `steps` steps fitted to targets by MSE with SGD, lowered
// at `batch` (forward and train_step).
absl::StatusOr<std::unique_ptr<ir::Module>> LstmRegression(int64_t steps, int64_t input, int64_t hidden,
                                                           int64_t batch) {
  nn::Model m("Lstm");
  auto x = m.Input("x", DType::kF32, {-1, steps, input});
  auto y = m.Input("y", DType::kF32, {-1, steps, hidden});
  auto lstm = m.LSTM("lstm", x, input, hidden, {.batch_first = true}).output;
  m.Output(lstm);
  m.MSELoss(lstm, y);
  RETURN_IF_ERROR(m.SetTraining("optimizer { lr: 0.05 sgd {} }"));
  return pipeline::PrepareModel(m.file(), {.batch = batch});
}

class ThreadsTest : public ::testing::Test {
 protected:
  void SetUp() override { SetNumThreads(3); }
  void TearDown() override { SetNumThreads(1); }
};

TEST_F(ThreadsTest, RandomModulesGiveTheSameBitsOnThreeThreads) {
  for (int seed = 0; seed < 120; ++seed) {
    auto m = testing::RandomModule(seed);
    ASSERT_TRUE(m.ok()) << m.status();
    std::vector<Tensor> inputs = testing::RandomInputs(*(*m)->FindFunction("main"), seed);
    ir::Interpreter interp(**m, /*seed=*/5);
    ExpectThreadCountChangesNothing(**m, "main", inputs, interp.globals(), 3, 2,
                                    "seed " + std::to_string(seed) + "\n" + ir::Print(**m));
  }
}

// Every golden model (LSTM, GRU, RNN; stacked, bidirectional, with lengths): its forward
// and, with its training section, three training steps.
TEST_F(ThreadsTest, GoldenModelsGiveTheSameBitsOnTwoAndThreeThreads) {
  for (bool training : {false, true}) {
    for (const std::string& name : testing::GoldenCases(training)) {
      std::string dir = testing::GoldenDir() + "/" + name;
      auto file = frontends::LoadModelFile(dir + "/model.pbtxt");
      ASSERT_TRUE(file.ok()) << name;
      auto module = frontends::LowerModel(*file, {.batch = 3});
      ASSERT_TRUE(module.ok()) << name;
      std::string function = "forward";
      if (training) {
        ASSERT_TRUE(autodiff::AddTrainStep(**module, *pipeline::TrainStepOptionsFor(*file)).ok());
        function = "train_step";
      }
      const ir::Function& f = *(*module)->FindFunction(function);
      std::vector<Tensor> inputs = testing::RandomInputs(f, 7);
      for (size_t i = 0; i < inputs.size(); ++i) {
        if (inputs[i].dtype() != DType::kI64) continue;
        for (int64_t& v : inputs[i].values<int64_t>()) v = 1 + v % 5;  // lengths or token ids in range
      }
      ir::Interpreter interp(**module, /*seed=*/3);
      for (int threads : {2, 3}) {
        ExpectThreadCountChangesNothing(**module, function, inputs, interp.globals(), threads, 3,
                                        name + " " + function + " on " + std::to_string(threads) + " threads");
      }
    }
  }
}

// A bidirectional GRU's training step: concurrent-scans pairs the directions' scans,
// forward and backward, and the two thread teams give the serial bits.
TEST_F(ThreadsTest, BidirectionalTrainingGivesTheSameBitsWithTeams) {
  nn::Model m("BiGru");
  auto x = m.Input("x", DType::kF32, {-1, 6, 3});
  auto y = m.Input("y", DType::kF32, {-1, 6, 2});
  auto gru = m.GRU("gru", x, 3, 8, {.num_layers = 2, .bidirectional = true, .batch_first = true});
  auto head = m.Linear("head", gru.output, 16, 2);
  m.Output(head);
  m.MSELoss(head, y);
  ASSERT_TRUE(m.SetTraining("optimizer { lr: 0.05 adam {} }").ok());
  auto module = pipeline::PrepareModel(m.file(), {.batch = 4});
  ASSERT_TRUE(module.ok()) << module.status();
  auto optimized = pipeline::OptimizeFunction(**module, "train_step");
  ASSERT_TRUE(optimized.ok()) << optimized.status();
  EXPECT_NE(ir::Print(*optimized->module).find("with_next = true"), std::string::npos);
  std::vector<Tensor> inputs = testing::RandomInputs(*(*module)->FindFunction("train_step"), 11);
  ir::Interpreter interp(**module, /*seed=*/2);
  for (int threads : {2, 3}) {
    ExpectThreadCountChangesNothing(**module, "train_step", inputs, interp.globals(), threads, 3,
                                    "bidirectional GRU training on " + std::to_string(threads) + " threads");
  }
}

// An LSTM(128) at batch 16 over 50 steps: concurrent-scans pairs its training step's two
// large weight-gradient products (each [512, 128] over K = 800), which then run on two
// thread teams, and the results are the serial bits.
TEST_F(ThreadsTest, WeightGradientsRunSideBySide) {
  auto module = LstmRegression(50, 128, 128, 16);
  ASSERT_TRUE(module.ok()) << module.status();
  auto optimized = pipeline::OptimizeFunction(**module, "train_step");
  ASSERT_TRUE(optimized.ok()) << optimized.status();
  std::string ir = ir::Print(*optimized->module);
  EXPECT_NE(ir.find("transpose_a = true, with_next = true"), std::string::npos) << ir;
  std::vector<Tensor> inputs = testing::RandomInputs(*(*module)->FindFunction("train_step"), 5);
  ir::Interpreter interp(**module, /*seed=*/4);
  for (int threads : {2, 3}) {
    ExpectThreadCountChangesNothing(**module, "train_step", inputs, interp.globals(), threads, 3,
                                    "LSTM(128) training on " + std::to_string(threads) + " threads");
  }
}

// An LSTM(200) at batch 1: its [1, 200] cell loops have no rows to share, so the
// threads share their columns, split at multiples of 64 (the last share a remainder of
// 8, in scalar code past the vectors), forward and in the training step; the results
// are the serial bits.
TEST_F(ThreadsTest, BatchOneCellsAreSharedByColumns) {
  auto module = LstmRegression(6, 16, 200, 1);
  ASSERT_TRUE(module.ok()) << module.status();
  ir::Interpreter interp(**module, /*seed=*/6);
  for (std::string function : {"forward", "train_step"}) {
    std::vector<Tensor> inputs = testing::RandomInputs(*(*module)->FindFunction(function), 13);
    for (int threads : {2, 3}) {
      ExpectThreadCountChangesNothing(
          **module, function, inputs, interp.globals(), threads, 3,
          "LSTM(200) " + function + " at batch 1 on " + std::to_string(threads) + " threads");
    }
  }
}

// Three stacked LSTM layers with small steps (batch 1): the wavefront pass pairs the
// first two, forward and in the training step's reverse scans; the third runs alone on
// thread 0. Thread 1 runs the second layer one step behind the first, and the results
// are the serial bits (which are the interpreter's, within float tolerance).
TEST_F(ThreadsTest, StackedLayersRunAsAWavefront) {
  nn::Model m("Stacked");
  auto x = m.Input("x", DType::kF32, {-1, 40, 3});
  auto y = m.Input("y", DType::kF32, {-1, 40, 2});
  auto lstm = m.LSTM("lstm", x, 3, 8, {.num_layers = 3, .batch_first = true});
  auto head = m.Linear("head", lstm.output, 8, 2);
  m.Output(head);
  m.MSELoss(head, y);
  ASSERT_TRUE(m.SetTraining("optimizer { lr: 0.05 adam {} }").ok());
  auto module = pipeline::PrepareModel(m.file(), {.batch = 1});
  ASSERT_TRUE(module.ok()) << module.status();
  ir::Interpreter interp(**module, /*seed=*/2);
  for (std::string function : {"forward", "train_step"}) {
    auto optimized = pipeline::OptimizeFunction(**module, function);
    ASSERT_TRUE(optimized.ok()) << optimized.status();
    std::string ir = ir::Print(*optimized->module);
    EXPECT_NE(ir.find("wavefront = true, with_next = true"), std::string::npos) << ir;
    std::vector<Tensor> inputs = testing::RandomInputs(*(*module)->FindFunction(function), 11);
    for (int threads : {2, 3}) {
      ExpectThreadCountChangesNothing(**module, function, inputs, interp.globals(), threads, 3,
                                      "stacked LSTM " + function + " on " + std::to_string(threads) + " threads");
    }
  }
  std::vector<Tensor> inputs = testing::RandomInputs(*(*module)->FindFunction("forward"), 11);
  CompiledFunction::Globals globals = interp.globals();
  auto want = interp.Run("forward", inputs);
  ASSERT_TRUE(want.ok()) << want.status();
  auto f = pipeline::CompileFunction(Jit(), **module, "forward");
  ASSERT_TRUE(f.ok()) << f.status();
  (*f)->set_threads(2);
  auto got = (*f)->Run(inputs, globals);
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectClose((*got)[0], (*want)[0], "stacked LSTM forward on 2 threads");
}

}  // namespace
}  // namespace loom::codegen
