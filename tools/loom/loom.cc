// loom: the command-line front door: train, evaluate, sample, run, plot, and look at
// models and their parameters.
#include <iostream>

#include "compiler/codegen/out_of_memory.h"
#include "compiler/pipeline/pipelines.h"
#include "frontends/lower.h"
#include "support/status_macros.h"
#include "tools/common/sample_flags.h"
#include "tools/loom/commands.h"

namespace loom::cli {

namespace {

using flags::Flag;
using flags::Required;

// Shared by the commands that run compiled code.
const Flag kThreads{"threads", "N", "the cores this process may use, or $LOOM_NUM_THREADS",
                    "threads the compiled code runs on; the results are the same for every N"};
// Loom's passes before code generation, described from the pipeline registry.
Flag PipelineFlag() {
  return {"pipeline", "NAME", "default",
          "Loom's passes before code generation: a pipeline's name, a name and passes it leaves\n"
          "out (default,-gate-fusion), or a comma-separated list of passes (loom-opt --help):\n" +
              pipeline::DescribePipelines("  ")};
}
const Flag kVocab{"vocab", "N", "the data's or the checkpoint's", "the vocabulary size bound to -1 sizes"};

std::vector<Flag> Plus(std::vector<Flag> a, const std::vector<Flag>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<flags::Command> Commands() {
  return {
      {"train",
       "MODEL.pbtxt",
       1,
       1,
       "trains a model on a data file in native code",
       "Trains in native code on a data file of the kind the model's loss asks for: a UTF-8\n"
       "text (language model), LABEL<TAB>TEXT lines (classifier) or a CSV time series\n"
       "(forecasting). Validates after each epoch; with --save, checkpoints then, at the end\n"
       "and on Ctrl-C (or SIGTERM, SIGHUP), and logs CKPT.csv; CKPT.lock keeps a second run\n"
       "from writing the same CKPT. --resume continues a run exactly, on the data it was\n"
       "trained on, its log cut back to the checkpoint. A NaN or infinite loss, or one a\n"
       "million times the first, stops the run. Under mpirun -np N, data-parallel: each\n"
       "process trains on --batch examples of every batch of N x --batch, the gradients\n"
       "summed over the processes; rank 0 prints and saves.\n",
       {Required({"data", "PATH", "", "the data file"}),
        {"epochs", "N", "1, or as many as --steps needs", "epochs from the start of the run"},
        {"steps", "N", "the end of --epochs", "steps from the start of the run"},
        {"batch", "N", "the model's batch_size, or 1", "examples per step"},
        {"seq", "N", "the model's", "the time steps of the data input"},
        {"lr", "X", "the model's optimizer's", "the (base) learning rate"},
        {"lr-schedule", "SPEC", "constant, or the resumed run's",
         "the learning rate by step: constant; step:N:GAMMA (x GAMMA every N steps); exp:GAMMA (x GAMMA\n"
         "every step); cosine:T[:MIN] (a half cosine from the base rate to MIN over T steps)"},
        {"warmup", "N", "0, or the resumed run's", "the rate times (s+1)/N for the first N steps"},
        {"seed", "N", "the model's seed", "initial weights, data order and dropout"},
        {"val-split", "F", "0.1", "the fraction of the data, at its end, that validates"},
        {"test-split", "F", "0 (none)",
         "a fraction after the validation part, held out from both and measured once at the end"},
        {"save", "CKPT", "--resume's file", "where checkpoints go"},
        {"sample-every", "N", "0 (off)", "a character model: print a sample every N steps, as the seed's loop does"},
        {"sample-length", "N", "200", "the characters of each such sample"},
        {"patience", "N", "0 (off)",
         "stop when N validations in a row have not improved on the best, which is kept as CKPT.best"},
        {"resume", "CKPT", "", "continue the run this checkpoint saved"},
        {"other-data", "", "", "with --resume: on another data file anyway"},
        {"detect-anomaly", "", "",
         "check the parameters after each step and name the first op that made a NaN or\n"
         "an infinity"},
        {"rank-timeout", "SECONDS", "300",
         "under mpirun: how long a rank waits for the others before it stops the run"},
        kThreads,
        PipelineFlag()}},
      {"eval",
       "CKPT",
       1,
       1,
       "a trained model's metric on a data file",
       "The trained model's metric on all of PATH (bits/char, accuracy or mse).\n",
       {Required({"data", "PATH", "", "the data file"}),
        {"batch", "N", "the model's batch_size, or 1", "examples per step"},
        kThreads,
        PipelineFlag()}},
      {"sample", "CKPT", 1, 1, "text from a trained character model",
       "Text from a trained character model (its checkpoint holds the model and alphabet).\n",
       Plus(flags::SampleFlags(), {kThreads, PipelineFlag()})},
      {"run",
       "MODEL.pbtxt",
       1,
       1,
       "a model's forward on .npy arrays",
       "The model's forward on .npy arrays.\n",
       {Required({"input", "x.npy[,...]", "", "the inputs, in the model's order"}),
        Required({"output", "y.npy[,...]", "", "where the outputs go, in the model's order"}),
        {"params", "CKPT", "freshly initialized", "the parameters"},
        {"batch", "N", "read off the inputs", "the batch size bound to the model's -1 dimensions"},
        kVocab,
        kThreads,
        PipelineFlag()}},
      {"plot",
       "RUN.csv",
       1,
       1,
       "the loss and validation curves of a run",
       "The loss and validation curves of a run (the CSV beside its checkpoint), as SVG.\n",
       {{"o", "OUT.svg", "RUN.svg", "the output file"}}},
      {"gradflow",
       "MODEL.pbtxt",
       1,
       1,
       "|dL/dh_t| against t for every recurrent layer, on a log scale",
       "|dL/dh_t| against t for every recurrent layer (each direction of each stacked layer), on\n"
       "a log scale with a tick per decade: how far the loss's gradient reaches back in time, on\n"
       "one batch, with freshly initialized or trained weights.\n",
       {{"params", "CKPT", "freshly initialized, from --seed", "trained weights for MODEL"},
        {"layer", "NAME", "every recurrent layer", "only this layer's curves (lstm, or lstm.l1)"},
        {"csv", "OUT.csv", "", "also write the numbers: step, then a column per curve"},
        {"compare", "OTHER.pbtxt", "", "a second model on the same plot"},
        {"compare-params", "CKPT", "freshly initialized, from --seed", "trained weights for OTHER"},
        {"data", "PATH", "random inputs", "the first batch of this data file"},
        {"batch", "N", "the model's batch_size, or 1", "examples in the batch"},
        {"seed", "N", "1", "initial weights and random inputs"},
        {"vocab", "N", "65", "the vocabulary size bound to -1 sizes"},
        {"o", "OUT.svg", "gradflow.svg", "the output file"}}},
      {"classify",
       "CKPT [TEXT...]",
       1,
       1 << 20,
       "a trained text classifier on raw text",
       "A trained text classifier (bce_with_logits over token ids) on raw text, tokenized as its\n"
       "training data was, with the checkpoint's vocabulary (from loom train on labelled text,\n"
       "or attached by loom params import --vocab FILE). Prints one line per text: the label,\n"
       "the probability of label 1, the text, tab-separated.\n",
       {{"file", "FILE", "", "texts to classify, one per line, after those on the command line"},
        kThreads,
        PipelineFlag()}},
      {"grad",
       "MODEL.pbtxt",
       1,
       1,
       "gradients of the loss with respect to parameters and inputs, as .npy",
       "The gradient of the model's loss on the given inputs (and target) with respect to every\n"
       "parameter and every float input — or, with --seed-grads, the vector-Jacobian product of\n"
       "its forward (dropout off) with cotangents for named values, as torch.autograd.grad takes\n"
       "grad_outputs — written as DIR/<state_dict key>.npy, DIR/inputs/<input>.npy and\n"
       "DIR/loss.npy. Compiled by the JIT; --reference runs the reference interpreter.\n",
       {Required({"input", "x.npy[,...]", "", "the inputs, in the model's order (with the target, for the loss)"}),
        Required({"output-grads", "DIR", "", "where the gradients go (made if missing)"}),
        {"params", "CKPT", "freshly initialized, from --seed", "the parameters"},
        {"seed-grads", "NAME=g.npy[,...]", "the model's loss",
         "cotangents for the model's named values (outputs, layer outputs, NAME.h_n)"},
        {"batch", "N", "read off the inputs", "the batch size bound to the model's -1 dimensions"},
        kVocab,
        {"seed", "N", "1", "the initial parameters and dropout"},
        {"reference", "", "", "run the reference interpreter instead of compiled code"}}},
      {"summary",
       "MODEL.pbtxt",
       1,
       1,
       "the model's layers, shapes and parameter counts",
       "The model as PyTorch prints it, each layer's output shape and parameter count, and\n"
       "the total.\n",
       {{"batch", "N", "1", "the batch size bound to -1 dimensions"},
        {"vocab", "N", "0", "the vocabulary size bound to -1 sizes"},
        {"ir", "", "", "print the lowered IR instead"}}},
      {"params",
       "export|import MODEL.pbtxt DIR",
       3,
       3,
       "parameters to and from numpy .npy files",
       "export: writes every parameter as DIR/<state_dict key>.npy (from --params, or freshly\n"
       "initialized with --seed), for numpy.load / torch.from_numpy, and a text classifier's\n"
       "vocabulary as DIR/vocab.txt. A key with other characters than letters, digits, '_',\n"
       "'-' and '.' has them escaped as %XX.\n"
       "import: reads DIR/<state_dict key>.npy for every parameter (as numpy.save writes them\n"
       "from a PyTorch state_dict) and writes a Loom checkpoint to -o.\n",
       {{"params", "CKPT", "freshly initialized", "export: the parameters"},
        {"seed", "N", "1", "export: the initial parameters' seed"},
        {"batch", "N", "1", "the batch size bound to -1 dimensions"},
        {"vocab", "N|FILE", "0",
         "the vocabulary size bound to -1 sizes; for import also a file of tokens, one per line, ids by\n"
         "line (the padding token, the unknown token, then the words), kept in the checkpoint for\n"
         "loom eval and loom classify"},
        {"o", "CKPT", "", "import: the checkpoint to write"}}},
  };
}

const flags::Tool& LoomTool() {
  static const flags::Tool* tool = new flags::Tool(
      "loom", "Trains, evaluates, samples and runs models, and shows models and their parameters.\n", Commands());
  return *tool;
}

}  // namespace

int Fail(const absl::Status& status) { return LoomTool().Fail(status); }
int UsageError(const std::string& message) { return LoomTool().UsageError(message); }

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

int Main(int argc, char** argv) {
  using namespace loom::cli;
  std::variant<Args, int> parsed = LoomTool().Parse(argc, argv);
  if (const int* exit = std::get_if<int>(&parsed)) return *exit;
  const Args& args = std::get<Args>(parsed);
  if (args.command == "summary") return SummaryCommand(args);
  if (args.command == "params") return ParamsCommand(args);
  if (args.command == "train") return TrainCommand(args);
  if (args.command == "sample") return SampleCommand(args);
  if (args.command == "eval") return EvalCommand(args);
  if (args.command == "run") return RunCommand(args);
  if (args.command == "plot") return PlotCommand(args);
  if (args.command == "grad") return GradCommand(args);
  if (args.command == "classify") return ClassifyCommand(args);
  return GradFlowCommand(args);
}

}  // namespace

int main(int argc, char** argv) { return loom::RunReportingOutOfMemory("loom", Main, argc, argv); }
