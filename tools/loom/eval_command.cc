// loom eval CKPT --data PATH: the trained model's metric on a whole data file (accuracy,
// bits per character, or mean squared error next to the repeat-last baseline), read
// with the vocabulary and normalization the model was trained with.
#include <iostream>

#include "support/status_macros.h"
#include "tools/loom/commands.h"
#include "tools/loom/session.h"
#include "tools/loom/threads.h"

namespace loom::cli {
namespace {

absl::Status Eval(const Args& args) {
  RETURN_IF_ERROR(ThreadsOption(args).status());  // checked before the work, used by OpenSession
  const std::string& path = args.positional[0];
  ASSIGN_OR_RETURN(frontends::ModelFile file, ModelOfCheckpoint(path));
  ASSIGN_OR_RETURN(Session s, OpenSession(std::move(file), args.Get("--data"), args, path, /*val_split=*/1.0));
  ASSIGN_OR_RETURN(Metric m, s.data->Validate(*s.model));
  std::cout << args.Get("--data") << ": " << m.text.substr(m.text.find(' ') + 1) << "\n";
  return absl::OkStatus();
}

}  // namespace

int EvalCommand(const Args& args) {
  absl::Status s = Eval(args);
  return s.ok() ? 0 : Fail(s);
}

}  // namespace loom::cli
