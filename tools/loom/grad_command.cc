// loom grad MODEL --input x.npy[,...] --output-grads DIR: the gradient of the model's
// loss (its @loss, on the model's inputs and target) — or, with --seed-grads, the
// vector–Jacobian product of its forward with given cotangents on named values, as
// torch.autograd.grad takes grad_outputs — with respect to every parameter and every
// float input, written as .npy for a check against another framework. Compiled by the
// JIT; --reference runs the reference interpreter instead.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "compiler/autodiff/gradients.h"
#include "compiler/codegen/jit_engine.h"
#include "compiler/pipeline/compile.h"
#include "frontends/lower.h"
#include "frontends/params.h"
#include "ir/interpreter.h"
#include "loom/checkpoint.h"
#include "runtime/data/vocabulary_size.h"
#include "runtime/npy.h"
#include "support/file_name.h"
#include "support/files.h"
#include "support/status_macros.h"
#include "tools/loom/batch.h"
#include "tools/loom/commands.h"

namespace loom::cli {
namespace {

struct Seed {
  std::string value, path;
};

absl::StatusOr<std::vector<Seed>> ParseSeeds(const std::string& text) {
  std::vector<Seed> seeds;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(item, absl::MaxSplits('=', 1));
    if (kv.first.empty() || kv.second.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("--seed-grads takes NAME=FILE.npy[,...], got '", item, "'"));
    }
    seeds.push_back({kv.first, kv.second});
  }
  return seeds;
}

absl::Status Grad(const Args& args) {
  std::string dir = args.Get("--output-grads");
  ASSIGN_OR_RETURN(frontends::ModelFile file, frontends::LoadModelFile(args.positional[0]));
  ASSIGN_OR_RETURN(std::vector<Seed> seeds, ParseSeeds(args.Get("--seed-grads")));
  bool vjp = !seeds.empty();
  if (!vjp && !file.model.has_loss()) {
    return absl::InvalidArgumentError("the model has no loss: give --seed-grads NAME=FILE.npy for its outputs");
  }
  if (vjp) {  // the forward returns the seeded values, in the order given
    file.model.clear_output();
    for (const Seed& s : seeds) file.model.add_output(s.value);
  }
  // The inputs: the forward's (the model's less the loss's target) for a product with
  // cotangents, all of the model's for its loss.
  std::vector<const frontends::proto::Input*> wanted;
  for (const auto& in : file.model.input()) {
    if (!vjp || in.name() != file.model.loss().target()) wanted.push_back(&in);
  }
  std::vector<std::string> in_paths = absl::StrSplit(args.Get("--input"), ',', absl::SkipEmpty());
  if (in_paths.size() != wanted.size()) {
    return absl::InvalidArgumentError(absl::StrCat("the ", vjp ? "forward" : "loss", " takes ", wanted.size(),
                                                   " inputs, --input names ", in_paths.size()));
  }
  std::vector<Tensor> inputs;
  for (const std::string& p : in_paths) {
    ASSIGN_OR_RETURN(Tensor t, ReadNpy(p));
    inputs.push_back(std::move(t));
  }
  frontends::LowerOptions options;
  ASSIGN_OR_RETURN(options.batch, BatchOf(args, wanted, inputs));
  ASSIGN_OR_RETURN(options.vocab, args.GetInt("--vocab", 0));
  std::optional<Checkpoint> ckpt;
  if (args.Has("--params")) {
    ASSIGN_OR_RETURN(ckpt, LoadCheckpoint(args.Get("--params")));
    if (options.vocab == 0) options.vocab = data::VocabularySize(ckpt->metadata);
  }
  ASSIGN_OR_RETURN(std::unique_ptr<ir::Module> module, frontends::LowerModel(file, options));
  std::string function = "loss";
  if (vjp) {
    ASSIGN_OR_RETURN(ir::Function * dot, autodiff::AddCotangentDot(*module, "forward"));
    function = dot->name();
    for (const Seed& s : seeds) {
      ASSIGN_OR_RETURN(Tensor t, ReadNpy(s.path));
      inputs.push_back(std::move(t));
    }
  }
  ASSIGN_OR_RETURN(ir::Function * grad,
                   autodiff::AddGradientFunction(*module, {.function = function, .input_grads = true}));
  std::vector<ir::TensorType> types = grad->input_types();
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (ir::TypeOf(inputs[i]) != types[i]) {
      bool cotangent = i >= wanted.size();
      std::string what = cotangent ? absl::StrCat("the cotangent of '", seeds[i - wanted.size()].value, "'")
                                   : absl::StrCat("input '", wanted[i]->name(), "'");
      std::string path = cotangent ? seeds[i - wanted.size()].path : in_paths[i];
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": ", what, " must be ", types[i].ToString(), ", got ", ir::TypeOf(inputs[i]).ToString()));
    }
  }
  ASSIGN_OR_RETURN(int64_t seed, args.GetInt("--seed", 1));
  ir::Interpreter interpreter(*module, static_cast<uint64_t>(seed));
  for (const auto& [name, value] : file.values) RETURN_IF_ERROR(interpreter.SetGlobal(name, value));  // ONNX weights
  if (ckpt) {
    ASSIGN_OR_RETURN(Checkpoint params, frontends::ParamsFromCheckpoint(*module, *ckpt, args.Get("--params")));
    for (auto& [name, t] : params.tensors) RETURN_IF_ERROR(interpreter.SetGlobal(name, std::move(t)));
  }
  std::vector<Tensor> out;
  if (args.Has("--reference")) {
    ASSIGN_OR_RETURN(out, interpreter.Run(grad->name(), inputs));
  } else {
    ASSIGN_OR_RETURN(auto engine, codegen::JitEngine::Create());
    ASSIGN_OR_RETURN(auto compiled, pipeline::CompileFunction(*engine, *module, grad->name()));
    codegen::CompiledFunction::Globals globals = interpreter.globals();
    ASSIGN_OR_RETURN(out, compiled->Run(inputs, globals));
  }
  // Results: the loss, each parameter's gradient, each float argument's (the cotangents
  // last: their gradients are the seeded values themselves, not written).
  Checkpoint grads;
  size_t k = 1;
  for (const ir::Global& g : module->globals()) {
    if (g.trainable) grads.tensors.emplace_back(g.name, std::move(out[k++]));
  }
  RETURN_IF_ERROR(frontends::ExportNpyDir(grads, dir));
  RETURN_IF_ERROR(CreateDirectories(dir + "/inputs"));
  int written = 0;
  for (size_t i = 0; i < wanted.size(); ++i) {
    if (!IsFloat(types[i].dtype)) continue;
    RETURN_IF_ERROR(WriteNpy(absl::StrCat(dir, "/inputs/", FileNameFor(wanted[i]->name()), ".npy"), out[k++]));
    ++written;
  }
  RETURN_IF_ERROR(WriteNpy(dir + "/loss.npy", out[0]));
  std::cout << (vjp ? "<forward, cotangents> " : "loss ") << out[0].GetDouble(0) << "; wrote " << grads.tensors.size()
            << " parameter gradients to " << dir << ", " << written << " input gradients to " << dir << "/inputs\n";
  return absl::OkStatus();
}

}  // namespace

int GradCommand(const Args& args) {
  absl::Status s = Grad(args);
  return s.ok() ? 0 : Fail(s);
}

}  // namespace loom::cli
