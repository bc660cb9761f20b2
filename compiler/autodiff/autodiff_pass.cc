// autodiff as a pass, for loom-opt and lit: --autodiff (or --autodiff=FN) adds
// @FN_grad; --autodiff=FN:flow also returns each scan's per-step ‖∂L/∂h_t‖.
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "compiler/autodiff/gradients.h"
#include "compiler/autodiff/train_step.h"
#include "compiler/passes/pass.h"

namespace loom::passes {
namespace {

class Autodiff : public Pass {
 public:
  explicit Autodiff(autodiff::GradientOptions options) : options_(std::move(options)) {}
  absl::string_view name() const override { return "autodiff"; }
  absl::StatusOr<bool> Run(ir::Module& module) override {
    absl::StatusOr<ir::Function*> f = autodiff::AddGradientFunction(module, options_);
    if (!f.ok()) return f.status();
    return true;
  }

 private:
  autodiff::GradientOptions options_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Pass>> CreateAutodiffPass(absl::string_view options) {
  autodiff::GradientOptions o;
  absl::string_view fn = options;
  if (absl::EndsWith(fn, ":flow")) {
    o.gradient_flow = true;
    fn = absl::StripSuffix(fn, ":flow");
  }
  if (!fn.empty()) o.function = std::string(fn);
  return std::make_unique<Autodiff>(o);
}

}  // namespace loom::passes

namespace loom::passes {
namespace {

class TrainStep : public Pass {
 public:
  explicit TrainStep(autodiff::TrainStepOptions options) : options_(std::move(options)) {}
  absl::string_view name() const override { return "train-step"; }
  absl::StatusOr<bool> Run(ir::Module& module) override {
    absl::StatusOr<ir::Function*> f = autodiff::AddTrainStep(module, options_);
    if (!f.ok()) return f.status();
    return true;
  }

 private:
  autodiff::TrainStepOptions options_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Pass>> CreateTrainStepPass(absl::string_view options) {
  absl::StatusOr<autodiff::TrainStepOptions> o = autodiff::ParseTrainStepOptions(options);
  if (!o.ok()) return o.status();
  return std::make_unique<TrainStep>(*o);
}

}  // namespace loom::passes
