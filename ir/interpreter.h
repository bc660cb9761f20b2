// The reference interpreter: runs any verified module op by op on Tensors, in f32, f64
// and the integer types. Written to be obviously right rather than fast — it is the
// oracle that the JIT, autodiff and every pass are checked against.
#ifndef LOOM_IR_INTERPRETER_H_
#define LOOM_IR_INTERPRETER_H_

#include <map>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/ir.h"
#include "support/collectives.h"

namespace loom::ir {

class Interpreter {
 public:
  // `module` must be verified and outlive the interpreter. Globals start from their
  // initializers drawn with `seed`.
  explicit Interpreter(const Module& module, uint64_t seed = 0);

  absl::StatusOr<std::vector<Tensor>> Run(absl::string_view function, std::vector<Tensor> inputs);

  // Parameters and state, by name (without '@').
  const Tensor* GetGlobal(absl::string_view name) const;
  absl::Status SetGlobal(absl::string_view name, Tensor value);
  const std::map<std::string, Tensor, std::less<>>& globals() const { return globals_; }

  // With anomaly detection on, Run fails at the first op whose result holds a NaN or an
  // infinity, and anomaly() says which op, at which step of each enclosing scan
  // (outermost first) and the value — what `loom train --detect-anomaly` reports.
  struct Anomaly {
    const Op* op = nullptr;
    std::vector<int64_t> scan_steps;
    double value = 0;
  };
  void set_detect_anomaly(bool on) { detect_anomaly_ = on; }
  // The ranks all_reduce sums over (not owned); unset, all_reduce is the identity.
  void set_collectives(Collectives* collectives) { collectives_ = collectives; }
  const Anomaly& anomaly() const { return anomaly_; }

 private:
  const Module& module_;
  std::map<std::string, Tensor, std::less<>> globals_;
  bool detect_anomaly_ = false;
  Collectives* collectives_ = nullptr;
  Anomaly anomaly_;
};

// A global's first value, drawn from its initializer (Philox keyed by seed and name).
Tensor InitialValue(const Global& global, uint64_t seed);

// Runs one op without a module (no load or store): constant folding uses it.
absl::StatusOr<std::vector<Tensor>> EvaluateOp(const Op& op, std::span<const Tensor* const> operands);

}  // namespace loom::ir

#endif  // LOOM_IR_INTERPRETER_H_
