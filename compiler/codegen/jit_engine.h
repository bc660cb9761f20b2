// The JIT: ORC LLJIT for this CPU (its name and features), with LLVM's default pipeline
// run through the host's Target (target.h). LLVM errors come back as absl::Status.
//
// The default level is O2: on the SentimentLSTM train step O3 took 16 s to compile
// against O2's 3.4 s, for the same 0.13 s per step (the time goes to the runtime GEMM).
#ifndef LOOM_COMPILER_CODEGEN_JIT_ENGINE_H_
#define LOOM_COMPILER_CODEGEN_JIT_ENGINE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "compiler/codegen/target.h"
#include "llvm/ADT/IntrusiveRefCntPtr.h"

namespace llvm {
class LLVMContext;
class Module;
class TargetMachine;
namespace orc {
class LLJIT;
class ResourceTracker;
}
}  // namespace llvm

namespace loom::codegen {

// One added module's machine code. Destroying it gives the code's memory back to the
// JIT, so a process that compiles without end (a fuzzer, a server) does not grow; the
// JitEngine must outlive it.
class JitCode {
 public:
  JitCode(llvm::IntrusiveRefCntPtr<llvm::orc::ResourceTracker> tracker, void* address);
  ~JitCode();
  JitCode(const JitCode&) = delete;
  JitCode& operator=(const JitCode&) = delete;
  void* address() const { return address_; }

 private:
  llvm::IntrusiveRefCntPtr<llvm::orc::ResourceTracker> tracker_;
  void* address_;
};

class JitEngine {
 public:
  // opt_level: 0 to 3, LLVM's -O levels.
  static absl::StatusOr<std::unique_ptr<JitEngine>> Create(int opt_level = 2);
  ~JitEngine();

  // Optimizes and adds `module`; returns its code, at the address of `symbol`.
  absl::StatusOr<std::unique_ptr<JitCode>> Add(std::unique_ptr<llvm::Module> module, std::unique_ptr<llvm::LLVMContext> context,
                            const std::string& symbol);
  // Sets the target triple, data layout and CPU attributes that Add expects.
  void Prepare(llvm::Module& module) const;
  // The optimized module as this CPU's assembly (what Add would run), for --emit=asm.
  absl::StatusOr<std::string> Assembly(std::unique_ptr<llvm::Module> module);
  const std::string& cpu() const;

 private:
  JitEngine() = default;

  std::unique_ptr<Target> target_;
  std::unique_ptr<llvm::orc::LLJIT> jit_;
};

}  // namespace loom::codegen

#endif  // LOOM_COMPILER_CODEGEN_JIT_ENGINE_H_
