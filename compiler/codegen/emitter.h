// LLVM IR emission for one function of a module: `void symbol(void** buffers)` with
// buffers = the function's inputs, its outputs, every module global (in declaration
// order), then one scratch arena. Each op becomes a loop nest over contiguous memory;
// scan a loop over time with per-step offsets into the stacked buffers and ping-pong
// carries; fusion one loop; matmul a call to the runtime's packed GEMM.
#ifndef LOOM_COMPILER_CODEGEN_EMITTER_H_
#define LOOM_COMPILER_CODEGEN_EMITTER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/ir.h"

namespace llvm {
class LLVMContext;
class Module;
}  // namespace llvm

namespace loom::codegen {

// A compiled function cannot return a Status, so it reports the first error of a run
// (an id outside a gather's table, an integer division by zero) in the first bytes of
// its scratch arena: the op's code + 1 (0: no error), the offending value, the bound.
struct ErrorRecord {
  int64_t op_code_plus_1, value, bound;
};
inline constexpr int64_t kErrorRecordBytes = 64;

struct BufferLayout {
  std::vector<ir::TensorType> inputs, outputs;
  std::vector<std::string> globals;  // names, in buffer order after the outputs
  std::vector<ir::TensorType> global_types;
  int64_t scratch_bytes = 0;
};

// `fn` must be verified and have no scan with lengths (see passes/explicit_lengths.h).
absl::StatusOr<std::unique_ptr<llvm::Module>> EmitFunction(const ir::Module& module, const ir::Function& fn,
                                                           llvm::LLVMContext& context, const std::string& symbol,
                                                           BufferLayout* layout);

// Whether the emitter handles `code` (the op-table test's codegen column).
bool HasEmitter(ir::OpCode code);

}  // namespace loom::codegen

#endif  // LOOM_COMPILER_CODEGEN_EMITTER_H_
