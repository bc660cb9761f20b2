// The passes of this folder, declared from passes.def (compiler/pipeline/registry.h
// makes them, and autodiff's, by name).
#ifndef LOOM_COMPILER_PASSES_PASSES_H_
#define LOOM_COMPILER_PASSES_PASSES_H_

#include <memory>

#include "absl/status/statusor.h"
#include "compiler/passes/pass.h"

namespace loom::passes {

#define PASS(flag, factory, description) LOOM_PASS_FACTORY(factory);
#include "compiler/passes/passes.def"
#undef PASS

}  // namespace loom::passes

#endif  // LOOM_COMPILER_PASSES_PASSES_H_
