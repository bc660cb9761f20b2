#include <iostream>

#include "frontends/params.h"
#include "support/files.h"
#include "support/status_macros.h"
#include "tools/loom/commands.h"

namespace loom::cli {
namespace {

absl::Status Export(const Args& args) {
  ASSIGN_OR_RETURN(LoadedModel m, LoadModel(args.positional[1], args));
  Checkpoint params;
  if (args.Has("--params")) {
    ASSIGN_OR_RETURN(Checkpoint ckpt, LoadCheckpoint(args.Get("--params")));
    ASSIGN_OR_RETURN(params, frontends::ParamsFromCheckpoint(*m.module, ckpt, args.Get("--params")));
  } else {
    ASSIGN_OR_RETURN(int64_t seed, args.GetInt("--seed", 1));
    params = frontends::InitialParams(*m.module, seed);
  }
  RETURN_IF_ERROR(frontends::ExportNpyDir(params, args.positional[2]));
  std::cout << "wrote " << params.tensors.size() << " parameters to " << args.positional[2] << "\n";
  return absl::OkStatus();
}

absl::Status Import(const Args& args) {
  RETURN_IF_ERROR(CheckWritable(args.Get("-o")));
  ASSIGN_OR_RETURN(LoadedModel m, LoadModel(args.positional[1], args));
  ASSIGN_OR_RETURN(Checkpoint params, frontends::ImportNpyDir(*m.module, args.positional[2]));
  RETURN_IF_ERROR(SaveCheckpoint(args.Get("-o"), params));
  std::cout << "wrote " << params.tensors.size() << " parameters to " << args.Get("-o") << "\n";
  return absl::OkStatus();
}

}  // namespace

int ParamsCommand(const Args& args) {
  const std::string& verb = args.positional[0];
  if (verb != "export" && verb != "import") return UsageError("usage: loom params export|import MODEL.pbtxt DIR ...");
  if (verb == "import" && !args.Has("-o")) return UsageError("loom params import needs -o CKPT");
  absl::Status s = verb == "export" ? Export(args) : Import(args);
  return s.ok() ? 0 : Fail(s);
}

}  // namespace loom::cli
