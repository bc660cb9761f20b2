// Source positions for diagnostics: every parsed op remembers where it was written.
#ifndef LOOM_IR_LOCATION_H_
#define LOOM_IR_LOCATION_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace loom::ir {

struct Location {
  std::shared_ptr<const std::string> file;  // null when unknown
  int line = 0;                             // 1-based; 0 when unknown
  int col = 0;

  bool known() const { return line > 0; }
  std::string ToString() const;  // "file:line:col", "line:col" or ""
};

// "file:3:5: error: message" — the one shape of every diagnostic Loom prints.
absl::Status ErrorAt(const Location& loc, absl::string_view message);

}  // namespace loom::ir

#endif  // LOOM_IR_LOCATION_H_
