// Checkpoints: what a training run keeps, written atomically (temp file + rename) so a
// crash or Ctrl-C never leaves a half-written file in place of a good one.
#ifndef LOOM_CHECKPOINT_H_
#define LOOM_CHECKPOINT_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "loom/tensor.h"

namespace loom {

// Version 2 added the checksum; version 1 files (without one) are still read.
inline constexpr uint32_t kCheckpointFormatVersion = 2;

struct Checkpoint {
  std::string model;
  std::vector<std::pair<std::string, Tensor>> tensors;  // in the model's order
  std::map<std::string, std::string> metadata;

  const Tensor* Find(const std::string& name) const;
};

std::string EncodeCheckpoint(const Checkpoint& checkpoint);
absl::StatusOr<Checkpoint> DecodeCheckpoint(const std::string& bytes, const std::string& name);
absl::Status SaveCheckpoint(const std::string& path, const Checkpoint& checkpoint);
absl::StatusOr<Checkpoint> LoadCheckpoint(const std::string& path);

}  // namespace loom

#endif  // LOOM_CHECKPOINT_H_
