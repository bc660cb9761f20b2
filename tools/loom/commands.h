// The loom subcommands. Each takes its parsed arguments (loom.cc declares them) and
// returns the exit code; errors go to stderr as one clear line.
#ifndef LOOM_TOOLS_LOOM_COMMANDS_H_
#define LOOM_TOOLS_LOOM_COMMANDS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "frontends/lower.h"
#include "tools/common/flags.h"

namespace loom::cli {

using flags::Args;

int SummaryCommand(const Args& args);
int ParamsCommand(const Args& args);
int TrainCommand(const Args& args);
int SampleCommand(const Args& args);
int EvalCommand(const Args& args);
int RunCommand(const Args& args);
int PlotCommand(const Args& args);
int GradFlowCommand(const Args& args);
int GradCommand(const Args& args);
int ClassifyCommand(const Args& args);

// Shared: loads a model file and lowers it with --batch and --vocab.
struct LoadedModel {
  frontends::ModelFile file;
  std::unique_ptr<ir::Module> module;
  std::map<std::string, ir::TensorType> value_types;
};
absl::StatusOr<LoadedModel> LoadModel(const std::string& path, const Args& args);

// Prints "loom: error: ..." (or the positioned message as it is) and returns 1.
int Fail(const absl::Status& status);
// Prints "loom: error: MESSAGE" and returns 2 (flags.h: a usage error).
int UsageError(const std::string& message);

}  // namespace loom::cli

#endif  // LOOM_TOOLS_LOOM_COMMANDS_H_
