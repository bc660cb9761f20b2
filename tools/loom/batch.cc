#include "tools/loom/batch.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "support/status_macros.h"

namespace loom::cli {

absl::StatusOr<int64_t> BatchOf(const Args& args, const std::vector<const frontends::proto::Input*>& wanted,
                                const std::vector<Tensor>& inputs) {
  if (args.Has("--batch")) {
    ASSIGN_OR_RETURN(int64_t batch, args.GetInt("--batch", 1));
    if (batch < 1) return absl::InvalidArgumentError(absl::StrCat("--batch must be at least 1, got ", batch));
    return batch;
  }
  for (size_t i = 0; i < wanted.size(); ++i) {
    const auto& shape = wanted[i]->shape();
    auto batch_dim = std::find(shape.begin(), shape.end(), -1);
    // An input of another rank gets its error, with both shapes, where the types are checked.
    if (batch_dim != shape.end() && inputs[i].rank() == shape.size()) {
      return inputs[i].shape()[batch_dim - shape.begin()];
    }
  }
  return 1;
}

}  // namespace loom::cli
