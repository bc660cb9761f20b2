// Lowering a model description to IR: @forward (inference: dropout off), when the model
// has a loss @loss (training mode: dropout on, the loss as a scalar), and on request
// @step (streaming inference, one time step per call). Parameters
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
  // Also add @step: one time step (each input's time dimension, the one beside the
  // batch, is 1), with every recurrent layer's state kept in module state
  // ("<layer>.h_n", "<layer>.c_n") from one call to the next — streaming inference.
  bool streaming = false;
  // One rank of a data-parallel run (runtime/world.h): `batch` is this rank's share, rows
  // rank·batch onwards of a whole batch of ranks·batch. Dropout draws each row's mask as
  // one process with the whole batch would, and a mean loss divides by the whole batch's
  // count (see Reduction in composites.h).
  int64_t rank = 0, ranks = 1;
  // When set, receives the type of every named value of @forward (layer outputs).
  std::map<std::string, ir::TensorType>* value_types = nullptr;
  // Out, when set: each input that holds sequence lengths, and the time steps it may count
  // (a length must be 1 to that, as PyTorch's pack_padded_sequence requires).
  std::map<std::string, int64_t>* length_limits = nullptr;
};

absl::StatusOr<std::unique_ptr<ir::Module>> LowerModel(const ModelFile& file, const LowerOptions& options);

}  // namespace loom::frontends

#endif  // LOOM_FRONTENDS_LOWER_H_
