// loom gradflow MODEL [--compare OTHER] [-o OUT.svg]: how far the loss's gradient reaches
// back in time. For each model, ‖∂L/∂h_t‖ — the norm of the loss's gradient with respect
// to the recurrent state at step t — for every step of its first recurrent layer, on
// one batch (random inputs from --seed, or the first batch of --data), plotted on a
// log scale: a vanilla RNN's falls off by orders of magnitude where an LSTM's does not.
#include <iostream>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "compiler/autodiff/gradients.h"
#include "compiler/pipeline/compile.h"
#include "frontends/lower.h"
#include "ir/interpreter.h"
#include "loom/data.h"
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

absl::StatusOr<Series> Flow(codegen::JitEngine& engine, const std::string& path, const Args& args) {
  ASSIGN_OR_RETURN(frontends::ModelFile file, frontends::LoadModelFile(path));
  ASSIGN_OR_RETURN(int64_t seed, args.GetInt("--seed", 1));
  frontends::LowerOptions options;
  ASSIGN_OR_RETURN(options.batch, args.GetInt("--batch", std::max<int64_t>(1, file.model.training().batch_size())));
  ASSIGN_OR_RETURN(options.vocab, args.GetInt("--vocab", 65));
  std::unique_ptr<Dataset> data;
  if (args.Has("--data")) {
    ASSIGN_OR_RETURN(
        data, OpenDataset(nn::Model(file), args.Get("--data"), {options.batch, 0.0, static_cast<uint64_t>(seed), {}}));
    if (data->vocab() > 0) options.vocab = data->vocab();
  }
  ASSIGN_OR_RETURN(std::unique_ptr<ir::Module> module, frontends::LowerModel(file, options));
  ASSIGN_OR_RETURN(ir::Function * grad, autodiff::AddGradientFunction(*module, {.gradient_flow = true}));
  std::vector<Tensor> inputs = data ? data->Batch(0, 0) : RandomInputs(*grad, options.vocab, seed);
  ASSIGN_OR_RETURN(auto compiled, pipeline::CompileFunction(engine, *module, grad->name()));
  codegen::CompiledFunction::Globals globals = ir::Interpreter(*module, seed).globals();
  ASSIGN_OR_RETURN(std::vector<Tensor> out, compiled->Run(inputs, globals));
  int64_t params = 0;
  for (const ir::Global& g : module->globals()) params += g.trainable;
  if (static_cast<int64_t>(out.size()) <= 1 + params) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": the model has no recurrent layer"));
  }
  const Tensor& flow = out[1 + params];  // the first scan's norms, after the loss and the gradients
  Series s{file.model.name(), {}, {}};
  for (int64_t t = 0; t < flow.num_elements(); ++t) {
    s.x.push_back(static_cast<double>(t));
    s.y.push_back(flow.GetDouble(t));
  }
  std::cout << absl::StrFormat("%s: |dL/dh_t| from %.3g at the last step to %.3g at the first (ratio %.3g)\n", s.name,
                               s.y.back(), s.y.front(), s.y.front() / s.y.back());
  return s;
}

absl::Status GradFlow(const Args& args) {
  RETURN_IF_ERROR(CheckWritable(args.Get("-o", "gradflow.svg")));  // before any work
  ASSIGN_OR_RETURN(auto engine, codegen::JitEngine::Create());
  Chart chart{"Gradient flow through time", "time step t", "|dL/dh_t|", true, {}};
  for (const std::string& path : {args.positional[0], args.Get("--compare")}) {
    if (path.empty()) continue;
    ASSIGN_OR_RETURN(Series s, Flow(*engine, path, args));
    chart.series.push_back(std::move(s));
  }
  std::string out = args.Get("-o", "gradflow.svg");
  RETURN_IF_ERROR(WriteFileAtomically(out, RenderSvg({chart})));
  std::cout << "wrote " << out << "\n";
  return absl::OkStatus();
}

}  // namespace

int GradFlowCommand(const Args& args) {
  absl::Status s = GradFlow(args);
  return s.ok() ? 0 : Fail(s);
}

}  // namespace loom::cli
