// The one recipe from a model to code, for the JIT, loomc, loom-opt, the benchmarks and
// the fuzzers:
//
//   PrepareModel      lower the model file (frontends) → the pipeline's pre-autodiff
//                     passes → @train_step, when the model has a loss and an optimizer
//   OptimizeFunction  one function, alone in a copy of the module → its sequence
//                     lengths made explicit → the pipeline's passes
//   CompileExecutable OptimizeFunction → codegen::EmitFunction → the JIT
//
// loomc emits OptimizeFunction's result into an object file instead of the JIT.
#ifndef LOOM_COMPILER_PIPELINE_COMPILE_H_
#define LOOM_COMPILER_PIPELINE_COMPILE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "compiler/codegen/compiled_function.h"
#include "compiler/codegen/jit_engine.h"
#include "compiler/passes/pass_manager.h"
#include "compiler/pipeline/pipelines.h"
#include "frontends/lower.h"
#include "ir/ir.h"

namespace loom::pipeline {

absl::StatusOr<std::unique_ptr<ir::Module>> PrepareModel(const frontends::ModelFile& file,
                                                         const frontends::LowerOptions& options,
                                                         const Pipeline& pipeline = DefaultPipeline());

// The passes each function goes through, as one PassManager runs them (loom-opt's
// --pipeline=NAME adds these to its own).
absl::Status AddFunctionPasses(passes::PassManager& pm, const Pipeline& pipeline);
// A pipeline as loom-opt's --pipeline takes it: a name ("default", "default,-gate-fusion")
// adds what each function goes through (AddFunctionPasses); a list of passes, just those.
absl::Status AddPipeline(passes::PassManager& pm, absl::string_view spec);

struct OptimizedFunction {
  std::unique_ptr<ir::Module> module;  // holds `function` alone
  ir::Function* function = nullptr;
  std::string timing;  // the passes' timing report, when asked for
};
absl::StatusOr<OptimizedFunction> OptimizeFunction(const ir::Module& module, absl::string_view function,
                                                   const Pipeline& pipeline = DefaultPipeline(),
                                                   passes::PassManagerOptions options = {.verify_each = false});

// @function of `module` (which need not outlive the result) as native code;
// always_threaded: threaded code however little work it has (codegen::EmitOptions).
absl::StatusOr<std::shared_ptr<const codegen::Executable>> CompileExecutable(
    codegen::JitEngine& jit, const ir::Module& module, absl::string_view function,
    const Pipeline& pipeline = DefaultPipeline(), bool always_threaded = false);
// The same, with its own scratch arena, ready to run.
absl::StatusOr<std::unique_ptr<codegen::CompiledFunction>> CompileFunction(
    codegen::JitEngine& jit, const ir::Module& module, absl::string_view function,
    const Pipeline& pipeline = DefaultPipeline());

}  // namespace loom::pipeline

#endif  // LOOM_COMPILER_PIPELINE_COMPILE_H_
