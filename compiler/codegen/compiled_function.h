// A function of a module compiled to native code by the JIT (compiler/pipeline makes
// them), with the buffers it runs on. Not thread-safe: one call at a time (it owns one
// scratch arena); several may share one Executable and run at once (Run with shared
// globals). A run uses the runtime's thread pool (runtime/thread_pool.h).
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
#include "support/collectives.h"

namespace loom::codegen {

// Native code for one function and its buffer layout; immutable, so shareable.
struct Executable {
  std::unique_ptr<JitCode> code;
  void (*entry)(void**) = nullptr;  // in `code`
  BufferLayout layout;
};

class CompiledFunction {
 public:
  using Globals = std::map<std::string, Tensor, std::less<>>;

  // Allocates the scratch arena, or refuses (ResourceExhausted, with its size) when the
  // machine does not have that much memory available; `name` says whose arena it is.
  static absl::StatusOr<std::unique_ptr<CompiledFunction>> Create(std::shared_ptr<const Executable> executable,
                                                                  absl::string_view name);

  // Runs on `inputs`, reading and updating `globals` (every module global, by name).
  // params_version: a number that changes whenever the parameters in `globals` may have
  // changed since the last run (the function's weights packed for its products are kept
  // until it does); 0, the default, repacks them every run.
  absl::StatusOr<std::vector<Tensor>> Run(const std::vector<Tensor>& inputs, Globals& globals,
                                          int64_t params_version = 0);
  // The same with the globals in two maps: `own` (looked in first; it must hold every
  // global the function stores) and `shared`, which the run only reads — so that many
  // instances may run at once on one set of parameters, each with its own state.
  absl::StatusOr<std::vector<Tensor>> Run(const std::vector<Tensor>& inputs, const Globals& shared, Globals& own,
                                          int64_t params_version);
  const std::shared_ptr<const Executable>& executable() const { return executable_; }
  const BufferLayout& layout() const { return executable_->layout; }
  // Threads a run uses, at most the pool's size; 0 (the default): the pool's. One when
  // the code was compiled for one (BufferLayout::threaded). Results do not depend on it.
  void set_threads(int threads) { threads_ = threads; }
  // The ranks the function's all_reduce ops sum over (not owned; unset: the identity).
  // A run fails with the collectives' error (a rank lost, a timeout).
  void set_collectives(Collectives* collectives) { collectives_ = collectives; }

 private:
  explicit CompiledFunction(std::shared_ptr<const Executable> executable);
  ArenaHeader& Header();
  std::shared_ptr<const Executable> executable_;
  Tensor scratch_;  // this instance's arena
  int threads_ = 0;
  Collectives* collectives_ = nullptr;
};

}  // namespace loom::codegen

#endif  // LOOM_COMPILER_CODEGEN_COMPILED_FUNCTION_H_
