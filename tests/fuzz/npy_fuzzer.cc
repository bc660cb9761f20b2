// .npy files: parse, and what parses must encode and parse back to the same tensor.
#include <cstdint>
#include <cstring>
#include <string>

#include "runtime/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto t = loom::ParseNpy(std::string(reinterpret_cast<const char*>(data), size), "fuzz.npy");
  if (!t.ok()) return 0;
  auto back = loom::ParseNpy(loom::EncodeNpy(*t), "encoded.npy");
  if (!back.ok() || back->shape() != t->shape() || back->dtype() != t->dtype() ||
      std::memcmp(back->raw_data(), t->raw_data(), t->byte_size()) != 0) {
    __builtin_trap();
  }
  return 0;
}
