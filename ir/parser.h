// Text IR parser. Errors read "file:line:col: error: expected ..., got ...". The result
// is not verified: call Verify (verifier.h) before using it.
#ifndef LOOM_IR_PARSER_H_
#define LOOM_IR_PARSER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ir/ir.h"

namespace loom::ir {

absl::StatusOr<std::unique_ptr<Module>> ParseModule(absl::string_view text, absl::string_view filename = "");

// One attribute value of the given kind, in the text IR's syntax ("[1, 0]", "true").
absl::StatusOr<Attribute> ParseAttribute(AttrKind kind, absl::string_view text);

}  // namespace loom::ir

#endif  // LOOM_IR_PARSER_H_
