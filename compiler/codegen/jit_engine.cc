#include "compiler/codegen/jit_engine.h"

#include <cstdlib>
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
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "support/status_macros.h"

namespace loom::codegen {
namespace {

absl::Status ToStatus(llvm::Error error, absl::string_view what) {
  std::string message;
  llvm::handleAllErrors(std::move(error), [&](const llvm::ErrorInfoBase& e) { message = e.message(); });
  return absl::InternalError(absl::StrCat(what, ": ", message));
}

// Code for `cpu` would die of an illegal instruction here if that CPU has an instruction
// set extension this one lacks.
absl::Status CheckHostRuns(llvm::TargetMachine& machine, const std::string& cpu) {
  std::vector<std::string> missing;
  for (const auto& [name, present] : llvm::sys::getHostCPUFeatures()) {
    if (!present && machine.getMCSubtargetInfo()->checkFeatures("+" + name.str())) missing.push_back(name.str());
  }
  if (missing.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("this machine cannot run code for CPU '", cpu, "': it lacks ", absl::StrJoin(missing, ", ")));
}

}  // namespace

JitCode::JitCode(llvm::IntrusiveRefCntPtr<llvm::orc::ResourceTracker> tracker, void* address)
    : tracker_(std::move(tracker)), address_(address) {}

JitCode::~JitCode() {
  // Removal fails only if the session has ended, and then the memory is gone already.
  llvm::consumeError(tracker_->remove());
}

JitEngine::~JitEngine() = default;

absl::StatusOr<std::unique_ptr<JitEngine>> JitEngine::Create(const std::string& cpu, int opt_level) {
  std::unique_ptr<JitEngine> engine(new JitEngine());
  absl::StatusOr<std::unique_ptr<Target>> made = Target::Create("", cpu, opt_level);
  const char* chosen = std::getenv("LOOM_TARGET_CPU");
  bool from_environment = chosen != nullptr && cpu == chosen;
  if (!made.ok() && from_environment) {
    return absl::InvalidArgumentError(absl::StrCat(made.status().message(), " (from LOOM_TARGET_CPU)"));
  }
  if (!made.ok()) return made.status();
  engine->target_ = std::move(*made);
  auto host = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!host) return ToStatus(host.takeError(), "cannot describe this CPU to LLVM");
  llvm::orc::JITTargetMachineBuilder jtmb = std::move(*host);
  if (cpu != "host") {
    absl::Status runs = CheckHostRuns(engine->target_->machine(), cpu);
    if (!runs.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(runs.message(), from_environment ? " (from LOOM_TARGET_CPU)" : ""));
    }
    // Another CPU's code: none of this one's features may leak into it.
    jtmb = llvm::orc::JITTargetMachineBuilder(jtmb.getTargetTriple());
    jtmb.setCPU(engine->target_->cpu());
  }
  // The same code generation as loomc's for this CPU, so JIT and objects agree bit for bit.
  jtmb.setCodeGenOptLevel(engine->target_->machine().getOptLevel());
  auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(jtmb)).create();
  if (!jit) return ToStatus(jit.takeError(), "cannot create the JIT");
  engine->jit_ = std::move(*jit);
  const Target* target = engine->target_.get();
  engine->jit_->getIRTransformLayer().setTransform(
      [target](llvm::orc::ThreadSafeModule tsm,
               llvm::orc::MaterializationResponsibility&) -> llvm::Expected<llvm::orc::ThreadSafeModule> {
        tsm.withModuleDo([&](llvm::Module& m) { target->Optimize(m); });
        return tsm;
      });
  return engine;
}

void JitEngine::Prepare(llvm::Module& module) const { target_->Prepare(module); }

const std::string& JitEngine::cpu() const { return target_->cpu(); }

absl::StatusOr<std::unique_ptr<JitCode>> JitEngine::Add(std::unique_ptr<llvm::Module> module,
                                                        std::unique_ptr<llvm::LLVMContext> context,
                                                        const std::string& symbol) {
  Prepare(*module);
  std::string errors;
  llvm::raw_string_ostream os(errors);
  if (llvm::verifyModule(*module, &os)) {
    return absl::InternalError(absl::StrCat("generated LLVM IR is invalid: ", os.str()));
  }
  llvm::orc::ResourceTrackerSP tracker = jit_->getMainJITDylib().createResourceTracker();
  if (llvm::Error e = jit_->addIRModule(tracker, llvm::orc::ThreadSafeModule(std::move(module), std::move(context)))) {
    return ToStatus(std::move(e), "cannot add the module to the JIT");
  }
  auto address = jit_->lookup(symbol);
  if (!address) {
    absl::Status status = ToStatus(address.takeError(), absl::StrCat("cannot compile ", symbol));
    llvm::consumeError(tracker->remove());
    return status;
  }
  return std::make_unique<JitCode>(std::move(tracker), address->toPtr<void*>());
}

}  // namespace loom::codegen
