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

// What each row of a passes.def names: options is the text after '=' in "unroll=4".
#define LOOM_PASS_FACTORY(factory) absl::StatusOr<std::unique_ptr<Pass>> factory(absl::string_view options)

// Most passes rewrite each function body on its own and take no options: this makes
// one from the rewrite of a body (which says whether it changed anything).
using BodyRewrite = absl::StatusOr<bool> (*)(ir::Block& body);
absl::StatusOr<std::unique_ptr<Pass>> MakeBodyPass(absl::string_view name, absl::string_view options,
                                                   BodyRewrite rewrite);

}  // namespace loom::passes

#endif  // LOOM_COMPILER_PASSES_PASS_H_
