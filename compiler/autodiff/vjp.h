// Vector-Jacobian products: one rule per differentiable op, each emitting IR.
#ifndef LOOM_COMPILER_AUTODIFF_VJP_H_
#define LOOM_COMPILER_AUTODIFF_VJP_H_

#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "ir/builder.h"

namespace loom::autodiff {

struct VjpContext {
  ir::Builder& b;
  // The forward value `v` as it can be used where the backward code is emitted (the value
  // itself at a function's top level; a saved or recomputed copy in a scan's backward body).
  std::function<ir::Value*(const ir::Value*)> primal;
  // When set, each top-level scan adds its per-step ‖∂L/∂carry₀‖ here ([T], last scan first).
  std::vector<ir::Value*>* flow = nullptr;
};

// Given the adjoints of op's results (`dys`, null for zero), sets the adjoints of its
// operands (`dxs`, sized to the operands, null for zero or no gradient).
using VjpRule = absl::Status (*)(VjpContext& ctx, const ir::Op& op, const std::vector<ir::Value*>& dys,
                                 std::vector<ir::Value*>& dxs);

// The rule of `code` (one that sets no adjoint for the non-differentiable ops), or null
// for those autodiff handles itself (scan, fusion, load, store). The switch behind it
// has a case for every op and no default: a new op must say which it is to build.
VjpRule GetVjp(ir::OpCode code);
// Ops with no gradient by definition: comparisons, integer sources, random draws,
// stop_gradient, terminators.
bool IsNonDifferentiable(ir::OpCode code);

}  // namespace loom::autodiff

#endif  // LOOM_COMPILER_AUTODIFF_VJP_H_
