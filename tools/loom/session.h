// A model file made ready for a data file, for `loom train` and `loom eval`: --seq and
// --lr applied to the description, the data opened to the model's shapes (with the
// vocabulary of a checkpoint when there is one), then lowered with the data's
// vocabulary and compiled by the JIT.
#ifndef LOOM_TOOLS_LOOM_SESSION_H_
#define LOOM_TOOLS_LOOM_SESSION_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "frontends/model_file.h"
#include "loom/data.h"
#include "loom/jit.h"
#include "tools/common/flags.h"

namespace loom::cli {

using flags::Args;

struct Session {
  frontends::ModelFile file;
  std::unique_ptr<Dataset> data;
  std::unique_ptr<Jit> jit;
  std::unique_ptr<CompiledModel> model;
  int64_t batch = 1;
  uint64_t seed = 1;
  // The checkpoint's metadata when one was loaded (--resume, --params).
  std::map<std::string, std::string> metadata;
  // How the data was opened (--val-split, --test-split), for the test set at the end.
  DataOptions data_options;
  // A data-parallel run's (null or of one: this process alone); `batch` is per rank.
  std::shared_ptr<World> world;
};

// `checkpoint` (may be empty) is loaded into the model, and its vocabulary used.
// `val_split` 1 holds out all the data (evaluation).
// With a `world` of several ranks, this process trains on its rows of each batch.
absl::StatusOr<Session> OpenSession(frontends::ModelFile file, const std::string& data_path, const Args& args,
                                    const std::string& checkpoint, double default_val_split = 0.1,
                                    std::shared_ptr<World> world = nullptr);

// The model description a checkpoint from `loom train` carries.
absl::StatusOr<frontends::ModelFile> ModelOfCheckpoint(const std::string& path);

}  // namespace loom::cli

#endif  // LOOM_TOOLS_LOOM_SESSION_H_
