// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11):
// a counter-based generator, so any element of a random tensor can be computed on its
// own. The interpreter, the initializers and the generated code all draw from it, which
// is what makes dropout masks identical everywhere and recomputable in the backward pass.
#ifndef LOOM_SUPPORT_PHILOX_H_
#define LOOM_SUPPORT_PHILOX_H_

#include <array>
#include <cstdint>

namespace loom {

inline std::array<uint32_t, 4> Philox4x32(std::array<uint32_t, 4> ctr, std::array<uint32_t, 2> key) {
  constexpr uint32_t kM0 = 0xD2511F53, kM1 = 0xCD9E8D57;
  constexpr uint32_t kW0 = 0x9E3779B9, kW1 = 0xBB67AE85;
  for (int round = 0; round < 10; ++round) {
    uint64_t p0 = uint64_t{kM0} * ctr[0];
    uint64_t p1 = uint64_t{kM1} * ctr[2];
    ctr = {static_cast<uint32_t>(p1 >> 32) ^ ctr[1] ^ key[0], static_cast<uint32_t>(p1),
           static_cast<uint32_t>(p0 >> 32) ^ ctr[3] ^ key[1], static_cast<uint32_t>(p0)};
    key[0] += kW0;
    key[1] += kW1;
  }
  return ctr;
}

// The random draw Loom uses for element `index` of a random op with `seed` at `counter`
// (the op's counter operand, e.g. a time step): two 32-bit words of one Philox block.
inline std::array<uint32_t, 2> RandomBits(uint64_t seed, uint64_t counter, uint64_t index) {
  auto r = Philox4x32({static_cast<uint32_t>(index), static_cast<uint32_t>(index >> 32), static_cast<uint32_t>(counter),
                       static_cast<uint32_t>(counter >> 32)},
                      {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)});
  return {r[0], r[1]};
}

// The index a random op with a batch axis draws element `i` at: its place in the
// batch-major layout of the whole batch — so that with the batch split over the ranks of
// a data-parallel run (a rank's rows starting at row `offset` of the whole), each row
// draws what it would in one process holding every row. `inner`: the elements after the
// batch axis; `rows`: the axis's length here; `per_row`: the elements per row (all but
// the axis). With axis 0 and offset 0 it is `i`.
inline uint64_t BatchMajorIndex(uint64_t i, uint64_t inner, uint64_t rows, uint64_t per_row, uint64_t offset) {
  uint64_t row = i / inner % rows, outer = i / (inner * rows);
  return (row + offset) * per_row + outer * inner + i % inner;
}

// Uniform in [0, 1): 24 random bits for f32, 53 for f64.
inline float UniformFloat(std::array<uint32_t, 2> bits) { return static_cast<float>(bits[0] >> 8) * 0x1.0p-24f; }
inline double UniformDouble(std::array<uint32_t, 2> bits) {
  return (static_cast<double>(bits[0] >> 5) * 67108864.0 + static_cast<double>(bits[1] >> 6)) * 0x1.0p-53;
}
// Bernoulli(p): integer compare on the top 24 bits, so it is exact in any backend.
inline bool BernoulliDraw(std::array<uint32_t, 2> bits, double p) {
  double threshold = p * 16777216.0;
  if (threshold <= 0) return false;
  if (threshold >= 16777216.0) return true;
  return (bits[0] >> 8) < static_cast<uint32_t>(threshold);
}

}  // namespace loom

#endif  // LOOM_SUPPORT_PHILOX_H_
