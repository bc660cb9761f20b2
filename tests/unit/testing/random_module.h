// Random valid modules, for property tests (print/parse round trips, passes preserve
// results) and, later, the differential fuzzer. Every op of the table can appear,
// including scans (with lengths and reverse), fusion regions and globals.
#ifndef LOOM_TESTS_UNIT_TESTING_RANDOM_MODULE_H_
#define LOOM_TESTS_UNIT_TESTING_RANDOM_MODULE_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/ir.h"

namespace loom::testing {

struct RandomModuleOptions {
  int num_ops = 24;  // ops attempted at the top level
  int body_ops = 6;  // ops attempted in each region
  bool allow_regions = true;
};

// A verified module with one function, @main. Same seed, same module.
absl::StatusOr<std::unique_ptr<ir::Module>> RandomModule(uint64_t seed, RandomModuleOptions options = {});

// Inputs for @main, drawn from `seed`: floats in [-2, 2), integers in [0, 3).
std::vector<Tensor> RandomInputs(const ir::Function& f, uint64_t seed);

// Equal values: same dtype and shape, each element equal or both NaN.
bool SameValues(const Tensor& a, const Tensor& b);

}  // namespace loom::testing

#endif  // LOOM_TESTS_UNIT_TESTING_RANDOM_MODULE_H_
