// The differential fuzzer of the compiler: the input seeds a random valid module (every
// op of the table, scans with lengths and reverse, fusion, globals); the default
// pipeline and the JIT must compute what the reference interpreter computes.
#include <cmath>
#include <cstdint>
#include <cstring>

#include "compiler/codegen/compiled_function.h"
#include "ir/interpreter.h"
#include "tests/unit/testing/random_module.h"

namespace {

loom::codegen::JitEngine& Jit() {
  static auto* jit = loom::codegen::JitEngine::Create()->release();
  return *jit;
}

bool Close(const loom::Tensor& a, const loom::Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  for (int64_t i = 0; i < a.num_elements(); ++i) {
    double x = a.GetDouble(i), y = b.GetDouble(i);
    if (x == y || (std::isnan(x) && std::isnan(y))) continue;
    if (!(std::abs(x - y) <= 1e-4 * std::abs(y) + 1e-5)) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  uint64_t seed = 0;
  std::memcpy(&seed, data, std::min(size, sizeof seed));
  loom::testing::RandomModuleOptions options;
  options.num_ops = 4 + (size > 8 ? data[8] % 28 : 12);
  auto module = loom::testing::RandomModule(seed, options);
  if (!module.ok()) __builtin_trap();  // the generator makes valid modules only
  std::vector<loom::Tensor> inputs = loom::testing::RandomInputs(*(*module)->FindFunction("main"), seed);
  loom::ir::Interpreter interp(**module, 5);
  loom::codegen::CompiledFunction::Globals globals = interp.globals();
  auto want = interp.Run("main", inputs);
  if (!want.ok()) return 0;  // e.g. an integer division by zero: the interpreter's error
  auto compiled = loom::codegen::CompiledFunction::Compile(Jit(), **module, "main");
  if (!compiled.ok()) __builtin_trap();
  auto got = (*compiled)->Run(inputs, globals);
  if (!got.ok() || got->size() != want->size()) __builtin_trap();
  for (size_t i = 0; i < want->size(); ++i) {
    if (!Close((*got)[i], (*want)[i])) __builtin_trap();
  }
  return 0;
}
