// Parameters in and out: a model's parameters as a checkpoint, and as one .npy file per
// PyTorch state_dict key, so weights move between Loom and PyTorch with numpy.
#ifndef LOOM_FRONTENDS_PARAMS_H_
#define LOOM_FRONTENDS_PARAMS_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "ir/ir.h"
#include "loom/checkpoint.h"

namespace loom::frontends {

// Every trainable parameter of `module`, freshly initialized with `seed`.
Checkpoint InitialParams(const ir::Module& module, uint64_t seed);

// The parameters of `module` taken from `checkpoint`: each must be present with its
// type; a checkpoint of another model is refused. Extra tensors (optimizer state) pass.
absl::StatusOr<Checkpoint> ParamsFromCheckpoint(const ir::Module& module, const Checkpoint& checkpoint,
                                                const std::string& checkpoint_name);
// Every global of `module`, in its order: the parameters as ParamsFromCheckpoint takes
// them, optimizer state and counters from the checkpoint when it has them with their
// types, and `fallback` (by name) for the rest.
absl::StatusOr<Checkpoint> StateFromCheckpoint(const ir::Module& module, const Checkpoint& checkpoint,
                                               const std::string& checkpoint_name,
                                               const std::map<std::string, Tensor, std::less<>>& fallback);

// DIR/<name>.npy for each parameter (the name escaped by FileNameFor: "lstm.weight_ih_l0"
// stays as it is, "../x" cannot leave DIR); DIR is created if missing.
absl::Status ExportNpyDir(const Checkpoint& params, const std::string& dir);
// Reads DIR/<key>.npy for every parameter of `module` (f64 files are narrowed to f32, as
// numpy defaults to f64); a missing, misshapen or unexpected file is an error naming it.
absl::StatusOr<Checkpoint> ImportNpyDir(const ir::Module& module, const std::string& dir);

}  // namespace loom::frontends

#endif  // LOOM_FRONTENDS_PARAMS_H_
