// A 64-bit hash in the manner of FNV-1a, over 8-byte words (eight times faster than
// bytewise, a checkpoint being tens of MB): the checkpoint's checksum and the identity of
// a training run's data. Not for security. Each step (xor a word, multiply by an odd
// constant) is a bijection of the state, so any change confined to one word (a flipped
// byte on disk) always changes the hash.
#ifndef LOOM_SUPPORT_HASH_H_
#define LOOM_SUPPORT_HASH_H_

#include <cstdint>
#include <cstring>

#include "absl/strings/string_view.h"

namespace loom {

inline constexpr uint64_t kHashStart = 14695981039346656037ull;

// Continues `hash` over `bytes` (start from kHashStart).
inline uint64_t Hash64(absl::string_view bytes, uint64_t hash = kHashStart) {
  constexpr uint64_t kPrime = 1099511628211ull;
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, bytes.data() + i, 8);
    hash = (hash ^ word) * kPrime;
  }
  for (; i < bytes.size(); ++i) hash = (hash ^ static_cast<unsigned char>(bytes[i])) * kPrime;
  // The length too, so that a file cut at a word boundary differs from its prefix.
  return (hash ^ bytes.size()) * kPrime;
}

}  // namespace loom

#endif  // LOOM_SUPPORT_HASH_H_
