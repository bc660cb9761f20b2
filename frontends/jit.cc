#include "frontends/jit.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "compiler/autodiff/train_step.h"
#include "compiler/passes/pass_manager.h"
#include "frontends/params.h"
#include "frontends/training.h"
#include "ir/interpreter.h"
#include "ir/printer.h"
#include "support/memory.h"
#include "support/status_macros.h"

namespace loom {

absl::StatusOr<std::unique_ptr<Jit>> Jit::Create(JitOptions options) {
  auto jit = std::unique_ptr<Jit>(new Jit());
  jit->options_ = std::move(options);
  ASSIGN_OR_RETURN(jit->engine_, codegen::JitEngine::Create());
  return jit;
}

absl::StatusOr<std::shared_ptr<const codegen::Executable>> Jit::Executable(const ir::Module& module,
                                                                          const std::string& function) {
  std::string key = absl::StrCat(function, "\n", ir::Print(module));
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  ASSIGN_OR_RETURN(std::shared_ptr<const codegen::Executable> e, codegen::CompileExecutable(*engine_, module, function, options_.pipeline));
  cache_[key] = e;
  return e;
}

absl::StatusOr<std::unique_ptr<ir::Module>> LowerForCompilation(const frontends::ModelFile& file,
                                                                const frontends::LowerOptions& options,
                                                                const std::string& pipeline) {
  ASSIGN_OR_RETURN(std::unique_ptr<ir::Module> module, frontends::LowerModel(file, options));
  if (file.model.has_loss() && file.model.training().has_optimizer()) {
    if (absl::StrContains(pipeline, "hoist-input-projection")) {
      passes::PassManager hoist({.verify_each = false});
      RETURN_IF_ERROR(hoist.AddPipeline("hoist-input-projection,dce"));
      RETURN_IF_ERROR(hoist.Run(*module));
    }
    ASSIGN_OR_RETURN(autodiff::TrainStepOptions train, frontends::TrainStepOptionsFor(file));
    RETURN_IF_ERROR(autodiff::AddTrainStep(*module, train).status());
  }
  return module;
}

absl::StatusOr<std::unique_ptr<CompiledModel>> Jit::Compile(const frontends::ModelFile& file,
                                                            const frontends::LowerOptions& options, uint64_t seed) {
  frontends::LowerOptions lower = options;
  std::map<std::string, int64_t> length_limits;
  lower.length_limits = &length_limits;
  ASSIGN_OR_RETURN(std::unique_ptr<ir::Module> module, LowerForCompilation(file, lower, options_.pipeline));
  uint64_t bytes = 0;
  for (const ir::Global& g : module->globals()) {
    bytes = AddBytes(bytes, ByteSize(g.type.dtype, g.type.shape));
  }
  RETURN_IF_ERROR(CheckAllocation(absl::StrCat("model '", module->name(), "', parameters and state"), bytes));
  return std::unique_ptr<CompiledModel>(new CompiledModel(*this, std::move(module), seed, std::move(length_limits)));
}

absl::StatusOr<std::unique_ptr<CompiledModel>> Jit::Compile(const nn::Model& model,
                                                            const frontends::LowerOptions& options, uint64_t seed) {
  return Compile(frontends::FromProto(model.description(), model.description().name()), options, seed);
}

CompiledModel::CompiledModel(Jit& jit, std::unique_ptr<ir::Module> module, uint64_t seed,
                             std::map<std::string, int64_t> length_limits)
    : jit_(jit), module_(std::move(module)), length_limits_(std::move(length_limits)) {
  for (const ir::Global& g : module_->globals()) globals_.emplace(g.name, ir::InitialValue(g, seed));
}

absl::StatusOr<codegen::CompiledFunction*> CompiledModel::Function(const std::string& name) {
  auto it = functions_.find(name);
  if (it != functions_.end()) return it->second.get();
  if (module_->FindFunction(name) == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "model '", module_->name(), "' has no @", name,
        name == "train_step" ? " (it needs a loss and an optimizer)"
        : name == "step"     ? " (compile it with LowerOptions::streaming)"
                             : ""));
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const codegen::Executable> e, jit_.Executable(*module_, name));
  ASSIGN_OR_RETURN(std::unique_ptr<codegen::CompiledFunction> f,
                   codegen::CompiledFunction::Create(std::move(e), absl::StrCat("model '", module_->name(), "' @", name)));
  return (functions_[name] = std::move(f)).get();
}

absl::Status CompiledModel::CheckLengths(const std::string& function, const std::vector<Tensor>& inputs) const {
  if (length_limits_.empty()) return absl::OkStatus();
  const ir::Function* f = module_->FindFunction(function);
  if (f == nullptr) return absl::OkStatus();  // Function() says so
  const auto& args = f->body().arguments();
  for (size_t i = 0; i < inputs.size() && i < args.size(); ++i) {
    auto limit = length_limits_.find(args[i]->name_hint());
    if (limit == length_limits_.end() || IsFloat(inputs[i].dtype())) continue;
    for (int64_t k = 0; k < inputs[i].num_elements(); ++k) {
      double length = inputs[i].GetDouble(k);
      if (!(length >= 1 && length <= static_cast<double>(limit->second))) {
        return absl::InvalidArgumentError(absl::StrCat("input '", limit->first, "': length ", length, " (element ", k,
                                                       ") must be 1 to ", limit->second,
                                                       ", the time steps there are (as PyTorch's "
                                                       "pack_padded_sequence requires)"));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Tensor>> CompiledModel::Forward(const std::vector<Tensor>& inputs) {
  ASSIGN_OR_RETURN(codegen::CompiledFunction * f, Function("forward"));
  RETURN_IF_ERROR(CheckLengths("forward", inputs));
  return f->Run(inputs, globals_, params_version_);
}

absl::StatusOr<float> CompiledModel::TrainStep(const std::vector<Tensor>& batch) {
  ASSIGN_OR_RETURN(codegen::CompiledFunction * f, Function("train_step"));
  RETURN_IF_ERROR(CheckLengths("train_step", batch));
  absl::StatusOr<std::vector<Tensor>> loss = f->Run(batch, globals_, params_version_);
  ParametersChanged();  // by the update (or partly, by a run that failed)
  if (!loss.ok()) return loss.status();
  return static_cast<float>((*loss)[0].GetDouble(0));
}

absl::StatusOr<std::vector<Tensor>> CompiledModel::Step(const std::vector<Tensor>& inputs) {
  ASSIGN_OR_RETURN(codegen::CompiledFunction * f, Function("step"));
  RETURN_IF_ERROR(CheckLengths("step", inputs));
  return f->Run(inputs, globals_, params_version_);
}

absl::StatusOr<std::string> CompiledModel::ExplainNonFinite(const std::vector<Tensor>& batch,
                                                           const codegen::CompiledFunction::Globals& before) const {
  const ir::Function* f = module_->FindFunction("train_step");
  if (f == nullptr) return absl::FailedPreconditionError(absl::StrCat("model '", module_->name(), "' has no @train_step"));
  ir::Interpreter interpreter(*module_);
  for (const auto& [name, value] : before) RETURN_IF_ERROR(interpreter.SetGlobal(name, value));
  interpreter.set_detect_anomaly(true);
  absl::StatusOr<std::vector<Tensor>> loss = interpreter.Run("train_step", batch);
  const ir::Interpreter::Anomaly& a = interpreter.anomaly();
  if (a.op == nullptr) {
    if (!loss.ok()) return loss.status();
    return std::string("the reference interpreter computes this step without a NaN or an infinity");
  }
  std::string where;
  for (int64_t t : a.scan_steps) absl::StrAppend(&where, where.empty() ? " at time step " : ", then ", t);
  return absl::StrCat("the first non-finite value (", a.value, ") is produced by '", a.op->name(), "'", where,
                      " in @train_step: ", ir::PrintOpLine(*f, *a.op));
}

namespace {
bool IsCarried(const ir::Global& g) {
  return !g.trainable && (absl::EndsWith(g.name, ".h_n") || absl::EndsWith(g.name, ".c_n"));
}
}  // namespace

void CompiledModel::ResetState() {
  for (const ir::Global& g : module_->globals()) {
    if (IsCarried(g)) globals_[g.name] = Tensor(g.type.dtype, g.type.shape);
  }
}

std::map<std::string, Tensor> CompiledModel::CarriedState() const {
  std::map<std::string, Tensor> state;
  for (const ir::Global& g : module_->globals()) {
    if (IsCarried(g)) state.emplace(g.name, globals_.at(g.name));
  }
  return state;
}

void CompiledModel::SetCarriedState(const std::map<std::string, Tensor>& state) {
  for (const auto& [name, t] : state) globals_[name] = t;
  ParametersChanged();  // the names are the caller's: they may be parameters
}

std::vector<std::string> CompiledModel::ParameterNames() const {
  std::vector<std::string> names;
  for (const ir::Global& g : module_->globals()) {
    if (g.trainable) names.push_back(g.name);
  }
  return names;
}

absl::StatusOr<Tensor> CompiledModel::Parameter(const std::string& name) const {
  const ir::Global* g = module_->FindGlobal(name);
  if (g == nullptr || !g->trainable) return absl::NotFoundError(absl::StrCat("no parameter ", name));
  return globals_.at(name);
}

absl::Status CompiledModel::SetParameter(const std::string& name, Tensor value) {
  const ir::Global* g = module_->FindGlobal(name);
  if (g == nullptr || !g->trainable) return absl::NotFoundError(absl::StrCat("no parameter ", name));
  if (ir::TypeOf(value) != g->type) {
    return absl::InvalidArgumentError(absl::StrCat("parameter ", name, " is ", g->type.ToString(), ", got ",
                                                   ir::TypeOf(value).ToString()));
  }
  globals_[name] = std::move(value);
  ParametersChanged();
  return absl::OkStatus();
}

absl::Status CompiledModel::SaveCheckpoint(const std::string& path,
                                          const std::map<std::string, std::string>& metadata) const {
  Checkpoint c;
  c.model = module_->name();
  c.metadata = metadata;
  for (const ir::Global& g : module_->globals()) c.tensors.emplace_back(g.name, globals_.at(g.name));
  return loom::SaveCheckpoint(path, c);
}

absl::StatusOr<std::map<std::string, std::string>> CompiledModel::LoadCheckpoint(const std::string& path) {
  ASSIGN_OR_RETURN(Checkpoint c, loom::LoadCheckpoint(path));
  RETURN_IF_ERROR(LoadCheckpoint(c, path));
  return c.metadata;
}

absl::Status CompiledModel::LoadCheckpoint(const Checkpoint& c, const std::string& name) {
  ASSIGN_OR_RETURN(Checkpoint params, frontends::ParamsFromCheckpoint(*module_, c, name));
  for (auto& [name, t] : params.tensors) globals_[name] = std::move(t);
  // Optimizer state and counters come along when the checkpoint has them.
  for (const ir::Global& g : module_->globals()) {
    if (g.trainable) continue;
    if (const Tensor* t = c.Find(g.name); t && ir::TypeOf(*t) == g.type) globals_[g.name] = *t;
  }
  ParametersChanged();
  return absl::OkStatus();
}

}  // namespace loom
