// The scan rule's weight gradients as one product after the loop. The backward scan
// accumulates a parameter's gradient in a carry, one product per step; where that is all
// the carry does — acc' = acc + aᵀ·b with a and b per-step values, the gradient of a
// product with a weight — the carry goes, the scan yields a and b stacked over time
// instead (unless they are step inputs already: the forward's inputs and residuals),
// and one product over all the steps follows it:
//
//   %dw = scan carries(%z) ... { ^bb(%acc, ...): %p = matmul %a, %b {transpose_a}
//                                               %n = add %acc, %p ... yield %n, ... }
//     ==>  %as, %bs = scan ... { ... yield ..., %a, %b }
//          %dw = add %z, matmul(reshape(%as, [T·K, M]), reshape(%bs, [T·K, N])) {transpose_a}
//
// One [M, N] product of K = T·B rows where there were T of K = B rows, each reading and
// writing the whole accumulator back (what oneDNN and cuDNN do for the weight gradient).
// Memory stays O(T·state): what is stacked is a step's state-sized values.
#ifndef LOOM_COMPILER_AUTODIFF_HOIST_ACCUMULATION_H_
#define LOOM_COMPILER_AUTODIFF_HOIST_ACCUMULATION_H_

#include <vector>

#include "absl/status/statusor.h"
#include "ir/builder.h"

namespace loom::autodiff {

// Rewrites the carries [first, first + count) of `scan` that accumulate products so;
// `after` inserts after the scan. Returns the scan's results as the rest of the function
// should see them (the rebuilt scan's, and the products for the carries it dropped).
// `scan` is replaced when anything changes.
absl::StatusOr<std::vector<ir::Value*>> HoistAccumulations(ir::Builder& after, ir::Op& scan, int first, int count);

}  // namespace loom::autodiff

#endif  // LOOM_COMPILER_AUTODIFF_HOIST_ACCUMULATION_H_
