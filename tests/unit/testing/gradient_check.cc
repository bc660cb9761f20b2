#include "tests/unit/testing/gradient_check.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "compiler/autodiff/gradients.h"
#include "ir/interpreter.h"
#include "support/status_macros.h"

namespace loom::testing {

absl::StatusOr<GradientCheckResult> CheckGradients(ir::Module& module, const std::vector<Tensor>& inputs, uint64_t seed,
                                                   int per_param, double eps) {
  RETURN_IF_ERROR(autodiff::AddGradientFunction(module, {}).status());
  ir::Interpreter interp(module, seed);
  // Dropout masks and carried state must be the same in every run: keep the start state.
  auto start = interp.globals();
  auto reset = [&]() -> absl::Status {
    for (const auto& [name, value] : start) RETURN_IF_ERROR(interp.SetGlobal(name, value));
    return absl::OkStatus();
  };
  ASSIGN_OR_RETURN(std::vector<Tensor> ad, interp.Run("loss_grad", inputs));
  GradientCheckResult result;
  int p = 0;
  for (const ir::Global& g : module.globals()) {
    if (!g.trainable) continue;
    ++p;
    const Tensor& grad = ad[p];
    int64_t n = grad.num_elements();
    int64_t stride = std::max<int64_t>(1, n / std::max(1, per_param));
    for (int64_t i = (n > per_param ? (p * 7919) % stride : 0); i < n; i += stride) {
      auto loss_at = [&](double delta) -> absl::StatusOr<double> {
        RETURN_IF_ERROR(reset());
        Tensor w = start.at(g.name);
        w.values<double>()[i] += delta;
        RETURN_IF_ERROR(interp.SetGlobal(g.name, w));
        ASSIGN_OR_RETURN(std::vector<Tensor> out, interp.Run("loss", inputs));
        return out[0].values<double>()[0];
      };
      ASSIGN_OR_RETURN(double up, loss_at(eps));
      ASSIGN_OR_RETURN(double down, loss_at(-eps));
      double fd = (up - down) / (2 * eps), a = grad.values<double>()[i];
      double err = std::abs(a - fd) / (std::abs(a) + std::abs(fd) + 1);
      ++result.checked;
      if (err >= result.worst) {
        result.worst = err;
        result.worst_where = absl::StrCat(g.name, "[", i, "]: autodiff ", a, " vs finite difference ", fd);
      }
    }
  }
  RETURN_IF_ERROR(reset());
  return result;
}

}  // namespace loom::testing
