// A function of a module compiled to native code by the JIT, with the buffers it runs
// on. Not thread-safe: one call at a time (it owns one scratch arena).
#ifndef LOOM_COMPILER_CODEGEN_COMPILED_FUNCTION_H_
#define LOOM_COMPILER_CODEGEN_COMPILED_FUNCTION_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "compiler/codegen/emitter.h"
#include "compiler/codegen/jit_engine.h"
#include "ir/ir.h"

namespace loom::codegen {

class CompiledFunction {
 public:
  using Globals = std::map<std::string, Tensor, std::less<>>;

  // Compiles @function of `module` (which need not outlive the result).
  static absl::StatusOr<std::unique_ptr<CompiledFunction>> Compile(JitEngine& jit, const ir::Module& module,
                                                                   const std::string& function);

  // Runs on `inputs`, reading and updating `globals` (every module global, by name).
  absl::StatusOr<std::vector<Tensor>> Run(const std::vector<Tensor>& inputs, Globals& globals);
  const BufferLayout& layout() const { return layout_; }

 private:
  using Entry = void (*)(void**);
  Entry entry_ = nullptr;
  BufferLayout layout_;
  std::unique_ptr<Tensor> scratch_;
};

}  // namespace loom::codegen

#endif  // LOOM_COMPILER_CODEGEN_COMPILED_FUNCTION_H_
