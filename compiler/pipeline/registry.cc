#include "compiler/pipeline/registry.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "compiler/passes/passes.h"
#include "support/status_macros.h"

// autodiff's factories (defined in compiler/autodiff/autodiff_pass.cc; only the registry
// makes them, so they have no header of their own).
namespace loom::passes {
#define PASS(flag, factory, description) LOOM_PASS_FACTORY(factory);
#include "compiler/autodiff/passes.def"
#undef PASS
}  // namespace loom::passes

namespace loom::pipeline {

const std::vector<PassInfo>& RegisteredPasses() {
  static const auto* passes = new std::vector<PassInfo>{
#define PASS(flag, factory, description) {flag, description},
#include "compiler/passes/passes.def"
// then autodiff's, listed after the rewrites in --help
#include "compiler/autodiff/passes.def"
#undef PASS
  };
  return *passes;
}

absl::StatusOr<std::unique_ptr<passes::Pass>> CreatePass(absl::string_view spec) {
  size_t eq = spec.find('=');
  absl::string_view name = spec.substr(0, eq);
  absl::string_view options = eq == absl::string_view::npos ? "" : spec.substr(eq + 1);
#define PASS(flag, factory, description) \
  if (name == flag) return passes::factory(options);
#include "compiler/passes/passes.def"
// then autodiff's, listed after the rewrites in --help
#include "compiler/autodiff/passes.def"
#undef PASS
  return absl::InvalidArgumentError(absl::StrCat("unknown pass '", name, "'"));
}

absl::Status AddPasses(passes::PassManager& pm, absl::string_view list) {
  for (absl::string_view spec : absl::StrSplit(list, ',', absl::SkipEmpty())) {
    ASSIGN_OR_RETURN(std::unique_ptr<passes::Pass> pass, CreatePass(spec));
    pm.AddPass(std::move(pass));
  }
  return absl::OkStatus();
}

}  // namespace loom::pipeline
