#include "compiler/codegen/target.h"

#include <cstdlib>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "llvm/Analysis/TargetTransformInfo.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

namespace loom::codegen {
namespace {

// The widest vectors the target's TargetTransformInfo offers, and how many: asked of a
// function with the target's CPU and features that prefers the widest vectors (x86 CPUs
// that prefer 256-bit vectors for auto-vectorized code still have 512-bit registers,
// which a GEMM tile wants).
VectorRegisters AskVectorRegisters(llvm::TargetMachine& machine, const std::string& cpu, const std::string& features) {
  llvm::LLVMContext context;
  llvm::Module module("probe", context);
  module.setDataLayout(machine.createDataLayout());
  module.setTargetTriple(machine.getTargetTriple().str());
  auto* f = llvm::Function::Create(llvm::FunctionType::get(llvm::Type::getVoidTy(context), false),
                                   llvm::Function::ExternalLinkage, "probe", module);
  f->addFnAttr("target-cpu", cpu);
  if (!features.empty()) f->addFnAttr("target-features", features);
  f->addFnAttr("prefer-vector-width", "512");
  f->addFnAttr("min-legal-vector-width", "512");
  llvm::TargetTransformInfo tti = machine.getTargetTransformInfo(*f);
  VectorRegisters r;
  r.bits = static_cast<int>(tti.getRegisterBitWidth(llvm::TargetTransformInfo::RGK_FixedWidthVector).getFixedValue());
  r.count = static_cast<int>(tti.getNumberOfRegisters(tti.getRegisterClassForType(/*Vector=*/true)));
  const llvm::Triple& triple = machine.getTargetTriple();
  r.fma = triple.isAArch64() || (triple.isX86() && machine.getMCSubtargetInfo()->checkFeatures("+fma"));
  if (r.bits < 64) r.bits = 64;  // no vector unit: one-lane "vectors" of a scalar register's width
  if (r.count < 8) r.count = 8;
  return r;
}

}  // namespace

std::string DefaultCpu() {
  const char* cpu = std::getenv("LOOM_TARGET_CPU");
  return cpu != nullptr && *cpu ? cpu : "host";
}

Target::~Target() = default;

absl::StatusOr<std::unique_ptr<Target>> Target::Create(const std::string& triple_name, const std::string& cpu,
                                                       int opt_level) {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
  });
  if (opt_level < 0 || opt_level > 3) return absl::InvalidArgumentError("the optimization level is 0 to 3");
  auto target = std::unique_ptr<Target>(new Target());
  target->opt_level_ = opt_level;
  std::string host = llvm::sys::getProcessTriple();
  std::string triple = triple_name.empty() ? host : llvm::Triple::normalize(triple_name);
  target->triple_ = triple;
  target->is_host_ = llvm::Triple(triple).getArch() == llvm::Triple(host).getArch() &&
                     llvm::Triple(triple).getOS() == llvm::Triple(host).getOS();
  std::string error;
  const llvm::Target* t = llvm::TargetRegistry::lookupTarget(triple, error);
  if (t == nullptr) return absl::InvalidArgumentError(absl::StrCat("unknown target '", triple_name, "': ", error));
  if (cpu == "host") {
    if (!target->is_host_) {
      return absl::InvalidArgumentError(
          absl::StrCat("--target-cpu host is this machine's CPU, not one for ", triple, ": name a CPU (or 'generic')"));
    }
    target->cpu_ = llvm::sys::getHostCPUName().str();
    std::vector<std::string> features;
    for (const auto& f : llvm::sys::getHostCPUFeatures()) features.push_back((f.second ? "+" : "-") + f.first().str());
    target->features_ = absl::StrJoin(features, ",");
  } else {
    target->cpu_ = cpu;
  }
  // Probed with the generic CPU: created with an unknown name, LLVM would warn on stderr.
  std::unique_ptr<llvm::MCSubtargetInfo> probe(t->createMCSubtargetInfo(triple, "", ""));
  if (probe == nullptr || !probe->isCPUStringValid(target->cpu_)) {
    return absl::InvalidArgumentError(absl::StrCat("unknown CPU '", cpu, "' for ", triple));
  }
  llvm::CodeGenOptLevel level = opt_level == 0   ? llvm::CodeGenOptLevel::None
                                : opt_level == 1 ? llvm::CodeGenOptLevel::Less
                                : opt_level == 2 ? llvm::CodeGenOptLevel::Default
                                                 : llvm::CodeGenOptLevel::Aggressive;
  llvm::TargetOptions options;
  options.MCOptions.AsmVerbose = true;  // --emit=asm marks loops ("Inner Loop Header: Depth=3")
  target->machine_.reset(
      t->createTargetMachine(triple, target->cpu_, target->features_, options, llvm::Reloc::PIC_, std::nullopt, level));
  if (!target->machine_) return absl::InternalError(absl::StrCat("cannot create a target machine for ", cpu));
  target->registers_ = AskVectorRegisters(*target->machine_, target->cpu_, target->features_);
  return target;
}

void Target::Prepare(llvm::Module& module) const {
  module.setDataLayout(machine_->createDataLayout());
  module.setTargetTriple(machine_->getTargetTriple().str());
  for (llvm::Function& f : module) {
    if (f.isDeclaration()) continue;
    f.addFnAttr("target-cpu", cpu_);
    if (!features_.empty()) f.addFnAttr("target-features", features_);
  }
}

void Target::Optimize(llvm::Module& m) const {
  llvm::OptimizationLevel level = opt_level_ == 3   ? llvm::OptimizationLevel::O3
                                  : opt_level_ == 1 ? llvm::OptimizationLevel::O1
                                  : opt_level_ == 0 ? llvm::OptimizationLevel::O0
                                                    : llvm::OptimizationLevel::O2;
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  // LLVM's loop unroller doubled the code and took 40% of the compile time of the
  // SentimentLSTM's training step (1.15 s against 0.67 s) for little speed: the
  // products' kernels are vector code already and the vectorizer interleaves the fused
  // loops by itself; the smallest workload, the char-RNN's step, went from 0.130 to
  // 0.140 ms, the others moved within the noise.
  llvm::PipelineTuningOptions tuning;
  tuning.LoopUnrolling = false;
  llvm::PassBuilder pb(machine_.get(), tuning);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  (level == llvm::OptimizationLevel::O0 ? pb.buildO0DefaultPipeline(level) : pb.buildPerModuleDefaultPipeline(level))
      .run(m, mam);
}

absl::StatusOr<std::string> Target::Emit(llvm::Module& module, bool assembly) const {
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager pm;
  if (machine_->addPassesToEmitFile(
          pm, os, nullptr, assembly ? llvm::CodeGenFileType::AssemblyFile : llvm::CodeGenFileType::ObjectFile)) {
    return absl::InternalError("this target cannot emit that file type");
  }
  pm.run(module);
  return std::string(buffer.begin(), buffer.end());
}

}  // namespace loom::codegen
