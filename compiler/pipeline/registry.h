// Every pass by name — compiler/passes/passes.def and compiler/autodiff/passes.def — and
// pass lists ("canonicalize,cse,unroll=4") built from them.
#ifndef LOOM_COMPILER_PIPELINE_REGISTRY_H_
#define LOOM_COMPILER_PIPELINE_REGISTRY_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "compiler/passes/pass.h"
#include "compiler/passes/pass_manager.h"

namespace loom::pipeline {

struct PassInfo {
  absl::string_view name;
  absl::string_view description;
};
const std::vector<PassInfo>& RegisteredPasses();

// "unroll=4" -> the unroll pass with option "4".
absl::StatusOr<std::unique_ptr<passes::Pass>> CreatePass(absl::string_view spec);

// Adds every pass of a comma-separated list such as "canonicalize,cse,unroll=4".
absl::Status AddPasses(passes::PassManager& pm, absl::string_view list);

}  // namespace loom::pipeline

#endif  // LOOM_COMPILER_PIPELINE_REGISTRY_H_
