// A time series in CSV: one row per time step, the same number of numeric columns in
// every row, an optional header row. For next-value forecasting the model sees a window
// of consecutive rows and predicts the row after it.
#ifndef LOOM_RUNTIME_DATA_CSV_SERIES_H_
#define LOOM_RUNTIME_DATA_CSV_SERIES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace loom::data {

struct CsvSeries {
  std::vector<std::string> columns;  // the header, or "column 1", ...
  std::vector<std::vector<float>> rows;
};

// A ragged row, a field that is not a number, or an empty file is an error naming the
// file and line.
absl::StatusOr<CsvSeries> LoadCsvSeries(const std::string& path);
// The same from the file's bytes (`name` for messages).
absl::StatusOr<CsvSeries> ParseCsvSeries(absl::string_view bytes, const std::string& name);

}  // namespace loom::data

#endif  // LOOM_RUNTIME_DATA_CSV_SERIES_H_
