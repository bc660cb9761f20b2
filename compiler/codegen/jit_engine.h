// The JIT: ORC LLJIT for this CPU (its name and features) or another x86-64 CPU this one
// can run the code of (x86-64-v3: AVX2), with LLVM's default pipeline run through that
// Target (target.h). LLVM errors come back as absl::Status.
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
}  // namespace orc
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
  // cpu: "host" or an LLVM CPU name this machine can run the code of; opt_level: 0 to
  // 3, LLVM's -O levels.
  static absl::StatusOr<std::unique_ptr<JitEngine>> Create(const std::string& cpu = DefaultCpu(), int opt_level = 2);
  ~JitEngine();

  // Optimizes and adds `module`; returns its code, at the address of `symbol`.
  absl::StatusOr<std::unique_ptr<JitCode>> Add(std::unique_ptr<llvm::Module> module,
                                               std::unique_ptr<llvm::LLVMContext> context, const std::string& symbol);
  // Sets the target triple, data layout and CPU attributes that Add expects.
  void Prepare(llvm::Module& module) const;
  const std::string& cpu() const;
  const Target& target() const { return *target_; }

 private:
  JitEngine() = default;

  std::unique_ptr<Target> target_;
  std::unique_ptr<llvm::orc::LLJIT> jit_;
};

}  // namespace loom::codegen

#endif  // LOOM_COMPILER_CODEGEN_JIT_ENGINE_H_
