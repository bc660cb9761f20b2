// Rewrites a scan with per-example `lengths` into one without: the body gets the step
// index as a per-step input and lengths as an invariant, and freezes finished rows
// itself with selects.
//
//   %c, %ys = scan carries(%c0) steps(%xs) invariants() lengths(%len) { body }
//     ==>
//   %t = iota [T]
//   %c, %ys = scan carries(%c0) steps(%xs, %t) invariants(%len) {
//     ... body ...; %live = t < %len
//     yield select(%live, %c_new, %c), select(%live, %y, 0)
//   }
//
// Unroll and autodiff work on the explicit form, so neither needs to know about lengths.
#ifndef LOOM_COMPILER_PASSES_EXPLICIT_LENGTHS_H_
#define LOOM_COMPILER_PASSES_EXPLICIT_LENGTHS_H_

#include "absl/status/statusor.h"
#include "ir/ir.h"

namespace loom::passes {

// Replaces `scan` (which must have lengths) and returns the new scan.
absl::StatusOr<ir::Op*> MakeLengthsExplicit(ir::Op& scan);

// Every scan with lengths in `block` and the regions under it.
absl::StatusOr<bool> MakeAllLengthsExplicit(ir::Block& block);

}  // namespace loom::passes

#endif  // LOOM_COMPILER_PASSES_EXPLICIT_LENGTHS_H_
