// Turns every f32 of a module into f64 (values, globals, constants, dtype attributes), so
// gradients can be checked against finite differences in double precision.
#ifndef LOOM_TESTS_UNIT_TESTING_F64_H_
#define LOOM_TESTS_UNIT_TESTING_F64_H_

#include "absl/status/status.h"
#include "ir/ir.h"

namespace loom::testing {

absl::Status PromoteToF64(ir::Module& module);

}  // namespace loom::testing

#endif  // LOOM_TESTS_UNIT_TESTING_F64_H_
