// The PyTorch reference data of tests/golden (tools/golden/make_golden.py).
#ifndef LOOM_TESTS_UNIT_TESTING_GOLDEN_H_
#define LOOM_TESTS_UNIT_TESTING_GOLDEN_H_

#include <string>
#include <vector>

#include "loom/tensor.h"

namespace loom::testing {

std::string GoldenDir();
// The case directories: the training cases (train_*) or the others.
std::vector<std::string> GoldenCases(bool training);
// |got - want| <= rel·|want| + 1e-6 elementwise, want read from an .npy file.
void ExpectCloseToNpy(const Tensor& got, const std::string& npy, double rel, const std::string& what);

}  // namespace loom::testing

#endif  // LOOM_TESTS_UNIT_TESTING_GOLDEN_H_
