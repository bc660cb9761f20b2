// Central finite differences through the interpreter, against autodiff's gradients.
#ifndef LOOM_TESTS_UNIT_TESTING_GRADIENT_CHECK_H_
#define LOOM_TESTS_UNIT_TESTING_GRADIENT_CHECK_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/ir.h"

namespace loom::testing {

struct GradientCheckResult {
  int checked = 0;
  double worst = 0;         // max over elements of |g_ad - g_fd| / (|g_ad| + |g_fd| + 1)
  std::string worst_where;  // "param[i]: ad vs fd"
};

// `module` is f64, has @loss (inputs) -> (scalar) and parameters (already initialized
// from `seed`). Adds @loss_grad and compares each parameter's gradient with central
// differences (step `eps`) at up to `per_param` elements spread over the parameter.
absl::StatusOr<GradientCheckResult> CheckGradients(ir::Module& module, const std::vector<Tensor>& inputs, uint64_t seed,
                                                   int per_param = 1 << 30, double eps = 1e-6);

}  // namespace loom::testing

#endif  // LOOM_TESTS_UNIT_TESTING_GRADIENT_CHECK_H_
