// The pass registry (passes.def) and pipelines built from it.
#ifndef LOOM_COMPILER_PASSES_REGISTRY_H_
#define LOOM_COMPILER_PASSES_REGISTRY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "compiler/passes/pass.h"

namespace loom::passes {

#define PASS(flag, factory, description) \
  absl::StatusOr<std::unique_ptr<Pass>> factory(absl::string_view options);
#include "compiler/passes/passes.def"
#undef PASS

struct PassInfo {
  absl::string_view name;
  absl::string_view description;
};
const std::vector<PassInfo>& RegisteredPasses();

// "unroll=4" -> the unroll pass with option "4".
absl::StatusOr<std::unique_ptr<Pass>> CreatePass(absl::string_view spec);

}  // namespace loom::passes

#endif  // LOOM_COMPILER_PASSES_REGISTRY_H_
