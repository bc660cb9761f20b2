// The model file's training section as the compiler's train-step options, with
// PyTorch's defaults for whatever the file leaves out.
#ifndef LOOM_FRONTENDS_TRAINING_H_
#define LOOM_FRONTENDS_TRAINING_H_

#include "absl/status/statusor.h"
#include "compiler/autodiff/train_step.h"
#include "frontends/model_file.h"

namespace loom::frontends {

absl::StatusOr<autodiff::TrainStepOptions> TrainStepOptionsFor(const ModelFile& file);

}  // namespace loom::frontends

#endif  // LOOM_FRONTENDS_TRAINING_H_
