// Small edits of a scan in place, shared by the passes that move work across its
// boundary.
#ifndef LOOM_COMPILER_PASSES_SCAN_REWRITE_H_
#define LOOM_COMPILER_PASSES_SCAN_REWRITE_H_

#include <unordered_set>

#include "ir/ir.h"

namespace loom::passes {

inline constexpr int kScanSteps = 1, kScanInvariants = 2;  // operand segments

// Appends `outer` to a segment of `scan` (kScanSteps or kScanInvariants) and returns the
// body argument that receives it (one step of it, for kScanSteps).
ir::Value* AddScanOperand(ir::Op& scan, int segment, ir::Value* outer);

// The outer value a scan body argument of the steps or invariants segment comes from.
ir::Value* ScanOperandOf(const ir::Op& scan, const ir::Value* body_argument);

// Whether v is a body argument of `scan` in `segment`.
bool IsScanArgument(const ir::Op& scan, const ir::Value* v, int segment);

// Whether `second` takes step outputs of `first` as its own steps and depends on
// `first` in no other way, given the values computed from `first` so far (`tainted`,
// which holds first's results): what a wavefront needs (passes/wavefront.cc).
bool ReadsStepsOf(const ir::Op& first, const ir::Op& second, const std::unordered_set<const ir::Value*>& tainted);

}  // namespace loom::passes

#endif  // LOOM_COMPILER_PASSES_SCAN_REWRITE_H_
