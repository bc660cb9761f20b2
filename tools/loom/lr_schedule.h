// Learning-rate schedules for loom train, in steps: the rate for each step from the
// model's (or --lr's) base rate, set into the compiled training step before the step
// runs (CompiledModel::SetLearningRate), so a resumed run continues its schedule exactly.
//   constant         the base rate
//   step:N:G         × G every N steps (PyTorch's StepLR, counted in steps)
//   exp:G            × G every step (ExponentialLR)
//   cosine:T[:MIN]   from the base rate to MIN (default 0) along a half cosine over T
//                    steps, MIN after (CosineAnnealingLR without restarts)
// and --warmup N: the rate times (s + 1) / N for the first N steps (s from 0).
#ifndef LOOM_TOOLS_LOOM_LR_SCHEDULE_H_
#define LOOM_TOOLS_LOOM_LR_SCHEDULE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace loom::cli {

class LrSchedule {
 public:
  static absl::StatusOr<LrSchedule> Parse(const std::string& spec, int64_t warmup);
  // The rate of step `step` (0 for the first).
  double At(double base, int64_t step) const;
  // What Parse reads back (kept in a checkpoint's metadata).
  const std::string& spec() const { return spec_; }
  int64_t warmup() const { return warmup_; }
  bool constant() const { return kind_ == Kind::kConstant && warmup_ == 0; }

 private:
  enum class Kind { kConstant, kStep, kExp, kCosine };
  Kind kind_ = Kind::kConstant;
  std::string spec_ = "constant";
  int64_t every_ = 1, warmup_ = 0;
  double gamma_ = 1, min_ = 0;
};

}  // namespace loom::cli

#endif  // LOOM_TOOLS_LOOM_LR_SCHEDULE_H_
