// Where a random op's elements draw (support/philox.h): element i at index i, or with a
// batch axis at its place in the whole batch (BatchMajorIndex). The interpreter and the
// generated code both read it here, so their draws are the same.
#ifndef LOOM_IR_RANDOM_DRAWS_H_
#define LOOM_IR_RANDOM_DRAWS_H_

#include <cstdint>
#include <optional>

#include "ir/ir.h"

namespace loom::ir {

struct BatchDraws {
  uint64_t inner, rows, per_row, offset;  // BatchMajorIndex's arguments
};

// The op's batch axis (verified: shape_rules.cc), or nothing when element i draws at i.
inline std::optional<BatchDraws> BatchDrawsOf(const Op& op) {
  if (!op.HasAttr("batch_axis")) return std::nullopt;
  const std::vector<int64_t>& shape = op.IntsAttr("shape");
  size_t axis = static_cast<size_t>(op.IntAttr("batch_axis"));
  uint64_t inner = 1, total = 1;
  for (size_t d = 0; d < shape.size(); ++d) {
    total *= static_cast<uint64_t>(shape[d]);
    if (d > axis) inner *= static_cast<uint64_t>(shape[d]);
  }
  if (total == 0) return std::nullopt;  // nothing is drawn
  uint64_t rows = static_cast<uint64_t>(shape[axis]);
  uint64_t offset = op.HasAttr("batch_offset") ? static_cast<uint64_t>(op.IntAttr("batch_offset")) : 0;
  return BatchDraws{inner, rows, total / rows, offset};
}

}  // namespace loom::ir

#endif  // LOOM_IR_RANDOM_DRAWS_H_
