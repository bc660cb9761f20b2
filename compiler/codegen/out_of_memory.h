// What the tools do when memory runs out: an error message with the size, and exit 1,
// never an abort, a SIGSEGV or "LLVM ERROR: out of memory".
#ifndef LOOM_COMPILER_CODEGEN_OUT_OF_MEMORY_H_
#define LOOM_COMPILER_CODEGEN_OUT_OF_MEMORY_H_

namespace loom {

// Runs `main` and turns an allocation failure into "TOOL: error: cannot allocate ..."
// and exit code 1. A Tensor that cannot be allocated throws AllocationFailure (with its
// size), caught here; a failed `new` anywhere (our code, LLVM's, protobuf's) and LLVM's
// own out-of-memory reports print the same error and exit at once; a thread the system
// will not start (std::system_error) is reported alike. Nothing is left half-written:
// Loom's files are renamed into place whole.
int RunReportingOutOfMemory(const char* tool, int (*main)(int, char**), int argc, char** argv);

}  // namespace loom

#endif  // LOOM_COMPILER_CODEGEN_OUT_OF_MEMORY_H_
