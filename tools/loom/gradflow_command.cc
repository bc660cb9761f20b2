// loom gradflow MODEL [--params CKPT] [--compare OTHER] [--layer NAME] [-o OUT.svg]
// [--csv OUT.csv]: how far the loss's gradient reaches back in time. For each model,
// ‖∂L/∂h_t‖ — the norm of the loss's gradient with respect to the recurrent state at step
// t — for every step of every recurrent layer (each direction of each stacked layer), on
// one batch (random inputs from --seed, or the first batch of --data), with freshly
// initialized or trained weights, plotted on a log scale: a vanilla RNN's falls off by
// orders of magnitude where an LSTM's does not.
#include <iostream>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "compiler/autodiff/gradients.h"
#include "compiler/pipeline/compile.h"
#include "frontends/lower.h"
#include "frontends/params.h"
#include "ir/interpreter.h"
#include "loom/checkpoint.h"
#include "loom/data.h"
#include "runtime/data/vocabulary_size.h"
#include "support/files.h"
#include "support/status_macros.h"
#include "tools/loom/commands.h"
#include "tools/loom/svg_plot.h"

namespace loom::cli {
namespace {

// Inputs of `fn` drawn from `seed`: floats uniform in [-1, 1), integers in [0, vocab).
std::vector<Tensor> RandomInputs(const ir::Function& fn, int64_t vocab, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Tensor> inputs;
  for (const ir::TensorType& t : fn.input_types()) {
    Tensor x(t.dtype, t.shape);
    for (int64_t i = 0; i < x.num_elements(); ++i) {
      x.SetDouble(i, IsFloat(t.dtype) ? std::uniform_real_distribution<double>(-1, 1)(rng)
                                      : static_cast<double>(rng() % std::max<int64_t>(vocab, 2)));
    }
    inputs.push_back(std::move(x));
  }
  return inputs;
}

// One series per recurrent layer of the model at `path` (those under --layer).
absl::StatusOr<std::vector<Series>> Flow(codegen::JitEngine& engine, const std::string& path, const std::string& params,
                                         const Args& args) {
  ASSIGN_OR_RETURN(frontends::ModelFile file, frontends::LoadModelFile(path));
  ASSIGN_OR_RETURN(int64_t seed, args.GetInt("--seed", 1));
  frontends::LowerOptions options;
  ASSIGN_OR_RETURN(options.batch, args.GetInt("--batch", std::max<int64_t>(1, file.model.training().batch_size())));
  ASSIGN_OR_RETURN(options.vocab, args.GetInt("--vocab", 65));
  std::optional<Checkpoint> ckpt;
  if (!params.empty()) {
    ASSIGN_OR_RETURN(ckpt, LoadCheckpoint(params));
    if (!args.Has("--vocab") && data::VocabularySize(ckpt->metadata) > 0) {
      options.vocab = data::VocabularySize(ckpt->metadata);
    }
  }
  std::unique_ptr<Dataset> data;
  if (args.Has("--data")) {
    ASSIGN_OR_RETURN(data, OpenDataset(nn::Model(file), args.Get("--data"),
                                       {options.batch, 0.0, static_cast<uint64_t>(seed),
                                        ckpt ? ckpt->metadata : std::map<std::string, std::string>{}}));
    if (data->vocab() > 0) options.vocab = data->vocab();
  }
  ASSIGN_OR_RETURN(std::unique_ptr<ir::Module> module, frontends::LowerModel(file, options));
  std::vector<std::string> labels = autodiff::FlowLabels(*module->FindFunction("loss"));
  if (labels.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": the model has no recurrent layer"));
  ASSIGN_OR_RETURN(ir::Function * grad, autodiff::AddGradientFunction(*module, {.gradient_flow = true}));
  std::vector<Tensor> inputs = data ? data->Batch(0, 0) : RandomInputs(*grad, options.vocab, seed);
  ASSIGN_OR_RETURN(auto compiled, pipeline::CompileFunction(engine, *module, grad->name()));
  ir::Interpreter initial(*module, seed);
  for (const auto& [name, value] : file.values) RETURN_IF_ERROR(initial.SetGlobal(name, value));  // ONNX weights
  if (ckpt) {
    ASSIGN_OR_RETURN(Checkpoint trained, frontends::ParamsFromCheckpoint(*module, *ckpt, params));
    for (auto& [name, t] : trained.tensors) RETURN_IF_ERROR(initial.SetGlobal(name, std::move(t)));
  }
  codegen::CompiledFunction::Globals globals = initial.globals();
  ASSIGN_OR_RETURN(std::vector<Tensor> out, compiled->Run(inputs, globals));
  size_t first = 1;  // after the loss, the parameters' gradients, then a flow per scan
  for (const ir::Global& g : module->globals()) first += g.trainable;
  std::vector<Series> series;
  std::string layer = args.Get("--layer");
  for (size_t i = 0; i < labels.size(); ++i) {
    if (!layer.empty() && labels[i].substr(0, labels[i].find('.')) != layer && labels[i] != layer) continue;
    const Tensor& flow = out[first + i];
    Series s{absl::StrCat(file.model.name(), " ", labels[i]), {}, {}};
    for (int64_t t = 0; t < flow.num_elements(); ++t) {
      s.x.push_back(static_cast<double>(t));
      s.y.push_back(flow.GetDouble(t));
    }
    std::cout << absl::StrFormat("%s: |dL/dh_t| from %.3g at the last step to %.3g at the first (ratio %.3g)\n", s.name,
                                 s.y.back(), s.y.front(), s.y.front() / s.y.back());
    series.push_back(std::move(s));
  }
  if (series.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": no recurrent layer '", layer, "' (it has ", absl::StrJoin(labels, ", "), ")"));
  }
  return series;
}

// step, then one column per series.
std::string Csv(const std::vector<Series>& series) {
  std::string out = "step";
  size_t steps = 0;
  for (const Series& s : series) {
    absl::StrAppend(&out, ",", s.name);
    steps = std::max(steps, s.y.size());
  }
  out += "\n";
  for (size_t t = 0; t < steps; ++t) {
    absl::StrAppend(&out, t);
    for (const Series& s : series) {
      absl::StrAppend(&out, ",");
      if (t < s.y.size()) absl::StrAppendFormat(&out, "%.9g", s.y[t]);
    }
    out += "\n";
  }
  return out;
}

absl::Status GradFlow(const Args& args) {
  RETURN_IF_ERROR(CheckWritable(args.Get("-o", "gradflow.svg")));  // before any work
  if (args.Has("--csv")) RETURN_IF_ERROR(CheckWritable(args.Get("--csv")));
  ASSIGN_OR_RETURN(auto engine, codegen::JitEngine::Create());
  Chart chart{"Gradient flow through time", "time step t", "|dL/dh_t|", true, {}};
  for (const auto& [path, params] : {std::pair{args.positional[0], args.Get("--params")},
                                     std::pair{args.Get("--compare"), args.Get("--compare-params")}}) {
    if (path.empty()) continue;
    ASSIGN_OR_RETURN(std::vector<Series> s, Flow(*engine, path, params, args));
    chart.series.insert(chart.series.end(), s.begin(), s.end());
  }
  std::string out = args.Get("-o", "gradflow.svg");
  RETURN_IF_ERROR(WriteFileAtomically(out, RenderSvg({chart})));
  std::cout << "wrote " << out << "\n";
  if (args.Has("--csv")) {
    RETURN_IF_ERROR(WriteFileAtomically(args.Get("--csv"), Csv(chart.series)));
    std::cout << "wrote " << args.Get("--csv") << "\n";
  }
  return absl::OkStatus();
}

}  // namespace

int GradFlowCommand(const Args& args) {
  absl::Status s = GradFlow(args);
  return s.ok() ? 0 : Fail(s);
}

}  // namespace loom::cli
