// The loop optimizations on every example model, forward and train_step: each pass
// alone and the default pipeline rewrite the model (where it has the pattern) and leave
// the interpreter's results exactly as they were — the same products and sums in the
// same order — and native code compiled with that pipeline agrees with the interpreter
// on the unoptimized model (ExpectClose: 1e-4 relative).
#include "compiler/autodiff/train_step.h"
#include "compiler/codegen/compiled_function.h"
#include "compiler/passes/pass_manager.h"
#include "frontends/lower.h"
#include "frontends/training.h"
#include "gtest/gtest.h"
#include "ir/interpreter.h"
#include "ir/printer.h"
#include "tests/unit/codegen/jit_test_util.h"
#include "tests/unit/testing/random_module.h"

namespace loom::codegen {
namespace {

struct Case {
  std::string file;
  frontends::LowerOptions options;
  bool gate_pattern;  // has products sharing their left operand
};

const Case kCases[] = {{"char_rnn.pbtxt", {.batch = 2, .vocab = 7}, false},
                       {"sentiment_lstm.pbtxt", {.batch = 2}, false},
                       {"peephole_lstm.pbtxt", {.batch = 2}, false},
                       {"gru_by_gate.pbtxt", {.batch = 3}, true}};

std::unique_ptr<ir::Module> Lower(const Case& c, bool hoist_before_autodiff) {
  auto file = frontends::LoadModelFile(std::string(LOOM_SOURCE_DIR) + "/examples/" + c.file);
  EXPECT_TRUE(file.ok()) << file.status();
  auto module = frontends::LowerModel(*file, c.options);
  EXPECT_TRUE(module.ok()) << module.status();
  if (hoist_before_autodiff) {
    passes::PassManager pm;
    EXPECT_TRUE(pm.AddPipeline("hoist-input-projection,dce").ok());
    EXPECT_TRUE(pm.Run(**module).ok());
  }
  EXPECT_TRUE(autodiff::AddTrainStep(**module, *frontends::TrainStepOptionsFor(*file)).ok());
  return std::move(*module);
}

// Inputs a model accepts: token ids below 7, lengths in [1, 12], 0/1 labels.
std::vector<Tensor> Inputs(const ir::Function& f) {
  std::vector<Tensor> inputs = testing::RandomInputs(f, 3);
  for (Tensor& t : inputs) {
    if (t.dtype() == DType::kI64) {
      for (int64_t& v : t.values<int64_t>()) v = t.rank() == 1 ? 1 + v % 12 : v % 7;
    }
    if (t.dtype() == DType::kF32 && t.rank() == 2 && t.shape()[1] == 1) {
      for (float& v : t.values<float>()) v = v > 0;
    }
  }
  return inputs;
}

struct Outcome {
  std::vector<Tensor> results;
  CompiledFunction::Globals globals;
};

Outcome Interpret(const ir::Module& m, const std::string& fn, const std::vector<Tensor>& inputs) {
  ir::Interpreter interp(m, /*seed=*/4);
  auto results = interp.Run(fn, inputs);
  EXPECT_TRUE(results.ok()) << results.status();
  return {results.ok() ? *results : std::vector<Tensor>{}, interp.globals()};
}

TEST(LoopOptimizationsTest, EachPassKeepsEveryExampleModelsResults) {
  const std::string pipelines[] = {"hoist-input-projection", "gate-fusion", "elementwise-fusion", kDefaultPipeline};
  for (const Case& c : kCases) {
    std::unique_ptr<ir::Module> model = Lower(c, /*hoist_before_autodiff=*/false);
    for (const std::string fn : {"forward", "train_step"}) {
      std::vector<Tensor> inputs = Inputs(*model->FindFunction(fn));
      Outcome want = Interpret(*model, fn, inputs);
      for (const std::string& pipeline : pipelines) {
        std::string context = c.file + " @" + fn + " after " + pipeline;
        std::unique_ptr<ir::Module> optimized = ir::CloneModule(*model);
        passes::PassManager pm;
        ASSERT_TRUE(pm.AddPipeline(pipeline).ok());
        ASSERT_TRUE(pm.Run(*optimized).ok()) << context;
        bool expect_change = pipeline != "gate-fusion" || (c.gate_pattern && fn == "forward");
        if (expect_change) {
          EXPECT_NE(ir::Print(*optimized), ir::Print(*model)) << context << " changed nothing";
        }

        Outcome got = Interpret(*optimized, fn, inputs);
        ASSERT_EQ(got.results.size(), want.results.size()) << context;
        for (size_t i = 0; i < want.results.size(); ++i) {
          EXPECT_TRUE(testing::SameValues(got.results[i], want.results[i])) << context << " result " << i;
        }
        for (const auto& [name, value] : want.globals) {
          EXPECT_TRUE(testing::SameValues(got.globals.at(name), value)) << context << " @" << name;
        }

        auto compiled = CompiledFunction::Compile(Jit(), *model, fn, pipeline);
        ASSERT_TRUE(compiled.ok()) << context << ": " << compiled.status();
        CompiledFunction::Globals globals = ir::Interpreter(*model, /*seed=*/4).globals();
        auto native = (*compiled)->Run(inputs, globals);
        ASSERT_TRUE(native.ok()) << context << ": " << native.status();
        for (size_t i = 0; i < want.results.size(); ++i) ExpectClose((*native)[i], want.results[i], context);
      }
    }
  }
}

// loom::Jit hoists the projections before autodiff: the training step that results
// computes the same loss and update. Not to the last bit: a hoisted bias broadcast's
// gradient is summed over the batch after the steps instead of at each one.
TEST(LoopOptimizationsTest, HoistingBeforeAutodiffKeepsTheTrainingStep) {
  for (const Case& c : kCases) {
    std::unique_ptr<ir::Module> plain = Lower(c, false), hoisted = Lower(c, true);
    EXPECT_NE(ir::Print(*plain), ir::Print(*hoisted)) << c.file;
    std::vector<Tensor> inputs = Inputs(*plain->FindFunction("train_step"));
    Outcome want = Interpret(*plain, "train_step", inputs), got = Interpret(*hoisted, "train_step", inputs);
    ASSERT_EQ(got.results.size(), want.results.size()) << c.file;
    for (size_t i = 0; i < want.results.size(); ++i) ExpectClose(got.results[i], want.results[i], c.file);
    for (const auto& [name, value] : want.globals) ExpectClose(got.globals.at(name), value, c.file + " @" + name);
  }
}

}  // namespace
}  // namespace loom::codegen
