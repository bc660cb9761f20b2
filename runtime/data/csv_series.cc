#include "runtime/data/csv_series.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/data/utf8.h"
#include "support/status_macros.h"

namespace loom::data {

absl::StatusOr<CsvSeries> LoadCsvSeries(const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, ReadDataFile(path));
  return ParseCsvSeries(bytes, path);
}

namespace {

// A decimal number, finite as a float: strtod would also take hex ("0x1F"), "inf" and
// "nan", which in a data file are mistakes.
bool ParseValue(absl::string_view field, float* v) {
  field = absl::StripAsciiWhitespace(field);
  if (field.find_first_of("xXpP") != absl::string_view::npos) return false;
  return absl::SimpleAtof(field, v) && std::isfinite(*v);
}

}  // namespace

absl::StatusOr<CsvSeries> ParseCsvSeries(absl::string_view bytes, const std::string& path) {
  RETURN_IF_ERROR(DecodeUtf8(bytes, path).status());
  CsvSeries series;
  int64_t line_number = 0;
  for (absl::string_view line : absl::StrSplit(bytes, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    std::vector<absl::string_view> fields = absl::StrSplit(line, ',');
    std::vector<float> row;
    bool numeric = true;
    for (absl::string_view f : fields) {
      float v;
      numeric = numeric && ParseValue(f, &v);
      row.push_back(numeric ? v : 0.0f);
    }
    if (series.columns.empty() && series.rows.empty() && !numeric) {
      for (absl::string_view f : fields) series.columns.emplace_back(absl::StripAsciiWhitespace(f));
      continue;
    }
    size_t want =
        series.columns.empty() ? (series.rows.empty() ? fields.size() : series.rows[0].size()) : series.columns.size();
    if (fields.size() != want) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", line_number, ": ", fields.size(), " fields where the rows before have ", want));
    }
    if (!numeric) {
      for (size_t i = 0; i < fields.size(); ++i) {
        float v;
        if (!ParseValue(fields[i], &v)) {
          return absl::InvalidArgumentError(absl::StrCat(path, ":", line_number, ": field ", i + 1, " ('",
                                                         absl::StripAsciiWhitespace(fields[i]),
                                                         "') is not a finite number"));
        }
      }
    }
    series.rows.push_back(std::move(row));
  }
  if (series.rows.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no data rows"));
  if (series.columns.empty()) {
    for (size_t i = 0; i < series.rows[0].size(); ++i) series.columns.push_back(absl::StrCat("column ", i + 1));
  }
  return series;
}

}  // namespace loom::data
