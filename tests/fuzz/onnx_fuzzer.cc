// ONNX models (binary protobuf): import, then lower and prepare the training step when
// the import succeeds. Seeds: the repository's .onnx files (tests/onnx/, tests/lit/onnx/)
// and ONNX's recurrent node tests when libonnx-testdata is installed.
#include <cstdint>
#include <string>

#include "compiler/pipeline/compile.h"
#include "frontends/onnx/import.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = loom::frontends::onnx::ImportOnnx(std::string(reinterpret_cast<const char*>(data), size), "fuzz.onnx");
  if (!file.ok()) return 0;
  (void)loom::pipeline::PrepareModel(*file, {});
  return 0;
}
