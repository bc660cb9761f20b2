// Helpers for IR unit tests: parse-and-run, and tensor literals.
#ifndef LOOM_TESTS_UNIT_TESTING_IR_TEST_UTIL_H_
#define LOOM_TESTS_UNIT_TESTING_IR_TEST_UTIL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/ir.h"

namespace loom::testing {

template <typename T>
Tensor T_(Shape shape, std::vector<T> values) {
  return Tensor::FromVector<T>(std::move(shape), values);
}
inline Tensor F(Shape shape, std::vector<float> v) { return T_<float>(std::move(shape), v); }
inline Tensor D(Shape shape, std::vector<double> v) { return T_<double>(std::move(shape), v); }
inline Tensor I(Shape shape, std::vector<int32_t> v) { return T_<int32_t>(std::move(shape), v); }
inline Tensor L(Shape shape, std::vector<int64_t> v) { return T_<int64_t>(std::move(shape), v); }
inline Tensor B(Shape shape, std::vector<bool> v) { return T_<bool>(std::move(shape), v); }

// Parses and verifies a module.
absl::StatusOr<std::unique_ptr<ir::Module>> ParseAndVerify(const std::string& text);
// Parses, verifies and runs @main.
absl::StatusOr<std::vector<Tensor>> RunMain(const std::string& text, std::vector<Tensor> inputs);

// "module @t { func @main(SIGNATURE) -> (RESULTS) { BODY } }"
std::string MainModule(const std::string& args, const std::string& results, const std::string& body);

}  // namespace loom::testing

#endif  // LOOM_TESTS_UNIT_TESTING_IR_TEST_UTIL_H_
