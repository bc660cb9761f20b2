// The batch size a command binds to the model's -1 dimensions: --batch, or read off the
// arrays it was given (loom run, loom grad).
#ifndef LOOM_TOOLS_LOOM_BATCH_H_
#define LOOM_TOOLS_LOOM_BATCH_H_

#include <vector>

#include "absl/status/statusor.h"
#include "frontends/model_file.h"
#include "loom/tensor.h"
#include "tools/common/flags.h"

namespace loom::cli {

using flags::Args;

// --batch, else the first input whose declared shape has -1 at that dimension (the
// second of a sequence-first model's [T, -1, F]), else 1. `inputs[i]` is `wanted[i]`'s.
absl::StatusOr<int64_t> BatchOf(const Args& args, const std::vector<const frontends::proto::Input*>& wanted,
                                const std::vector<Tensor>& inputs);

}  // namespace loom::cli

#endif  // LOOM_TOOLS_LOOM_BATCH_H_
