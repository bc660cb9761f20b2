// The loom subcommands. Each takes the arguments after its name and returns the exit
// code; errors go to stderr as one clear line.
#ifndef LOOM_TOOLS_LOOM_COMMANDS_H_
#define LOOM_TOOLS_LOOM_COMMANDS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "frontends/lower.h"
#include "tools/loom/args.h"

namespace loom::cli {

int SummaryCommand(const std::vector<std::string>& argv);
int ParamsCommand(const std::vector<std::string>& argv);
int TrainCommand(const std::vector<std::string>& argv);
int SampleCommand(const std::vector<std::string>& argv);
int EvalCommand(const std::vector<std::string>& argv);
int RunCommand(const std::vector<std::string>& argv);
int PlotCommand(const std::vector<std::string>& argv);
int GradFlowCommand(const std::vector<std::string>& argv);

// Shared: loads a model file and lowers it with --batch and --vocab.
struct LoadedModel {
  frontends::ModelFile file;
  std::unique_ptr<ir::Module> module;
  std::map<std::string, ir::TensorType> value_types;
};
absl::StatusOr<LoadedModel> LoadModel(const std::string& path, const Args& args);

// Prints "loom: error: ..." (or the positioned message as it is) and returns 1.
int Fail(const absl::Status& status);

}  // namespace loom::cli

#endif  // LOOM_TOOLS_LOOM_COMMANDS_H_
