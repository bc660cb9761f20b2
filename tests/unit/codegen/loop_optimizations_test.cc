// The loop optimizations on every example model, forward and train_step: each pass
// alone and the default pipeline rewrite the model (where it has the pattern) and leave
// the interpreter's results exactly as they were — the same products and sums in the
// same order — and native code compiled with that pipeline agrees with the interpreter
// on the unoptimized model (ExpectClose: 1e-4 relative).
#include "compiler/autodiff/train_step.h"
#include "compiler/codegen/compiled_function.h"
#include "compiler/passes/pass_manager.h"
#include "compiler/pipeline/compile.h"
#include "compiler/pipeline/registry.h"
#include "compiler/pipeline/training_options.h"
#include "frontends/lower.h"
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

// The model with @train_step, prepared as `pipeline` prepares it (O0 differentiates the
// lowered model as it is; default hoists the input projections first).
std::unique_ptr<ir::Module> Lower(const Case& c, const pipeline::Pipeline& pipeline) {
  auto file = frontends::LoadModelFile(std::string(LOOM_SOURCE_DIR) + "/examples/" + c.file);
  EXPECT_TRUE(file.ok()) << file.status();
  auto module = pipeline::PrepareModel(*file, c.options, pipeline);
  EXPECT_TRUE(module.ok()) << module.status();
  return std::move(*module);
}

const pipeline::Pipeline& Named(const char* name) { return *pipeline::FindNamedPipeline(name); }

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
  std::vector<pipeline::Pipeline> pipelines = {Named("default"), Named("O1"), Named("O0")};
  for (const char* pass : {"hoist-input-projection", "gate-fusion", "elementwise-fusion"}) {
    pipelines.push_back(*pipeline::ParsePipeline(pass));
  }
  for (const Case& c : kCases) {
    std::unique_ptr<ir::Module> model = Lower(c, Named("O0"));
    for (const std::string fn : {"forward", "train_step"}) {
      std::vector<Tensor> inputs = Inputs(*model->FindFunction(fn));
      Outcome want = Interpret(*model, fn, inputs);
      for (const pipeline::Pipeline& p : pipelines) {
        std::string context = c.file + " @" + fn + " after " + p.name;
        std::unique_ptr<ir::Module> optimized = ir::CloneModule(*model);
        passes::PassManager pm;
        ASSERT_TRUE(pipeline::AddPasses(pm, p.passes).ok());
        ASSERT_TRUE(pm.Run(*optimized).ok()) << context;
        bool expect_change = !p.passes.empty() && (p.name != "gate-fusion" || (c.gate_pattern && fn == "forward"));
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

        auto compiled = pipeline::CompileFunction(Jit(), *model, fn, p);
        ASSERT_TRUE(compiled.ok()) << context << ": " << compiled.status();
        CompiledFunction::Globals globals = ir::Interpreter(*model, /*seed=*/4).globals();
        auto native = (*compiled)->Run(inputs, globals);
        ASSERT_TRUE(native.ok()) << context << ": " << native.status();
        for (size_t i = 0; i < want.results.size(); ++i) ExpectClose((*native)[i], want.results[i], context);
      }
    }
  }
}

// The default pipeline hoists the projections before autodiff: the training step that results
// computes the same loss and update. Not to the last bit: a hoisted bias broadcast's
// gradient is summed over the batch after the steps instead of at each one.
TEST(LoopOptimizationsTest, HoistingBeforeAutodiffKeepsTheTrainingStep) {
  for (const Case& c : kCases) {
    std::unique_ptr<ir::Module> plain = Lower(c, Named("O0")), hoisted = Lower(c, Named("default"));
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
