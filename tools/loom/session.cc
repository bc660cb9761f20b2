#include "tools/loom/session.h"

#include <cmath>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "loom/checkpoint.h"
#include "support/status_macros.h"
#include "tools/loom/threads.h"

namespace loom::cli {
namespace {

// --seq sets the time dimension of the data input and of every input that shares it.
absl::Status SetSequenceLength(frontends::proto::Model& m, int64_t seq) {
  int64_t old = -2;
  for (const auto& in : m.input()) {
    if (in.name() != m.loss().target() && in.shape_size() >= 2) {
      old = in.shape(1);
      break;
    }
  }
  if (old == -2) return absl::InvalidArgumentError("--seq: the model has no sequence input");
  for (auto& in : *m.mutable_input()) {
    if (in.shape_size() >= 2 && in.shape(1) == old) in.set_shape(1, seq);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<frontends::ModelFile> ModelOfCheckpoint(const std::string& path) {
  ASSIGN_OR_RETURN(Checkpoint c, LoadCheckpoint(path));
  auto it = c.metadata.find("model");
  if (it == c.metadata.end()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a checkpoint from loom train (no model description)"));
  }
  return frontends::ParseModelText(it->second, path + " (model)");
}

absl::StatusOr<Session> OpenSession(frontends::ModelFile file, const std::string& data_path, const Args& args,
                                    const std::string& checkpoint, double default_val_split,
                                    std::shared_ptr<World> world) {
  Session s;
  s.world = std::move(world);
  s.file = std::move(file);
  frontends::proto::Model& m = s.file.model;
  if (args.Has("--seq")) {
    ASSIGN_OR_RETURN(int64_t seq, args.GetInt("--seq", 0));
    if (seq < 1) return absl::InvalidArgumentError("--seq must be at least 1");
    RETURN_IF_ERROR(SetSequenceLength(m, seq));
  }
  ASSIGN_OR_RETURN(double lr, args.GetDouble("--lr", m.training().optimizer().lr()));
  if (!(lr > 0)) return absl::InvalidArgumentError("--lr must be positive");
  m.mutable_training()->mutable_optimizer()->set_lr(lr);
  ASSIGN_OR_RETURN(s.batch, args.GetInt("--batch", m.training().batch_size() > 0 ? m.training().batch_size() : 1));
  if (s.batch < 1) return absl::InvalidArgumentError("--batch must be at least 1");
  ASSIGN_OR_RETURN(int64_t seed, args.GetInt("--seed", m.training().seed()));
  s.seed = static_cast<uint64_t>(seed);
  ASSIGN_OR_RETURN(double val_split, args.GetDouble("--val-split", default_val_split));
  if (val_split < 0 || val_split > 1) return absl::InvalidArgumentError("--val-split must be in [0, 1]");
  ASSIGN_OR_RETURN(double test_split, args.GetDouble("--test-split", 0));
  if (test_split < 0 || val_split + test_split > 1) {
    return absl::InvalidArgumentError("--test-split must be 0 or more, and with --val-split at most 1");
  }
  std::optional<Checkpoint> c;  // read once: what the data and the model get is one file
  if (!checkpoint.empty()) {
    ASSIGN_OR_RETURN(c, LoadCheckpoint(checkpoint));
    s.metadata = c->metadata;
  }
  nn::Model model(s.file);
  s.data_options = {s.batch, val_split, s.seed, s.metadata, test_split};
  if (s.world != nullptr) {
    s.data_options.rank = s.world->rank();
    s.data_options.ranks = s.world->size();
  }
  ASSIGN_OR_RETURN(s.data, OpenDataset(model, data_path, s.data_options));
  ASSIGN_OR_RETURN(int threads, ThreadsOption(args));
  ASSIGN_OR_RETURN(s.jit, Jit::Create({.pipeline = args.Get("--pipeline", "default"), .threads = threads}));
  CompileOptions options{.batch = s.batch, .vocab = s.data->vocab(), .streaming = s.data->streams(), .world = s.world};
  ASSIGN_OR_RETURN(s.model, s.jit->Compile(model, options, s.seed));
  if (c) RETURN_IF_ERROR(s.model->LoadCheckpoint(*c, checkpoint));
  return s;
}

}  // namespace loom::cli
