// Checkpoints: decode (format version, model name, tensors with their byte counts).
#include <cstdint>
#include <string>

#include "loom/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)loom::DecodeCheckpoint(std::string(reinterpret_cast<const char*>(data), size), "fuzz.ckpt");
  return 0;
}
