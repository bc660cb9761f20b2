// Interpreter kernels: one per op of the table, looked up by OpCode.
#ifndef LOOM_IR_INTERPRETER_KERNELS_H_
#define LOOM_IR_INTERPRETER_KERNELS_H_

#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/ir.h"
#include "support/collectives.h"

namespace loom::ir {

struct KernelContext {
  // Runs a region's block on arguments (borrowed: a scan's weights are not copied per
  // step); returns what its terminator yields.
  std::function<absl::StatusOr<std::vector<Tensor>>(const Block&, std::span<const Tensor* const>)> run_block;
  // Module globals, or null where there is no module (constant folding).
  std::map<std::string, Tensor, std::less<>>* globals = nullptr;
  // Anomaly detection: stop at the first op whose result holds a NaN or an infinity,
  // and say which, at which step of each enclosing scan (outermost first), and what.
  // The ranks all_reduce sums over; null: this process alone (all_reduce is the identity).
  Collectives* collectives = nullptr;
  bool detect_anomaly = false;
  const Op* anomaly_op = nullptr;
  std::vector<int64_t> anomaly_steps;
  double anomaly_value = 0;
};

using Kernel = absl::StatusOr<std::vector<Tensor>> (*)(const Op& op, std::span<const Tensor* const> operands,
                                                       KernelContext& ctx);

// The kernel of `code`, or null if the op has none (the op-table test catches that).
Kernel GetKernel(OpCode code);

}  // namespace loom::ir

#endif  // LOOM_IR_INTERPRETER_KERNELS_H_
