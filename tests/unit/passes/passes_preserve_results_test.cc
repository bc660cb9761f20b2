// Every pass, alone and in pipelines, leaves the interpreter's results unchanged on
// random modules. Passes here are exact rewrites (folding runs
// the same kernels; unrolling runs the same ops in the same order), so results must be
// equal — bit for bit but for the sign of zero — and globals too.
#include <fstream>
#include <sstream>

#include "compiler/passes/pass_manager.h"
#include "compiler/pipeline/compile.h"
#include "compiler/pipeline/registry.h"
#include "gtest/gtest.h"
#include "ir/interpreter.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "tests/unit/testing/random_module.h"

namespace loom::testing {
namespace {

const char* kPipelines[] = {"canonicalize",
                            "cse",
                            "dce",
                            "explicit-lengths",
                            "unroll",
                            "unroll=2",
                            "unroll=3",
                            "hoist-input-projection",
                            "gate-fusion",
                            "elementwise-fusion",
                            "default",
                            "O1",
                            "unroll=2,canonicalize,cse,dce,unroll"};

struct Outcome {
  absl::StatusOr<std::vector<Tensor>> results;
  std::map<std::string, Tensor, std::less<>> globals;
};

Outcome RunOnce(const ir::Module& m, const std::vector<Tensor>& inputs) {
  ir::Interpreter interp(m, /*seed=*/11);
  Outcome o{interp.Run("main", inputs), {}};
  o.globals = interp.globals();
  return o;
}

void ExpectSameOutcome(const Outcome& want, const Outcome& got, const std::string& context) {
  ASSERT_EQ(want.results.ok(), got.results.ok()) << context << "\n" << got.results.status();
  if (!want.results.ok()) return;
  ASSERT_EQ(want.results->size(), got.results->size()) << context;
  for (size_t i = 0; i < want.results->size(); ++i) {
    EXPECT_TRUE(SameValues((*want.results)[i], (*got.results)[i])) << context << " result " << i;
  }
  for (const auto& [name, value] : want.globals) {
    EXPECT_TRUE(SameValues(value, got.globals.at(name))) << context << " global @" << name;
  }
}

TEST(PassesPreserveResultsTest, RandomModules) {
  int changed = 0;
  std::map<std::string, int> changed_by;
  for (int seed = 0; seed < 150; ++seed) {
    auto m = RandomModule(seed);
    ASSERT_TRUE(m.ok()) << m.status();
    std::vector<Tensor> inputs = RandomInputs(*(*m)->FindFunction("main"), seed);
    Outcome want = RunOnce(**m, inputs);
    for (const char* pipeline : kPipelines) {
      std::unique_ptr<ir::Module> copy = ir::CloneModule(**m);
      passes::PassManager pm;
      ASSERT_TRUE(pipeline::AddPipeline(pm, pipeline).ok());
      absl::Status s = pm.Run(*copy);
      std::string context = "seed " + std::to_string(seed) + ", " + pipeline;
      ASSERT_TRUE(s.ok()) << context << ": " << s << "\n" << ir::Print(**m);
      bool rewritten = ir::Print(*copy) != ir::Print(**m);
      changed += rewritten;
      changed_by[pipeline] += rewritten;
      ExpectSameOutcome(want, RunOnce(*copy, inputs), context);
    }
  }
  EXPECT_GT(changed, 300);  // the passes actually rewrote most modules
  // The loop optimizations found their patterns (90 and 142 of 150 when written); the
  // random shapes are too small for gate-fusion's, which loop_optimizations_test covers.
  EXPECT_GT(changed_by["hoist-input-projection"], 50);
  EXPECT_GT(changed_by["elementwise-fusion"], 100);
}

TEST(PassesPreserveResultsTest, UnrollLeavesNoScan) {
  for (int seed = 0; seed < 50; ++seed) {
    auto m = RandomModule(seed);
    ASSERT_TRUE(m.ok());
    passes::PassManager pm;
    ASSERT_TRUE(pipeline::AddPasses(pm, "unroll").ok());
    ASSERT_TRUE(pm.Run(**m).ok());
    ir::Walk(**m, [](ir::Op& op) { EXPECT_NE(op.code(), ir::OpCode::kScan); });
  }
}

TEST(PassesPreserveResultsTest, NamedPipelines) {
  const pipeline::Pipeline& d = pipeline::DefaultPipeline();
  EXPECT_EQ(d.name, "default");
  EXPECT_EQ(pipeline::ParsePipeline("default")->passes, d.passes);
  EXPECT_EQ(pipeline::ParsePipeline("O0")->passes, "");
  EXPECT_EQ(pipeline::ParsePipeline("cse,dce")->passes, "cse,dce");
  EXPECT_EQ(pipeline::ParsePipeline("O2").status().message(),
            "unknown pass 'O2' (a pipeline is one of default, O1, O0, none, or a comma-separated list of passes)");
  pipeline::Pipeline no_hoist = d.Without("hoist-input-projection");
  EXPECT_EQ(no_hoist.before_autodiff, "wavefront,dce");
  EXPECT_EQ(no_hoist.passes,
            "wavefront,gate-fusion,canonicalize,cse,dce,elementwise-fusion,concurrent-scans,early-all-reduce");
  auto spelled = pipeline::ParsePipeline("default,-hoist-input-projection");
  ASSERT_TRUE(spelled.ok()) << spelled.status();
  EXPECT_EQ(spelled->before_autodiff, "wavefront,dce");
  EXPECT_EQ(spelled->passes, no_hoist.passes);
  EXPECT_EQ(pipeline::ParsePipeline("default,-gate-fusio").status().message(), "unknown pass 'gate-fusio'");
  // Every named pipeline's passes exist.
  for (const pipeline::Pipeline& p : pipeline::NamedPipelines()) {
    passes::PassManager pm;
    EXPECT_TRUE(pipeline::AddPasses(pm, p.before_autodiff).ok()) << p.name;
    EXPECT_TRUE(pipeline::AddPasses(pm, p.passes).ok()) << p.name;
  }
}

TEST(PassesPreserveResultsTest, UnknownPassAndBadOptions) {
  passes::PassManager pm;
  EXPECT_EQ(pipeline::AddPasses(pm, "canonicalise").message(), "unknown pass 'canonicalise'");
  EXPECT_EQ(pipeline::AddPasses(pm, "unroll=x").message(), "unroll takes 'full' or a factor >= 1, got 'x'");
}

}  // namespace
}  // namespace loom::testing
