#include "runtime/data/standardization.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace loom::data {

void StoreStandardization(const Standardization& s, std::map<std::string, std::string>& metadata) {
  auto exact = [](std::string* out, double v) { absl::StrAppendFormat(out, "%.17g", v); };
  metadata["mean"] = absl::StrJoin(s.mean, ",", exact);
  metadata["std"] = absl::StrJoin(s.stddev, ",", exact);
}

absl::StatusOr<std::optional<Standardization>> LoadStandardization(const std::map<std::string, std::string>& metadata) {
  auto mean = metadata.find("mean"), stddev = metadata.find("std");
  if (mean == metadata.end() && stddev == metadata.end()) return std::nullopt;
  Standardization s;
  auto parse = [](const auto& it, std::vector<double>& out) {
    if (it->second.empty()) return false;
    for (absl::string_view v : absl::StrSplit(it->second, ',')) {
      double x;
      if (!absl::SimpleAtod(v, &x)) return false;
      out.push_back(x);
    }
    return true;
  };
  if (mean == metadata.end() || stddev == metadata.end() || !parse(mean, s.mean) || !parse(stddev, s.stddev) ||
      s.mean.size() != s.stddev.size()) {
    return absl::DataLossError("the checkpoint's column statistics (mean, std) are malformed");
  }
  for (double d : s.stddev) {
    if (!(d > 0)) return absl::DataLossError("the checkpoint's column statistics (mean, std) are malformed");
  }
  return s;
}

}  // namespace loom::data
