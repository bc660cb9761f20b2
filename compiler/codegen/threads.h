// How generated code runs on several threads. A compiled function is SPMD: its entry
// hands its body to the launcher in the arena header (ArenaHeader::launch), which runs
// it on `threads` threads at once, each with its number. Every thread walks the whole
// function: each computes its share of the large ops (a product's column panels, a
// fused loop's rows or column blocks — the same share at every step of a scan, so a
// thread keeps its weight columns in its own cache), thread 0 alone runs the rest, and
// a barrier in the arena separates an op from the ops that read what it wrote. With one
// thread (no launcher: loomc's objects by default) the barriers return at once.
#ifndef LOOM_COMPILER_CODEGEN_THREADS_H_
#define LOOM_COMPILER_CODEGEN_THREADS_H_

#include <string>

namespace llvm {
class Function;
class Module;
}  // namespace llvm

namespace loom::codegen {

// void loom.barrier(ptr lines, i64 threads): returns when all `threads` threads of the
// run (or of a team) have called it with these barrier lines (ArenaHeader: a count, and
// a generation 64 bytes on); at once when there is one.
// Spins (with the target's pause hint) for a few microseconds, then yields the core
// between looks (sched_yield, from libc), so an oversubscribed machine still progresses.
llvm::Function* BarrierFunction(llvm::Module& module, const std::string& triple);

// void loom.wait(ptr count, i64 value): returns when the i64 at `count` is at least
// `value` (an acquire load), waiting as the barrier does: a wavefront's second scan
// waiting for the first's step.
llvm::Function* WaitFunction(llvm::Module& module, const std::string& triple);

// void symbol(void** buffers), the function the caller calls: clears the arena's error
// record and runs `body` (void (void** buffers, i64 thread)) through the header's
// launcher, or on this thread alone when the header asks for one thread or names no
// launcher, or when the body is not `threaded` (compiled for one thread). `arena` is
// the arena's index in `buffers`.
void EmitEntry(llvm::Module& module, const std::string& symbol, llvm::Function* body, int arena, bool threaded);

}  // namespace loom::codegen

#endif  // LOOM_COMPILER_CODEGEN_THREADS_H_
