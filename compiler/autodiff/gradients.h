// Reverse-mode autodiff of a whole function with respect to the module's parameters.
#ifndef LOOM_COMPILER_AUTODIFF_GRADIENTS_H_
#define LOOM_COMPILER_AUTODIFF_GRADIENTS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/ir.h"

namespace loom::autodiff {

// What BuildGradients leaves in the function it builds.
struct GradientGraph {
  ir::Value* loss = nullptr;
  // Every trainable global's name, in declaration order, with its gradient.
  std::vector<std::pair<std::string, ir::Value*>> grads;
  // Each float argument's gradient, in argument order (null for the others).
  std::vector<ir::Value*> input_grads;
  // Per top-level scan (in forward order): ‖∂L/∂h_t‖ for each step t, when asked for.
  std::vector<ir::Value*> flows;
};

// Copies `fn` (whose first result is a float scalar loss) into the empty function `g`
// with the same arguments, and appends the backward pass. `g` is left without a
// terminator, for the caller to add updates and a return.
absl::StatusOr<GradientGraph> BuildGradients(const ir::Function& fn, ir::Function& g, bool gradient_flow);

struct GradientOptions {
  std::string function = "loss";
  bool gradient_flow = false;
  bool input_grads = false;
};

// Adds @<function>_grad(inputs) -> (loss, d(param) for every param [, d(input) for every
// float input] [, flow per scan]).
absl::StatusOr<ir::Function*> AddGradientFunction(ir::Module& module, const GradientOptions& options);

// Adds @<function>_dot(inputs, cotangents) -> Σ_k sum(result_k · cotangent_k): a scalar
// whose gradient is the vector–Jacobian product of @<function> with the cotangents (one
// per result, of its type), as torch.autograd.grad takes grad_outputs.
absl::StatusOr<ir::Function*> AddCotangentDot(ir::Module& module, const std::string& function);

// What each flow of GradientGraph::flows measures: one label per top-level scan of `fn`,
// named by the parameters it reads — a stacked layer's "lstm.l1" (from
// lstm.weight_hh_l1), "lstm.l0_reverse"; a custom cell's layer; a cell whose weights are
// bound (an ONNX model's), by its output.
std::vector<std::string> FlowLabels(const ir::Function& fn);

// Runs dce over the module: drops the residuals no VJP reads.
absl::Status CleanUp(ir::Module& module);

}  // namespace loom::autodiff

#endif  // LOOM_COMPILER_AUTODIFF_GRADIENTS_H_
