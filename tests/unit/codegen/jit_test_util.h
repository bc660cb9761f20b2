// What the JIT tests share: one JIT engine per test binary, and the tolerance of native
// code against the interpreter.
#ifndef LOOM_TESTS_UNIT_CODEGEN_JIT_TEST_UTIL_H_
#define LOOM_TESTS_UNIT_CODEGEN_JIT_TEST_UTIL_H_

#include <cmath>
#include <string>

#include "compiler/codegen/jit_engine.h"
#include "gtest/gtest.h"
#include "ir/types.h"
#include "loom/tensor.h"

namespace loom::codegen {

inline JitEngine& Jit() {
  static JitEngine* jit = [] {
    auto j = JitEngine::Create();
    EXPECT_TRUE(j.ok()) << j.status();
    return j->release();
  }();
  return *jit;
}

// Equal, or within 1e-4 relative (1e-5 absolute): GEMM sums in another order, with FMA.
inline void ExpectClose(const Tensor& got, const Tensor& want, const std::string& what) {
  ASSERT_EQ(ir::TypeOf(got), ir::TypeOf(want)) << what;
  for (int64_t i = 0; i < want.num_elements(); ++i) {
    double g = got.GetDouble(i), w = want.GetDouble(i);
    if (g == w || (std::isnan(g) && std::isnan(w))) continue;
    ASSERT_LE(std::abs(g - w), 1e-4 * std::abs(w) + 1e-5)
        << what << "[" << i << "]: jit " << g << " vs interpreter " << w;
  }
}

}  // namespace loom::codegen

#endif  // LOOM_TESTS_UNIT_CODEGEN_JIT_TEST_UTIL_H_
