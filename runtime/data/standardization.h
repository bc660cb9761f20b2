// A forecasting model's column statistics, as a training run stores them in its
// checkpoint ("mean" and "std": comma-separated), so that `loom run`, `loom eval` and
// loomc's programs feed the model what it was trained on.
#ifndef LOOM_RUNTIME_DATA_STANDARDIZATION_H_
#define LOOM_RUNTIME_DATA_STANDARDIZATION_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace loom::data {

struct Standardization {
  std::vector<double> mean, stddev;  // per column; stddev > 0
};

void StoreStandardization(const Standardization& s, std::map<std::string, std::string>& metadata);
// None when the metadata has no statistics; an error when they are malformed.
absl::StatusOr<std::optional<Standardization>> LoadStandardization(const std::map<std::string, std::string>& metadata);

}  // namespace loom::data

#endif  // LOOM_RUNTIME_DATA_STANDARDIZATION_H_
