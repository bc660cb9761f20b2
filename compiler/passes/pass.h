// A pass rewrites a module in place and says whether it changed anything.
#ifndef LOOM_COMPILER_PASSES_PASS_H_
#define LOOM_COMPILER_PASSES_PASS_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ir/ir.h"

namespace loom::passes {

class Pass {
 public:
  virtual ~Pass() = default;
  virtual absl::string_view name() const = 0;
  virtual absl::StatusOr<bool> Run(ir::Module& module) = 0;
};

}  // namespace loom::passes

#endif  // LOOM_COMPILER_PASSES_PASS_H_
