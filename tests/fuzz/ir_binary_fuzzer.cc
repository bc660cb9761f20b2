// Binary IR (ir.proto): decode, verify, print.
#include <cstdint>
#include <string>

#include "ir/printer.h"
#include "ir/serialize.h"
#include "ir/verifier.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto module = loom::ir::DeserializeModule(std::string(reinterpret_cast<const char*>(data), size));
  if (module.ok() && loom::ir::Verify(**module).ok()) (void)loom::ir::Print(**module);
  return 0;
}
