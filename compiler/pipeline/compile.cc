#include "compiler/pipeline/compile.h"

#include <atomic>

#include "absl/strings/str_cat.h"
#include "compiler/autodiff/train_step.h"
#include "compiler/codegen/emitter.h"
#include "compiler/pipeline/registry.h"
#include "compiler/pipeline/training_options.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "support/status_macros.h"

namespace loom::pipeline {

absl::StatusOr<std::unique_ptr<ir::Module>> PrepareModel(const frontends::ModelFile& file,
                                                         const frontends::LowerOptions& options,
                                                         const Pipeline& pipeline) {
  ASSIGN_OR_RETURN(std::unique_ptr<ir::Module> module, frontends::LowerModel(file, options));
  if (file.model.has_loss() && file.model.training().has_optimizer()) {
    passes::PassManager before({.verify_each = false});
    RETURN_IF_ERROR(AddPasses(before, pipeline.before_autodiff));
    RETURN_IF_ERROR(before.Run(*module));
    ASSIGN_OR_RETURN(autodiff::TrainStepOptions train, TrainStepOptionsFor(file));
    train.all_reduce = options.ranks > 1;
    RETURN_IF_ERROR(autodiff::AddTrainStep(*module, train).status());
  }
  return module;
}

absl::Status AddFunctionPasses(passes::PassManager& pm, const Pipeline& pipeline) {
  // Code generation knows no lengths: every pipeline, O0 too, starts by making them explicit.
  RETURN_IF_ERROR(AddPasses(pm, "explicit-lengths"));
  return AddPasses(pm, pipeline.passes);
}

absl::Status AddPipeline(passes::PassManager& pm, absl::string_view spec) {
  if (FindNamedPipeline(spec.substr(0, spec.find(','))) == nullptr) return AddPasses(pm, spec);
  ASSIGN_OR_RETURN(Pipeline pipeline, ParsePipeline(spec));
  return AddFunctionPasses(pm, pipeline);
}

absl::StatusOr<OptimizedFunction> OptimizeFunction(const ir::Module& module, absl::string_view function,
                                                   const Pipeline& pipeline, passes::PassManagerOptions options) {
  if (module.FindFunction(function) == nullptr) return absl::NotFoundError(absl::StrCat("no function @", function));
  OptimizedFunction out;
  out.module = ir::CloneModule(module);
  out.module->RemoveFunctionsExcept(function);
  out.function = out.module->FindFunction(function);
  passes::PassManager pm(options);
  RETURN_IF_ERROR(AddFunctionPasses(pm, pipeline));
  RETURN_IF_ERROR(pm.Run(*out.module));
  if (options.timing) out.timing = pm.TimingReport();
  return out;
}

absl::StatusOr<std::shared_ptr<const codegen::Executable>> CompileExecutable(codegen::JitEngine& jit,
                                                                             const ir::Module& module,
                                                                             absl::string_view function,
                                                                             const Pipeline& pipeline,
                                                                             bool always_threaded) {
  ASSIGN_OR_RETURN(OptimizedFunction optimized, OptimizeFunction(module, function, pipeline));
  auto context = std::make_unique<llvm::LLVMContext>();
  auto compiled = std::make_shared<codegen::Executable>();
  // Every compilation gets its own symbol: one JIT holds many modules.
  static std::atomic<int64_t> serial{0};
  std::string symbol = absl::StrCat("loom_", function, "_", serial++);
  codegen::EmitOptions options{.registers = jit.target().vector_registers(),
                               .triple = jit.target().triple(),
                               .always_threaded = always_threaded};
  auto llvm_module = std::make_unique<llvm::Module>(optimized.module->name(), *context);
  RETURN_IF_ERROR(
      codegen::EmitFunction(*optimized.module, *optimized.function, symbol, options, *llvm_module, &compiled->layout));
  ASSIGN_OR_RETURN(compiled->code, jit.Add(std::move(llvm_module), std::move(context), symbol));
  compiled->entry = reinterpret_cast<void (*)(void**)>(compiled->code->address());
  return std::shared_ptr<const codegen::Executable>(std::move(compiled));
}

absl::StatusOr<std::unique_ptr<codegen::CompiledFunction>> CompileFunction(codegen::JitEngine& jit,
                                                                           const ir::Module& module,
                                                                           absl::string_view function,
                                                                           const Pipeline& pipeline) {
  ASSIGN_OR_RETURN(std::shared_ptr<const codegen::Executable> executable,
                   CompileExecutable(jit, module, function, pipeline));
  return codegen::CompiledFunction::Create(std::move(executable), absl::StrCat("@", function));
}

}  // namespace loom::pipeline
