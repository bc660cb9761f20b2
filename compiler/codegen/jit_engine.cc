#include "compiler/codegen/jit_engine.h"

#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "runtime/kernels_abi.h"

namespace loom::codegen {
namespace {

absl::Status ToStatus(llvm::Error error, absl::string_view what) {
  std::string message;
  llvm::handleAllErrors(std::move(error), [&](const llvm::ErrorInfoBase& e) { message = e.message(); });
  return absl::InternalError(absl::StrCat(what, ": ", message));
}

}  // namespace

JitEngine::~JitEngine() = default;

absl::StatusOr<std::unique_ptr<JitEngine>> JitEngine::Create(int opt_level) {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
  auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!jtmb) return ToStatus(jtmb.takeError(), "cannot describe this CPU to LLVM");
  jtmb->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  std::unique_ptr<JitEngine> engine(new JitEngine());
  engine->cpu_ = llvm::sys::getHostCPUName().str();
  std::vector<std::string> features;
  for (const auto& f : llvm::sys::getHostCPUFeatures()) features.push_back((f.second ? "+" : "-") + f.first().str());
  engine->features_ = absl::StrJoin(features, ",");
  auto tm = jtmb->createTargetMachine();
  if (!tm) return ToStatus(tm.takeError(), "cannot create a target machine");
  std::shared_ptr<llvm::TargetMachine> target(std::move(*tm));
  auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(*jtmb).create();
  if (!jit) return ToStatus(jit.takeError(), "cannot create the JIT");
  engine->jit_ = std::move(*jit);
  // The runtime kernels generated code calls, resolved to this process's copies.
  llvm::orc::SymbolMap kernels;
  auto& es = engine->jit_->getExecutionSession();
#define LOOM_DEFINE_KERNEL(name) \
  kernels[es.intern(#name)] = {llvm::orc::ExecutorAddr::fromPtr(&name), llvm::JITSymbolFlags::Exported};
  LOOM_RUNTIME_KERNELS(LOOM_DEFINE_KERNEL)
#undef LOOM_DEFINE_KERNEL
  if (llvm::Error e = engine->jit_->getMainJITDylib().define(llvm::orc::absoluteSymbols(std::move(kernels)))) {
    return ToStatus(std::move(e), "cannot register the runtime kernels");
  }
  // O3 with the real TargetMachine: without it the vectorizers assume no vector registers.
  engine->target_ = target;
  engine->opt_level_ = opt_level;
  JitEngine* self = engine.get();
  engine->jit_->getIRTransformLayer().setTransform(
      [self](llvm::orc::ThreadSafeModule tsm, llvm::orc::MaterializationResponsibility&)
          -> llvm::Expected<llvm::orc::ThreadSafeModule> {
        tsm.withModuleDo([&](llvm::Module& m) { self->Optimize(m); });
        return tsm;
      });
  return engine;
}

// LLVM's default pipeline with the real TargetMachine: without it the vectorizers assume
// no vector registers.
void JitEngine::Optimize(llvm::Module& m) const {
  llvm::OptimizationLevel level = opt_level_ == 3   ? llvm::OptimizationLevel::O3
                                  : opt_level_ == 1 ? llvm::OptimizationLevel::O1
                                  : opt_level_ == 0 ? llvm::OptimizationLevel::O0
                                                    : llvm::OptimizationLevel::O2;
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(target_.get());
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  pb.buildPerModuleDefaultPipeline(level).run(m, mam);
}

absl::StatusOr<std::string> JitEngine::Assembly(std::unique_ptr<llvm::Module> module) {
  Prepare(*module);
  Optimize(*module);
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager pm;
  if (target_->addPassesToEmitFile(pm, os, nullptr, llvm::CodeGenFileType::AssemblyFile)) {
    return absl::InternalError("this target cannot emit assembly");
  }
  pm.run(*module);
  return std::string(buffer.begin(), buffer.end());
}

void JitEngine::Prepare(llvm::Module& module) const {
  module.setDataLayout(jit_->getDataLayout());
  module.setTargetTriple(jit_->getTargetTriple().str());
  for (llvm::Function& f : module) {
    if (f.isDeclaration()) continue;
    f.addFnAttr("target-cpu", cpu_);
    f.addFnAttr("target-features", features_);
  }
}

absl::StatusOr<void*> JitEngine::Add(std::unique_ptr<llvm::Module> module, std::unique_ptr<llvm::LLVMContext> context,
                                     const std::string& symbol) {
  Prepare(*module);
  std::string errors;
  llvm::raw_string_ostream os(errors);
  if (llvm::verifyModule(*module, &os)) {
    return absl::InternalError(absl::StrCat("generated LLVM IR is invalid: ", os.str()));
  }
  if (llvm::Error e = jit_->addIRModule(llvm::orc::ThreadSafeModule(std::move(module), std::move(context)))) {
    return ToStatus(std::move(e), "cannot add the module to the JIT");
  }
  auto address = jit_->lookup(symbol);
  if (!address) return ToStatus(address.takeError(), absl::StrCat("cannot compile ", symbol));
  return address->toPtr<void*>();
}

}  // namespace loom::codegen
