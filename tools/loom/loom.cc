// loom: the command-line front door: train, evaluate, sample, run, plot, and look at
// models and their parameters.
#include <iostream>

#include "absl/strings/match.h"
#include "compiler/codegen/out_of_memory.h"
#include "compiler/pipeline/pipelines.h"
#include "frontends/lower.h"
#include "support/status_macros.h"
#include "tools/loom/commands.h"

namespace loom::cli {

constexpr char kUsage[] = R"(usage: loom COMMAND [args]     (loom --version: this Loom's and LLVM's versions)

Commands:
  train MODEL.pbtxt --data PATH [--epochs N] [--steps N] [--batch N] [--seq N] [--lr X]
        [--seed N] [--val-split F] [--save CKPT] [--resume CKPT [--other-data]]
        [--threads N] [--detect-anomaly]
      Trains in native code on a data file of the kind the model's loss asks for: a
      UTF-8 text (language model), LABEL<TAB>TEXT lines (classifier) or a CSV time
      series (forecasting). Validates after each epoch; with --save, checkpoints then,
      at the end and on Ctrl-C (or SIGTERM, SIGHUP), and logs CKPT.csv; CKPT.lock keeps
      a second run from writing the same CKPT. --resume continues a run exactly, on the
      data it was trained on (--other-data: on another file anyway), its log cut back
      to the checkpoint. --epochs and --steps count from the start of the run (default:
      one epoch). A NaN or infinite loss, or one a million times the first, stops the
      run; --detect-anomaly also checks the parameters after each step and names the
      first op that produced a NaN or an infinity.
  eval CKPT --data PATH [--batch N]
      The trained model's metric on all of PATH (bits/char, accuracy or mse).
  sample CKPT [--prime TEXT] [--length N] [--temperature T] [--seed N]
      Text from a trained character model (its checkpoint holds the model and alphabet).
  run MODEL.pbtxt --input x.npy[,...] --output y.npy[,...] [--params CKPT] [--vocab N]
      The model's forward on .npy arrays.
  plot RUN.csv [-o OUT.svg]
      The loss and validation curves of a run (the CSV beside its checkpoint).
  gradflow MODEL.pbtxt [--compare OTHER.pbtxt] [--data PATH] [--batch N] [-o OUT.svg]
      |dL/dh_t| against t for the first recurrent layer, on a log scale.
  summary MODEL.pbtxt [--batch N] [--vocab N] [--ir]
      The model as PyTorch prints it, each layer's output shape and parameter count, and
      the total. --ir prints the lowered IR instead.
  params export MODEL.pbtxt DIR [--params CKPT] [--seed N] [--vocab N]
      Writes every parameter as DIR/<state_dict key>.npy (from CKPT, or freshly
      initialized with --seed), for numpy.load / torch.from_numpy. A key with other
      characters than letters, digits, '_', '-' and '.' has them escaped as %XX.
  params import MODEL.pbtxt DIR -o CKPT [--vocab N]
      Reads DIR/<state_dict key>.npy for every parameter (as numpy.save writes them from
      a PyTorch state_dict) and writes a Loom checkpoint.

train, eval, sample and run take --threads N, the threads compiled code runs on, each
its share of every large op (default: the cores this process may use, or
$LOOM_NUM_THREADS; results are the same for every N; a model too small to gain, as the
char-RNN at batch 1, runs on one), and --pipeline NAME, Loom's passes before code
generation:
%PIPELINES%  or a pipeline's name and passes it leaves out (default,-gate-fusion), or a
  comma-separated list of passes (loom-opt --help lists them).
)";

int Fail(const absl::Status& status) {
  absl::string_view m = status.message();
  bool positioned = absl::StrContains(m, ": error: ") || absl::StartsWith(m, "error: ");
  std::cerr << (positioned ? "" : "loom: error: ") << m << "\n";
  return 1;
}

absl::StatusOr<LoadedModel> LoadModel(const std::string& path, const Args& args) {
  LoadedModel m;
  ASSIGN_OR_RETURN(m.file, frontends::LoadModelFile(path));
  frontends::LowerOptions options;
  ASSIGN_OR_RETURN(options.batch, args.GetInt("--batch", 1));
  ASSIGN_OR_RETURN(options.vocab, args.GetInt("--vocab", 0));
  options.value_types = &m.value_types;
  ASSIGN_OR_RETURN(m.module, frontends::LowerModel(m.file, options));
  return m;
}

}  // namespace loom::cli

namespace {

std::string Usage() {
  std::string usage = loom::cli::kUsage;
  usage.replace(usage.find("%PIPELINES%"), 11, loom::pipeline::DescribePipelines("  "));
  return usage;
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "--version") {
    std::cout << "loom " << LOOM_VERSION << " (LLVM " << LOOM_LLVM_VERSION << ")\n";
    return 0;
  }
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << Usage();
    return args.empty() ? 2 : 0;
  }
  std::string command = args[0];
  args.erase(args.begin());
  if (command == "summary") return loom::cli::SummaryCommand(args);
  if (command == "params") return loom::cli::ParamsCommand(args);
  if (command == "train") return loom::cli::TrainCommand(args);
  if (command == "sample") return loom::cli::SampleCommand(args);
  if (command == "eval") return loom::cli::EvalCommand(args);
  if (command == "run") return loom::cli::RunCommand(args);
  if (command == "plot") return loom::cli::PlotCommand(args);
  if (command == "gradflow") return loom::cli::GradFlowCommand(args);
  std::cerr << "loom: unknown command '" << command << "'\n" << Usage();
  return 2;
}

}  // namespace

int main(int argc, char** argv) { return loom::RunReportingOutOfMemory("loom", Main, argc, argv); }
