// Native code equals the interpreter: random modules (every op of the generator,
// scans with lengths and reverse, fusion, globals), the example LSTM, and the PyTorch
// goldens through the JIT.
#include <cmath>
#include <filesystem>
#include <fstream>

#include "compiler/autodiff/train_step.h"
#include "compiler/codegen/compiled_function.h"
#include "compiler/pipeline/compile.h"
#include "compiler/pipeline/training_options.h"
#include "frontends/lower.h"
#include "frontends/params.h"
#include "gtest/gtest.h"
#include "ir/interpreter.h"
#include "ir/printer.h"
#include "loom/nn.h"
#include "runtime/npy.h"
#include "tests/unit/codegen/jit_test_util.h"
#include "tests/unit/testing/golden.h"
#include "tests/unit/testing/ir_test_util.h"
#include "tests/unit/testing/random_module.h"

namespace loom::codegen {
namespace {

TEST(JitTest, RandomModulesMatchTheInterpreter) {
  for (int seed = 0; seed < 120; ++seed) {
    auto m = testing::RandomModule(seed);
    ASSERT_TRUE(m.ok()) << m.status();
    std::vector<Tensor> inputs = testing::RandomInputs(*(*m)->FindFunction("main"), seed);
    ir::Interpreter interp(**m, /*seed=*/5);
    CompiledFunction::Globals globals = interp.globals();
    auto want = interp.Run("main", inputs);
    ASSERT_TRUE(want.ok()) << want.status();
    auto compiled = loom::pipeline::CompileFunction(Jit(), **m, "main");
    ASSERT_TRUE(compiled.ok()) << "seed " << seed << ": " << compiled.status();
    auto got = (*compiled)->Run(inputs, globals);
    ASSERT_TRUE(got.ok()) << got.status();
    std::string context = "seed " + std::to_string(seed) + "\n" + ir::Print(**m);
    for (size_t i = 0; i < want->size(); ++i) ExpectClose((*got)[i], (*want)[i], context);
    for (const auto& [name, value] : interp.globals()) ExpectClose(globals.at(name), value, "@" + name);
  }
}

int64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * 4096;
}

// A process that compiles without end (a server, the compiler fuzzer) must not keep
// every module it ever compiled: dropping an Executable gives its memory back.
TEST(JitTest, DroppedCodeGivesItsMemoryBack) {
#ifdef LOOM_SANITIZED
  GTEST_SKIP() << "AddressSanitizer's quarantine holds freed memory";
#endif
  auto m = testing::RandomModule(3);
  ASSERT_TRUE(m.ok());
  auto growth = [&](bool keep) {
    std::vector<std::shared_ptr<const Executable>> kept;
    int64_t before = ResidentBytes();
    for (int i = 0; i < 100; ++i) {
      auto e = loom::pipeline::CompileExecutable(Jit(), **m, "main");
      EXPECT_TRUE(e.ok());
      if (keep && e.ok()) kept.push_back(*e);
    }
    return ResidentBytes() - before;
  };
  growth(false);  // the allocators' high water
  int64_t dropped = growth(false), kept = growth(true);
  EXPECT_GT(kept, 512 << 10);  // what 100 modules hold (about 9 KB each)
  EXPECT_LT(dropped, kept / 4) << "kept " << kept << " bytes, dropped " << dropped;
}

TEST(JitTest, PyTorchGoldensThroughTheJit) {
  for (const std::string& name : testing::GoldenCases(/*training=*/false)) {
    std::string dir = testing::GoldenDir() + "/" + name;
    auto file = frontends::LoadModelFile(dir + "/model.pbtxt");
    ASSERT_TRUE(file.ok());
    auto x0 = ReadNpy(dir + "/inputs/" + file->model.input(0).name() + ".npy");
    ASSERT_TRUE(x0.ok());
    frontends::LowerOptions options;
    for (int d = 0; d < file->model.input(0).shape_size(); ++d) {
      if (file->model.input(0).shape(d) == -1) options.batch = x0->shape()[d];
    }
    auto module = frontends::LowerModel(*file, options);
    ASSERT_TRUE(module.ok()) << module.status();
    ir::Interpreter interp(**module);
    CompiledFunction::Globals globals = interp.globals();
    if (std::filesystem::exists(dir + "/params")) {
      auto params = frontends::ImportNpyDir(**module, dir + "/params");
      ASSERT_TRUE(params.ok()) << params.status();
      for (auto& [key, t] : params->tensors) globals[key] = t;
    } else {
      // Parameter k, element i = 0.1·sin(0.731·i + 1.3·k), as the script fills them.
      int k = 0;
      for (const ir::Global& g : (*module)->globals()) {
        if (!g.trainable) continue;
        Tensor t(DType::kF32, g.type.shape);
        for (int64_t i = 0; i < t.num_elements(); ++i)
          t.values<float>()[i] = static_cast<float>(0.1 * std::sin(0.731 * i + 1.3 * k));
        globals[g.name] = std::move(t);
        ++k;
      }
    }
    auto compiled = loom::pipeline::CompileFunction(Jit(), **module, "forward");
    ASSERT_TRUE(compiled.ok()) << name << ": " << compiled.status();
    std::vector<Tensor> inputs;
    for (const ir::Value* arg : (*module)->FindFunction("forward")->body().arguments()) {
      inputs.push_back(*ReadNpy(dir + "/inputs/" + arg->name_hint() + ".npy"));
    }
    auto got = (*compiled)->Run(inputs, globals);
    ASSERT_TRUE(got.ok()) << got.status();
    for (int i = 0; i < file->model.output_size(); ++i) {
      testing::ExpectCloseToNpy((*got)[i], dir + "/expected/" + file->model.output(i) + ".npy", 1e-5,
                                name + " " + file->model.output(i));
    }
  }
}

TEST(JitTest, WrongInputsAreErrors) {
  auto m =
      testing::ParseAndVerify(testing::MainModule("%x: f32[2]", "f32[2]", "    %y = neg %x : f32[2]\n    return %y"));
  ASSERT_TRUE(m.ok());
  auto compiled = loom::pipeline::CompileFunction(Jit(), **m, "main");
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  CompiledFunction::Globals globals;
  EXPECT_EQ((*compiled)->Run({Tensor(DType::kF32, {3})}, globals).status().message(),
            "input 0 must be f32[2], got f32[3]");
  auto y = (*compiled)->Run({Tensor::FromVector<float>({2}, {1, -2})}, globals);
  ASSERT_TRUE(y.ok());
  EXPECT_EQ((*y)[0].values<float>()[1], 2.0f);
  EXPECT_FALSE(loom::pipeline::CompileFunction(Jit(), **m, "nope").ok());
}

// Compiled code reports what the interpreter reports for a bad id or a zero divisor —
// the first one of the run — and a later run without one succeeds.
TEST(JitTest, OutOfRangeIdsAndDivisionByZeroAreErrors) {
  auto m = testing::ParseAndVerify(testing::MainModule(
      "%table: f32[3,2], %ids: i32[4], %a: i32[4], %b: i32[4]", "f32[4,2], i32[4]",
      "    %rows = gather %table, %ids : f32[4,2]\n    %q = div %a, %b : i32[4]\n    return %rows, %q"));
  ASSERT_TRUE(m.ok()) << m.status();
  auto compiled = loom::pipeline::CompileFunction(Jit(), **m, "main");
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  CompiledFunction::Globals globals;
  Tensor table = Tensor::FromVector<float>({3, 2}, {1, 2, 3, 4, 5, 6});
  Tensor a = Tensor::FromVector<int32_t>({4}, {7, 8, 9, 10});
  Tensor ones = Tensor::FromVector<int32_t>({4}, {1, 1, 1, 1});
  auto run = [&](std::vector<int32_t> ids, std::vector<int32_t> b) {
    return (*compiled)->Run({table, Tensor::FromVector<int32_t>({4}, ids), a, Tensor::FromVector<int32_t>({4}, b)},
                            globals);
  };
  EXPECT_EQ(run({0, 2, 3, 7}, {1, 1, 1, 1}).status().message(),
            "'gather' index 3 is out of range for a table of 3 rows");
  EXPECT_EQ(run({0, -1, 1, 2}, {1, 0, 1, 1}).status().message(),
            "'gather' index -1 is out of range for a table of 3 rows");
  EXPECT_EQ(run({0, 1, 1, 2}, {1, 1, 0, 1}).status().message(), "'div' integer division by zero");
  auto fine = run({2, 1, 0, 2}, {1, 2, 3, -1});
  ASSERT_TRUE(fine.ok()) << fine.status();
  EXPECT_EQ((*fine)[0].values<float>()[0], 5.0f);
  EXPECT_EQ((*fine)[1].values<int32_t>()[3], -10);
}

}  // namespace
}  // namespace loom::codegen

namespace loom::codegen {
namespace {

// Both seed models and the custom peephole cell train the same in native code as in the
// interpreter.
TEST(JitTest, ExampleModelsTrainLikeTheInterpreter) {
  for (const auto& [file_name, options] :
       std::vector<std::pair<std::string, frontends::LowerOptions>>{{"char_rnn.pbtxt", {.batch = 2, .vocab = 7}},
                                                                    {"sentiment_lstm.pbtxt", {.batch = 2}},
                                                                    {"peephole_lstm.pbtxt", {.batch = 2}}}) {
    auto file = frontends::LoadModelFile(std::string(LOOM_SOURCE_DIR) + "/examples/" + file_name);
    ASSERT_TRUE(file.ok());
    auto module = frontends::LowerModel(*file, options);
    ASSERT_TRUE(module.ok());
    ASSERT_TRUE(autodiff::AddTrainStep(**module, *loom::pipeline::TrainStepOptionsFor(*file)).ok());
    ir::Interpreter interp(**module, /*seed=*/4);
    CompiledFunction::Globals globals = interp.globals();
    auto compiled = loom::pipeline::CompileFunction(Jit(), **module, "train_step");
    ASSERT_TRUE(compiled.ok()) << compiled.status();
    std::vector<Tensor> batch = testing::RandomInputs(*(*module)->FindFunction("train_step"), 3);
    for (Tensor& t : batch) {
      if (t.dtype() == DType::kI64) {
        for (int64_t& v : t.values<int64_t>()) v = t.rank() == 1 ? 1 + v % 12 : v % 7;  // lengths or token ids
      }
      if (t.dtype() == DType::kF32 && t.rank() == 2 && t.shape()[1] == 1) {
        for (float& v : t.values<float>()) v = v > 0;  // labels
      }
    }
    for (int step = 0; step < 2; ++step) {
      auto want = interp.Run("train_step", batch);
      auto got = (*compiled)->Run(batch, globals);
      ASSERT_TRUE(want.ok() && got.ok()) << want.status() << got.status();
      ExpectClose((*got)[0], (*want)[0], file_name + " loss");
    }
    // Parameters: Adagrad's first step is g/(|g| + eps), which turns the last-bit
    // differences of near-zero gradients (another GEMM summation order) into visible ones;
    // each such element moves by at most lr·(a small fraction), so 2e-3 absolute.
    for (const auto& [key, value] : interp.globals()) {
      const Tensor& got = globals.at(key);
      for (int64_t i = 0; i < value.num_elements(); ++i) {
        ASSERT_NEAR(got.GetDouble(i), value.GetDouble(i), 2e-3) << file_name << " @" << key << "[" << i << "]";
      }
    }
  }
}

// Training through native code: the same losses and parameters as the interpreter, step
// after step, for every optimizer of the PyTorch training goldens.
TEST(JitTest, TrainStepMatchesTheInterpreter) {
  for (const std::string& name : testing::GoldenCases(/*training=*/true)) {
    std::string dir = testing::GoldenDir() + "/" + name;
    auto file = frontends::LoadModelFile(dir + "/model.pbtxt");
    ASSERT_TRUE(file.ok());
    auto module = frontends::LowerModel(*file, {.batch = 3});
    ASSERT_TRUE(module.ok());
    auto options = loom::pipeline::TrainStepOptionsFor(*file);
    ASSERT_TRUE(options.ok());
    ASSERT_TRUE(autodiff::AddTrainStep(**module, *options).ok());
    auto params = frontends::ImportNpyDir(**module, dir + "/params");
    ASSERT_TRUE(params.ok());
    ir::Interpreter interp(**module);
    for (auto& [key, t] : params->tensors) ASSERT_TRUE(interp.SetGlobal(key, t).ok());
    CompiledFunction::Globals globals = interp.globals();
    auto compiled = loom::pipeline::CompileFunction(Jit(), **module, "train_step");
    ASSERT_TRUE(compiled.ok()) << compiled.status();
    std::vector<Tensor> inputs;
    for (const char* in : {"x", "lengths", "y"}) inputs.push_back(*ReadNpy(dir + "/inputs/" + in + ".npy"));
    for (int step = 0; step < 3; ++step) {
      auto want = interp.Run("train_step", inputs);
      auto got = (*compiled)->Run(inputs, globals);
      ASSERT_TRUE(want.ok() && got.ok());
      ExpectClose((*got)[0], (*want)[0], name + " loss");
    }
    for (const auto& [key, value] : interp.globals()) ExpectClose(globals.at(key), value, name + " @" + key);
    // And PyTorch's parameters after three steps.
    for (auto& [key, t] : params->tensors) {
      testing::ExpectCloseToNpy(globals.at(key), dir + "/after3/" + key + ".npy", 1e-4, name + " " + key);
    }
  }
}

}  // namespace
}  // namespace loom::codegen

namespace loom::codegen {
namespace {

// The arena plan must keep a value alive past a scan whose body reads it as an
// invariant, even though the body's own last use of it comes first.
TEST(JitTest, ArenaKeepsInvariantsAliveAcrossScans) {
  auto m =
      testing::ParseAndVerify(testing::MainModule("%x: f32[4], %xs: f32[3,4]", "f32[4]",
                                                  "    %w = exp %x : f32[4]\n"
                                                  "    %c = scan carries(%x) steps(%xs) invariants(%w) {length = 3} {\n"
                                                  "    ^bb(%cp: f32[4], %s: f32[4], %wi: f32[4]):\n"
                                                  "      %m = mul %cp, %wi : f32[4]\n"
                                                  "      %n = add %m, %s : f32[4]\n"
                                                  "      yield %n\n"
                                                  "    } : f32[4]\n"
                                                  "    %q = neg %c : f32[4]\n"
                                                  "    %z = add %w, %q : f32[4]\n"
                                                  "    return %z"));
  ASSERT_TRUE(m.ok()) << m.status();
  std::vector<Tensor> inputs = {Tensor::FromVector<float>({4}, {0.1f, 0.2f, 0.3f, 0.4f}),
                                Tensor::FromVector<float>({3, 4}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})};
  ir::Interpreter interp(**m);
  auto want = interp.Run("main", inputs);
  auto compiled = loom::pipeline::CompileFunction(Jit(), **m, "main");
  ASSERT_TRUE(want.ok() && compiled.ok());
  CompiledFunction::Globals globals;
  auto got = (*compiled)->Run(inputs, globals);
  ASSERT_TRUE(got.ok());
  ExpectClose((*got)[0], (*want)[0], "z");
}

}  // namespace
}  // namespace loom::codegen

namespace loom::codegen {
namespace {

// An LSTM whose gate products are computed panel by panel inside the fused cell loop
// (hidden 64: a multiple of every target's panel width), forward and training step, on
// this CPU and on AVX2: the interpreter's values, to the JIT tests' tolerance.
TEST(JitTest, FusedGateEpiloguesMatchTheInterpreter) {
  nn::Model m("Epilogue");
  auto x = m.Input("x", DType::kF32, {-1, 5, 32});
  auto y = m.Input("y", DType::kF32, {-1, 3});
  auto lstm = m.LSTM("lstm", x, 32, 64, {.num_layers = 2, .batch_first = true});
  auto head = m.Linear("head", m.Select("last", lstm.h_n, 0, -1), 64, 3);
  m.Output(head);
  m.MSELoss(head, y);
  ASSERT_TRUE(m.SetTraining("optimizer { lr: 0.01 adam {} }").ok());
  const frontends::ModelFile& file = m.file();
  auto module = frontends::LowerModel(file, {.batch = 8});
  ASSERT_TRUE(module.ok()) << module.status();
  auto train = loom::pipeline::TrainStepOptionsFor(file);
  ASSERT_TRUE(train.ok()) << train.status();
  ASSERT_TRUE(autodiff::AddTrainStep(**module, *train).ok());
  std::vector<std::string> cpus = {"host"};
  if (JitEngine::Create("x86-64-v3").ok()) cpus.push_back("x86-64-v3");
  for (const std::string& cpu : cpus) {
    auto engine = JitEngine::Create(cpu);
    ASSERT_TRUE(engine.ok());
    for (const char* fn : {"forward", "train_step"}) {
      ir::Interpreter interp(**module, /*seed=*/2);
      CompiledFunction::Globals globals = interp.globals();
      std::vector<Tensor> inputs = testing::RandomInputs(*(*module)->FindFunction(fn), 4);
      auto want = interp.Run(fn, inputs);
      auto compiled = loom::pipeline::CompileFunction(**engine, **module, fn);
      ASSERT_TRUE(want.ok() && compiled.ok()) << compiled.status();
      auto got = (*compiled)->Run(inputs, globals);
      ASSERT_TRUE(got.ok()) << got.status();
      for (size_t i = 0; i < want->size(); ++i) ExpectClose((*got)[i], (*want)[i], cpu + " @" + fn);
      for (const auto& [name, value] : interp.globals()) ExpectClose(globals.at(name), value, cpu + " @" + name);
    }
  }
}

}  // namespace
}  // namespace loom::codegen
