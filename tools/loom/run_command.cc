// loom run MODEL --params CKPT --input x.npy[,more.npy] --output y.npy[,more.npy]: the
// model's forward on arrays, in native code. The batch is --batch, or read off the first
// input whose shape has one, at the dimension the model declares -1 (the second of a
// sequence-first model's [T, -1, F]); the vocabulary the checkpoint's (or --vocab). A forecasting model from loom train
// takes and gives values in the data's units: the checkpoint's column means and
// deviations standardize the input and undo it on the output.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/internal.h"
#include "frontends/input_values.h"
#include "loom/checkpoint.h"
#include "loom/jit.h"
#include "runtime/data/standardization.h"
#include "runtime/data/vocabulary_size.h"
#include "runtime/npy.h"
#include "support/files.h"
#include "support/status_macros.h"
#include "tools/loom/batch.h"
#include "tools/loom/commands.h"
#include "tools/loom/session.h"
#include "tools/loom/threads.h"

namespace loom::cli {
namespace {

absl::Status RunModel(const Args& args) {
  ASSIGN_OR_RETURN(int threads, ThreadsOption(args));
  ASSIGN_OR_RETURN(frontends::ModelFile file, frontends::LoadModelFile(args.positional[0]));
  std::vector<std::string> in_paths = absl::StrSplit(args.Get("--input"), ',');
  std::vector<std::string> out_paths = absl::StrSplit(args.Get("--output"), ',');
  for (const std::string& p : out_paths) RETURN_IF_ERROR(CheckWritable(p));  // before any work
  std::vector<Tensor> inputs;
  for (const std::string& p : in_paths) {
    ASSIGN_OR_RETURN(Tensor t, ReadNpy(p));
    inputs.push_back(std::move(t));
  }
  // Inputs are the model's, less the loss's target and lengths, in order.
  std::vector<const frontends::proto::Input*> wanted;
  for (const auto& in : file.model.input()) {
    if (in.name() != file.model.loss().target()) wanted.push_back(&in);
  }
  if (inputs.size() != wanted.size()) {
    return absl::InvalidArgumentError(absl::StrCat("the model takes ", wanted.size(), " inputs (",
                                                   wanted.empty() ? "" : wanted[0]->name(),
                                                   wanted.size() > 1 ? ", ..." : "", "), got ", inputs.size()));
  }
  CompileOptions options;
  ASSIGN_OR_RETURN(options.batch, BatchOf(args, wanted, inputs));
  ASSIGN_OR_RETURN(options.vocab, args.GetInt("--vocab", 0));
  std::vector<double> mean, stddev;
  std::optional<Checkpoint> c;  // read once: its metadata and parameters are one file's
  if (args.Has("--params")) {
    ASSIGN_OR_RETURN(c, LoadCheckpoint(args.Get("--params")));
    if (options.vocab == 0) options.vocab = data::VocabularySize(c->metadata);
    ASSIGN_OR_RETURN(std::optional<data::Standardization> s, data::LoadStandardization(c->metadata));
    if (s) {
      mean = s->mean;
      stddev = s->stddev;
    }
  }
  if (!mean.empty()) {
    Tensor& x = inputs[0];
    int64_t f = x.rank() > 0 ? x.shape().back() : 0;
    if (!IsFloat(x.dtype()) || f != static_cast<int64_t>(mean.size())) {
      return absl::InvalidArgumentError(
          absl::StrCat(in_paths[0], ": the model reads ", mean.size(), " features, got ", ir::TypeOf(x).ToString()));
    }
    for (int64_t i = 0; i < x.num_elements(); ++i) x.SetDouble(i, (x.GetDouble(i) - mean[i % f]) / stddev[i % f]);
  }
  ASSIGN_OR_RETURN(auto jit, Jit::Create({.pipeline = args.Get("--pipeline", "default"), .threads = threads}));
  ASSIGN_OR_RETURN(auto model, jit->Compile(nn::Model(file), options, 0));
  std::vector<ir::TensorType> types = model->impl().module->FindFunction("forward")->input_types();
  for (size_t i = 0; i < inputs.size(); ++i) {
    // numpy writes int64 by default, but int32 ids are as good: widened, not refused.
    if (types[i].dtype == DType::kI64 && inputs[i].dtype() == DType::kI32) {
      Tensor wide(DType::kI64, inputs[i].shape());
      for (int64_t k = 0; k < wide.num_elements(); ++k) wide.values<int64_t>()[k] = inputs[i].values<int32_t>()[k];
      inputs[i] = std::move(wide);
    }
    if (ir::TypeOf(inputs[i]) != types[i]) {
      // Say which of the two is wrong: the element type or the shape.
      std::string what = inputs[i].shape() == types[i].shape
                             ? absl::StrCat(" (the element type is wrong: ", DTypeName(inputs[i].dtype()), " for ",
                                            DTypeName(types[i].dtype), ")")
                         : inputs[i].dtype() == types[i].dtype ? " (the shape is wrong)"
                                                               : "";
      return absl::InvalidArgumentError(absl::StrCat(in_paths[i], ": input '", wanted[i]->name(), "' must be ",
                                                     types[i].ToString(), ", got ", ir::TypeOf(inputs[i]).ToString(),
                                                     what));
    }
    if (absl::Status s = frontends::CheckInputValues(file.model, options.vocab, wanted[i]->name(), inputs[i]);
        !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(in_paths[i], ": ", s.message()));
    }
  }
  if (c) RETURN_IF_ERROR(model->LoadCheckpoint(*c, args.Get("--params")));
  ASSIGN_OR_RETURN(std::vector<Tensor> outputs, model->Forward(inputs));
  if (out_paths.size() > outputs.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the model has ", outputs.size(), " outputs, --output names ", out_paths.size()));
  }
  if (!mean.empty() && IsFloat(outputs[0].dtype())) {
    Tensor& y = outputs[0];
    int64_t g = y.rank() > 0 ? y.shape().back() : 1;
    for (int64_t i = 0; i < y.num_elements(); ++i) y.SetDouble(i, y.GetDouble(i) * stddev[i % g] + mean[i % g]);
  }
  for (size_t i = 0; i < out_paths.size(); ++i) {
    RETURN_IF_ERROR(WriteNpy(out_paths[i], outputs[i]));
    std::cout << "wrote " << out_paths[i] << " " << ir::TypeOf(outputs[i]).ToString() << "\n";
  }
  return absl::OkStatus();
}

}  // namespace

int RunCommand(const Args& args) {
  absl::Status s = RunModel(args);
  return s.ok() ? 0 : Fail(s);
}

}  // namespace loom::cli
