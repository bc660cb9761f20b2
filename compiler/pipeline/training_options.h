// The model file's training section as the compiler's train-step options, with
// PyTorch's defaults for whatever the file leaves out.
#ifndef LOOM_COMPILER_PIPELINE_TRAINING_OPTIONS_H_
#define LOOM_COMPILER_PIPELINE_TRAINING_OPTIONS_H_

#include "absl/status/statusor.h"
#include "compiler/autodiff/train_step.h"
#include "frontends/model_file.h"

namespace loom::pipeline {

absl::StatusOr<autodiff::TrainStepOptions> TrainStepOptionsFor(const frontends::ModelFile& file);

}  // namespace loom::pipeline

#endif  // LOOM_COMPILER_PIPELINE_TRAINING_OPTIONS_H_
