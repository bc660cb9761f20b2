#include <iostream>

#include "frontends/params.h"
#include "support/files.h"
#include "support/status_macros.h"
#include "tools/loom/commands.h"

namespace loom::cli {
namespace {

absl::Status Export(const Args& args) {
  if (args.positional.size() != 3) {
    return absl::InvalidArgumentError("usage: loom params export MODEL.pbtxt DIR [--params CKPT] [--seed N]");
  }
  ASSIGN_OR_RETURN(LoadedModel m, LoadModel(args.positional[1], args));
  Checkpoint params;
  if (args.Has("--params")) {
    ASSIGN_OR_RETURN(Checkpoint ckpt, LoadCheckpoint(args.Get("--params")));
    ASSIGN_OR_RETURN(params, frontends::ParamsFromCheckpoint(*m.module, ckpt, args.Get("--params")));
  } else {
    ASSIGN_OR_RETURN(int64_t seed, args.GetInt("--seed", 0));
    params = frontends::InitialParams(*m.module, seed);
  }
  RETURN_IF_ERROR(frontends::ExportNpyDir(params, args.positional[2]));
  std::cout << "wrote " << params.tensors.size() << " parameters to " << args.positional[2] << "\n";
  return absl::OkStatus();
}

absl::Status Import(const Args& args) {
  if (args.positional.size() != 3 || !args.Has("-o")) {
    return absl::InvalidArgumentError("usage: loom params import MODEL.pbtxt DIR -o CKPT");
  }
  RETURN_IF_ERROR(CheckWritable(args.Get("-o")));
  ASSIGN_OR_RETURN(LoadedModel m, LoadModel(args.positional[1], args));
  ASSIGN_OR_RETURN(Checkpoint params, frontends::ImportNpyDir(*m.module, args.positional[2]));
  RETURN_IF_ERROR(SaveCheckpoint(args.Get("-o"), params));
  std::cout << "wrote " << params.tensors.size() << " parameters to " << args.Get("-o") << "\n";
  return absl::OkStatus();
}

}  // namespace

int ParamsCommand(const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = ParseArgs(argv, {"--params", "--seed", "--vocab", "--batch", "-o"}, {});
  if (!args.ok()) return Fail(args.status());
  std::string verb = args->positional.empty() ? "" : args->positional[0];
  absl::Status s = verb == "export"   ? Export(*args)
                   : verb == "import" ? Import(*args)
                                      : absl::InvalidArgumentError("usage: loom params export|import ...");
  return s.ok() ? 0 : Fail(s);
}

}  // namespace loom::cli
