// Reverse-mode sweep over a list of ops: adjoints accumulate with `add`, and each op's
// VJP rule turns its results' adjoints into its operands'. `scan` gets the residual-
// saving rule (scan_vjp.cc) and `fusion` is recomputed and differentiated through.
#ifndef LOOM_COMPILER_AUTODIFF_BACKPROP_H_
#define LOOM_COMPILER_AUTODIFF_BACKPROP_H_

#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "compiler/autodiff/vjp.h"

namespace loom::autodiff {

// Adjoints of forward values; a value without an entry has adjoint zero.
class Adjoints {
 public:
  ir::Value* Get(const ir::Value* v) const {
    auto it = adj_.find(v);
    return it == adj_.end() ? nullptr : it->second;
  }
  // adj(v) += d; integer and boolean values carry no adjoint.
  absl::Status Add(ir::Builder& b, const ir::Value* v, ir::Value* d);
  // The adjoint, materialized as zeros when there is none.
  absl::StatusOr<ir::Value*> GetOrZeros(ir::Builder& b, const ir::Value* v, const ir::TensorType& type);
  // Forgets v (before v is destroyed, so a new value at its address starts from zero).
  void Erase(const ir::Value* v) { adj_.erase(v); }

 private:
  std::unordered_map<const ir::Value*, ir::Value*> adj_;
};

// Differentiates `ops` (in forward order) backwards, emitting at ctx.b. Scans must be at
// the top level of the function being built (ctx.primal the identity there): ScanVjp
// rebuilds them, so the ops are not const.
absl::Status Backprop(VjpContext& ctx, const std::vector<ir::Op*>& ops, Adjoints& adj);

// The scan rule: rebuilds the forward `scan` (in place) to also output the residuals its
// body's VJP needs, and emits the reverse scan. Returns the new forward scan.
absl::StatusOr<ir::Op*> ScanVjp(ir::Builder& b, ir::Op& scan, Adjoints& adj, bool gradient_flow,
                                std::vector<ir::Value*>* flow);

}  // namespace loom::autodiff

#endif  // LOOM_COMPILER_AUTODIFF_BACKPROP_H_
