// A TargetMachine for this host or a named x86-64 CPU, and what Loom does with one:
// stamp modules with its triple, data layout, CPU and features; run LLVM's default
// pipeline at an -O level (through the TargetMachine, so the vectorizers see the real
// vector width); and emit assembly or an object file. The JIT and loomc share it.
#ifndef LOOM_COMPILER_CODEGEN_TARGET_H_
#define LOOM_COMPILER_CODEGEN_TARGET_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace llvm {
class Module;
class TargetMachine;
}  // namespace llvm

namespace loom::codegen {

class Target {
 public:
  // cpu: "host" (this machine's CPU and features) or an LLVM x86-64 CPU name
  // ("x86-64", "x86-64-v3", "skylake-avx512", "znver4", ...). opt_level: 0 to 3.
  static absl::StatusOr<std::unique_ptr<Target>> Create(const std::string& cpu, int opt_level);
  ~Target();

  void Prepare(llvm::Module& module) const;
  void Optimize(llvm::Module& module) const;
  // The prepared, optimized module as assembly text or object-file bytes.
  absl::StatusOr<std::string> Emit(llvm::Module& module, bool assembly) const;

  const std::string& cpu() const { return cpu_; }
  llvm::TargetMachine& machine() const { return *machine_; }

 private:
  Target() = default;
  std::unique_ptr<llvm::TargetMachine> machine_;
  std::string cpu_, features_;
  int opt_level_ = 2;
};

}  // namespace loom::codegen

#endif  // LOOM_COMPILER_CODEGEN_TARGET_H_
