// Counted loops in LLVM IR, for the emitters: for (i = begin; i < end; ++i), with values
// carried from one iteration to the next (accumulators as phi nodes, so they stay in
// registers).
#ifndef LOOM_COMPILER_CODEGEN_LOOPS_H_
#define LOOM_COMPILER_CODEGEN_LOOPS_H_

#include <functional>
#include <vector>

#include "llvm/IR/IRBuilder.h"

namespace loom::codegen {

using Carried = std::vector<llvm::Value*>;
using LoopBody = std::function<Carried(llvm::Value* i, const Carried& carried)>;

// Emits the loop at b's insertion point and leaves b after it; returns the carried
// values after the last iteration (`carried` itself when the loop runs zero times).
// interleave > 0 asks LLVM's vectorizer for that many vectors per iteration.
Carried EmitLoop(llvm::IRBuilder<>& b, llvm::Value* begin, llvm::Value* end, const Carried& carried,
                 const LoopBody& body, int interleave = 0);

// The same without carried values.
void EmitFor(llvm::IRBuilder<>& b, llvm::Value* begin, llvm::Value* end,
             const std::function<void(llvm::Value* i)>& body, int interleave = 0);

}  // namespace loom::codegen

#endif  // LOOM_COMPILER_CODEGEN_LOOPS_H_
