#include "ir/location.h"

#include "absl/strings/str_cat.h"

namespace loom::ir {

std::string Location::ToString() const {
  if (!known()) return file ? *file : "";
  std::string pos = absl::StrCat(line, ":", col);
  return file ? absl::StrCat(*file, ":", pos) : pos;
}

absl::Status ErrorAt(const Location& loc, absl::string_view message) {
  std::string where = loc.ToString();
  return absl::InvalidArgumentError(where.empty() ? absl::StrCat("error: ", message)
                                                  : absl::StrCat(where, ": error: ", message));
}

}  // namespace loom::ir
