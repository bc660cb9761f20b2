// Text IR: parse, verify, print and parse again (the round trip must be exact), then the
// JIT's pass pipeline and unrolling. Anything but a clean error or a result is a bug.
#include <cstdint>
#include <string>

#include "compiler/codegen/compiled_function.h"
#include "compiler/passes/pass_manager.h"
#include "compiler/pipeline/compile.h"
#include "compiler/pipeline/registry.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto module = loom::ir::ParseModule(text, "fuzz.loom");
  if (!module.ok() || !loom::ir::Verify(**module).ok()) return 0;
  std::string printed = loom::ir::Print(**module);
  auto again = loom::ir::ParseModule(printed, "printed.loom");
  if (!again.ok() || loom::ir::Print(**again) != printed) __builtin_trap();
  for (const char* pipeline : {"default", "explicit-lengths,unroll=2,canonicalize,cse,dce"}) {
    auto copy = loom::ir::CloneModule(**module);
    loom::passes::PassManager pm;
    if (!loom::pipeline::AddPipeline(pm, pipeline).ok()) __builtin_trap();
    (void)pm.Run(*copy);  // verify_each: a pass that breaks the IR is an error status, not a crash
  }
  return 0;
}
