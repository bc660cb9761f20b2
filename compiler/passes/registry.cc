#include "compiler/passes/registry.h"

#include "absl/strings/str_cat.h"

namespace loom::passes {

const std::vector<PassInfo>& RegisteredPasses() {
  static const auto* passes = new std::vector<PassInfo>{
#define PASS(flag, factory, description) {flag, description},
#include "compiler/passes/passes.def"
#undef PASS
  };
  return *passes;
}

absl::StatusOr<std::unique_ptr<Pass>> CreatePass(absl::string_view spec) {
  size_t eq = spec.find('=');
  absl::string_view name = spec.substr(0, eq);
  absl::string_view options = eq == absl::string_view::npos ? "" : spec.substr(eq + 1);
#define PASS(flag, factory, description) \
  if (name == flag) return factory(options);
#include "compiler/passes/passes.def"
#undef PASS
  return absl::InvalidArgumentError(absl::StrCat("unknown pass '", name, "'"));
}

}  // namespace loom::passes
