#include "tests/unit/testing/ir_test_util.h"

#include "absl/strings/str_cat.h"
#include "ir/interpreter.h"
#include "ir/parser.h"
#include "ir/verifier.h"
#include "support/status_macros.h"

namespace loom::testing {

absl::StatusOr<std::unique_ptr<ir::Module>> ParseAndVerify(const std::string& text) {
  ASSIGN_OR_RETURN(std::unique_ptr<ir::Module> m, ir::ParseModule(text, "test.loom"));
  RETURN_IF_ERROR(ir::Verify(*m));
  return m;
}

absl::StatusOr<std::vector<Tensor>> RunMain(const std::string& text, std::vector<Tensor> inputs) {
  ASSIGN_OR_RETURN(std::unique_ptr<ir::Module> m, ParseAndVerify(text));
  ir::Interpreter interp(*m);
  return interp.Run("main", std::move(inputs));
}

std::string MainModule(const std::string& args, const std::string& results, const std::string& body) {
  return absl::StrCat("module @t {\n  func @main(", args, ") -> (", results, ") {\n", body, "\n  }\n}\n");
}

}  // namespace loom::testing
