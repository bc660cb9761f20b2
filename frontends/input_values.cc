#include "frontends/input_values.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace loom::frontends {

absl::Status CheckInputValues(const proto::Model& model, int64_t vocab, const std::string& input,
                              const Tensor& values) {
  if (IsFloat(values.dtype())) {
    for (int64_t i = 0; i < values.num_elements(); ++i) {
      if (!std::isfinite(values.GetDouble(i))) {
        return absl::InvalidArgumentError(absl::StrCat("input '", input, "' element ", i, " is ", values.GetDouble(i),
                                                       " (Loom takes finite values)"));
      }
    }
    return absl::OkStatus();
  }
  for (const auto& layer : model.layer()) {
    if (layer.inputs().empty() || layer.inputs(0) != input || !(layer.has_embedding() || layer.has_one_hot())) continue;
    int64_t size = layer.has_embedding() ? layer.embedding().num_embeddings() : layer.one_hot().depth();
    if (size < 0) size = vocab;
    for (int64_t i = 0; i < values.num_elements(); ++i) {
      int64_t id = static_cast<int64_t>(values.GetDouble(i));
      if (id < 0 || id >= size) {
        return absl::InvalidArgumentError(absl::StrCat(
            "token id ", id, " (element ", i, ") is out of range for layer '", layer.name(), "' (", size, " ids)"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace loom::frontends
