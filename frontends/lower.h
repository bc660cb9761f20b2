// Lowering a model description to IR: @forward (inference: dropout off) and, when the
// model has a loss, @loss (training mode: dropout on, the loss as a scalar). Parameters
// become module params named by PyTorch's state_dict keys, with PyTorch's initializers.
#ifndef LOOM_FRONTENDS_LOWER_H_
#define LOOM_FRONTENDS_LOWER_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "frontends/model_file.h"
#include "ir/ir.h"

namespace loom::frontends {

struct LowerOptions {
  int64_t batch = 1;  // binds -1 in input shapes
  int64_t vocab = 0;  // binds -1 in layer sizes; 0: not bound
  // When set, receives the type of every named value of @forward (layer outputs).
  std::map<std::string, ir::TensorType>* value_types = nullptr;
};

absl::StatusOr<std::unique_ptr<ir::Module>> LowerModel(const ModelFile& file,
                                                       const LowerOptions& options);


}  // namespace loom::frontends

#endif  // LOOM_FRONTENDS_LOWER_H_
