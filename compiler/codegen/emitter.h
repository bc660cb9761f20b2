// LLVM IR emission for one function of a module: `void symbol(void** buffers)` with
// buffers = the function's inputs, its outputs, every module global (in declaration
// order), then one scratch arena; run on as many threads as the arena's header asks
// (threads.h). Each op becomes a loop nest over contiguous memory;
// scan a loop over time with per-step offsets into the stacked buffers and ping-pong
// carries; fusion one loop; matmul a generated kernel for the target (gemm_emitter.h).
//
// Weights are packed for the kernels once per parameter update: a matmul whose right
// operand is a trainable parameter (directly, or as a scan invariant) reads a packed copy
// kept in the arena between runs, remade at the start of a run whose params_version
// differs from the one it was made from (see ArenaHeader).
#ifndef LOOM_COMPILER_CODEGEN_EMITTER_H_
#define LOOM_COMPILER_CODEGEN_EMITTER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "compiler/codegen/gemm_plan.h"
#include "ir/ir.h"

namespace llvm {
class LLVMContext;
class Module;
}  // namespace llvm

namespace loom::codegen {

// The first bytes of a function's scratch arena. A compiled function cannot return a
// Status, so it reports the first error of a run (an id outside a gather's table, an
// integer division by zero) here: the op's code + 1 (0: no error), the offending value,
// the bound. The caller sets params_version before each run: a number that changes
// whenever the parameters may have (0: unknown, repack); the function repacks its
// weights when it differs from packed_version, and sets packed_version to 0 when the
// run itself stored a packed parameter (a training step's update).
//
// The caller also says how the run is spread over threads (see threads.h): `threads`
// (≤ 1: the calling thread alone) and `launch`, which must call task(arg, i) for every
// i in [0, n) on n threads running at the same time (the tasks wait for each other),
// and return when all have returned; launch_context is its first argument. After the
// header come the barriers, zero before the first run, each two cache lines (a count
// and a generation): all the threads', then the two teams' of concurrent scans; then a
// cache line where the first scan of a wavefront counts its finished steps.
using LaunchFunction = void (*)(void* launch_context, int64_t n, void (*task)(void* arg, int64_t thread), void* arg);
struct ArenaHeader {
  int64_t op_code_plus_1, value, bound;
  int64_t params_version, packed_version;
  int64_t threads;
  LaunchFunction launch;
  void* launch_context;
};
static_assert(sizeof(ArenaHeader) <= 64);
inline constexpr int64_t kBarrierBytes = 128, kAllThreadsBarrier = 64, kTeamBarriers = 192;
inline constexpr int64_t kWavefrontStep = kTeamBarriers + 2 * kBarrierBytes;
// The all_reduce callbacks (support/collectives.h), a cache line after the wavefront's,
// set by a caller that runs the code on one rank of several; a null `start` (one
// process, or zeroed arenas: loomc's) makes all_reduce the identity.
struct ArenaCollectives {
  void (*start)(void* context, int64_t id, void* data, int64_t count, int64_t dtype);
  void (*wait)(void* context, int64_t id);
  void* context;
};
inline constexpr int64_t kCollectivesOffset = kWavefrontStep + 64;
inline constexpr int64_t kArenaHeaderBytes = kCollectivesOffset + 64;

struct BufferLayout {
  std::vector<ir::TensorType> inputs, outputs;
  std::vector<std::string> globals;  // names, in buffer order after the outputs
  std::vector<ir::TensorType> global_types;
  std::vector<std::string> packed_globals;  // parameters kept packed in the arena
  std::vector<std::string> stored_globals;  // those the function writes (the rest it only reads)
  int64_t scratch_bytes = 0;
  // Whether the code can run on several threads; not when the work between two
  // barriers is too little to pay for one (a char-RNN step at batch 1): then it is
  // compiled for one thread, and runs on the caller's whatever the header asks.
  bool threaded = false;
};

struct EmitOptions {
  VectorRegisters registers;     // the target's, from Target::vector_registers()
  std::string triple;            // the target's (Target::triple()): the barrier's pause hint
  bool always_threaded = false;  // threaded even when too small to gain (for tests)
};

// Adds `symbol`, the code of `fn`, to `out`; functions emitted into one module share
// the kernels of their matrix products. `fn` must be verified and have no scan with
// lengths (see passes/explicit_lengths.h).
absl::Status EmitFunction(const ir::Module& module, const ir::Function& fn, const std::string& symbol,
                          const EmitOptions& options, llvm::Module& out, BufferLayout* layout);

}  // namespace loom::codegen

#endif  // LOOM_COMPILER_CODEGEN_EMITTER_H_
