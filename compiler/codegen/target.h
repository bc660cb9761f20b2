// A TargetMachine for this host or another CPU and architecture, and what Loom does with
// one: stamp modules with its triple, data layout, CPU and features; say what vector
// registers it has (the GEMM tile is sized from them); run LLVM's default pipeline at an
// -O level (through the TargetMachine, so the vectorizers see the real vector width); and
// emit assembly or an object file. The JIT and loomc share it.
#ifndef LOOM_COMPILER_CODEGEN_TARGET_H_
#define LOOM_COMPILER_CODEGEN_TARGET_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "compiler/codegen/gemm_plan.h"

namespace llvm {
class Module;
class TargetMachine;
}  // namespace llvm

namespace loom::codegen {

// The CPU to compile for when none is named: $LOOM_TARGET_CPU if set (as oneDNN's
// ONEDNN_MAX_CPU_ISA, it lets one machine run the code another would: x86-64-v3 is
// AVX2), else "host".
std::string DefaultCpu();

class Target {
 public:
  // triple: "" for this host's, or e.g. "aarch64-linux-gnu", "x86_64-linux-gnu".
  // cpu: "host" (this machine's CPU and features; only for the host's triple) or an
  // LLVM CPU name for the triple ("x86-64-v3", "skylake-avx512", "znver4", "generic",
  // "neoverse-n1", ...). opt_level: 0 to 3.
  static absl::StatusOr<std::unique_ptr<Target>> Create(const std::string& triple, const std::string& cpu,
                                                        int opt_level);
  ~Target();

  void Prepare(llvm::Module& module) const;
  void Optimize(llvm::Module& module) const;
  // The prepared, optimized module as assembly text or object-file bytes.
  absl::StatusOr<std::string> Emit(llvm::Module& module, bool assembly) const;

  const std::string& triple() const { return triple_; }
  const std::string& cpu() const { return cpu_; }
  const std::string& features() const { return features_; }
  bool is_host() const { return is_host_; }
  const VectorRegisters& vector_registers() const { return registers_; }
  llvm::TargetMachine& machine() const { return *machine_; }

 private:
  Target() = default;
  std::unique_ptr<llvm::TargetMachine> machine_;
  std::string triple_, cpu_, features_;
  bool is_host_ = false;
  int opt_level_ = 2;
  VectorRegisters registers_;
};

}  // namespace loom::codegen

#endif  // LOOM_COMPILER_CODEGEN_TARGET_H_
