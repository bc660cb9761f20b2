#include "loom/jit.h"

#include <cmath>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/internal.h"
#include "compiler/autodiff/gradients.h"
#include "compiler/autodiff/train_step.h"
#include "compiler/pipeline/compile.h"
#include "frontends/model_file.h"
#include "frontends/params.h"
#include "google/protobuf/text_format.h"
#include "ir/interpreter.h"
#include "ir/printer.h"
#include "runtime/thread_pool.h"
#include "support/collectives.h"
#include "support/memory.h"
#include "support/status_macros.h"

namespace loom {

namespace {

absl::StatusOr<std::shared_ptr<const codegen::Executable>> Executable(Jit::Impl& jit, const ir::Module& module,
                                                                      const std::string& function) {
  std::string key = absl::StrCat(function, "\n", ir::Print(module));
  auto it = jit.cache.find(key);
  if (it != jit.cache.end()) return it->second;
  ASSIGN_OR_RETURN(std::shared_ptr<const codegen::Executable> e,
                   pipeline::CompileExecutable(*jit.engine, module, function, jit.pipeline));
  jit.cache[key] = e;
  return e;
}

absl::StatusOr<codegen::CompiledFunction*> Function(CompiledModel::Impl& m, const std::string& name) {
  std::lock_guard<std::mutex> lock(m.jit.impl().mu);
  auto it = m.functions.find(name);
  if (it != m.functions.end()) return it->second.get();
  if (m.module->FindFunction(name) == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("model '", m.module->name(), "' has no @", name,
                                                      name == "train_step" ? " (it needs a loss and an optimizer)"
                                                      : name == "step" ? " (compile it with CompileOptions::streaming)"
                                                                       : ""));
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const codegen::Executable> e, Executable(m.jit.impl(), *m.module, name));
  ASSIGN_OR_RETURN(
      std::unique_ptr<codegen::CompiledFunction> f,
      codegen::CompiledFunction::Create(std::move(e), absl::StrCat("model '", m.module->name(), "' @", name)));
  f->set_collectives(m.collectives);
  return (m.functions[name] = std::move(f)).get();
}

// Compiled code would run with a length outside 1..T (a length of 0 makes the loss
// 0/0): refused first, naming the input.
absl::Status CheckLengths(const CompiledModel::Impl& m, const std::string& function,
                          const std::vector<Tensor>& inputs) {
  if (m.length_limits.empty()) return absl::OkStatus();
  const ir::Function* f = m.module->FindFunction(function);
  if (f == nullptr) return absl::OkStatus();  // Function() says so
  const auto& args = f->body().arguments();
  for (size_t i = 0; i < inputs.size() && i < args.size(); ++i) {
    auto limit = m.length_limits.find(args[i]->name_hint());
    if (limit == m.length_limits.end() || IsFloat(inputs[i].dtype())) continue;
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

absl::StatusOr<std::vector<Tensor>> Run(CompiledModel::Impl& m, const std::string& function,
                                        const std::vector<Tensor>& inputs) {
  ASSIGN_OR_RETURN(codegen::CompiledFunction * f, Function(m, function));
  RETURN_IF_ERROR(CheckLengths(m, function, inputs));
  return f->Run(inputs, m.globals, m.params_version);
}

// What a model refuses while Sessions read its parameters.
absl::Status NoSessions(const CompiledModel::Impl& m, const char* what) {
  if (int n = m.sessions.load(); n > 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("model '", m.module->name(), "' cannot ", what, " while ", n, " session(s) read its parameters"));
  }
  return absl::OkStatus();
}

bool IsCarried(const ir::Global& g) {
  return !g.trainable && (absl::EndsWith(g.name, ".h_n") || absl::EndsWith(g.name, ".c_n"));
}

// Carried state is [layers, batch, size]: a rank's rows of the whole batch's are rows
// rank · batch onwards of axis 1.
int64_t RowBytes(const Tensor& t) { return t.byte_size() / std::max<int64_t>(1, t.shape()[0] * t.shape()[1]); }

// The whole batch's carried state from every rank's (each calls it): placed at its rows
// of zeros and summed over the ranks.
absl::StatusOr<Tensor> GatherRows(Collectives& c, const Tensor& mine, int rank, int ranks) {
  Shape shape = mine.shape();
  int64_t rows = shape[1];
  shape[1] = rows * ranks;
  Tensor whole(mine.dtype(), shape);
  int64_t row = RowBytes(mine);
  for (int64_t l = 0; l < shape[0]; ++l) {
    std::memcpy(static_cast<char*>(whole.raw_data()) + (l * shape[1] + rank * rows) * row,
                static_cast<const char*>(mine.raw_data()) + l * rows * row, rows * row);
  }
  RETURN_IF_ERROR(AllReduce(c, whole.raw_data(), whole.num_elements(), whole.dtype()));
  return whole;
}

// This rank's rows of the whole batch's carried state.
Tensor RowsOf(const Tensor& whole, int rank, int ranks) {
  Shape shape = whole.shape();
  int64_t rows = shape[1] / ranks;
  shape[1] = rows;
  Tensor mine(whole.dtype(), shape);
  int64_t row = RowBytes(whole);
  for (int64_t l = 0; l < shape[0]; ++l) {
    std::memcpy(static_cast<char*>(mine.raw_data()) + l * rows * row,
                static_cast<const char*>(whole.raw_data()) + (l * whole.shape()[1] + rank * rows) * row, rows * row);
  }
  return mine;
}

}  // namespace

Jit::Jit(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Jit::~Jit() = default;

absl::StatusOr<std::unique_ptr<Jit>> Jit::Create(JitOptions options) {
  auto impl = std::make_unique<Impl>();
  ASSIGN_OR_RETURN(impl->pipeline, pipeline::ParsePipeline(options.pipeline));
  ASSIGN_OR_RETURN(impl->engine, codegen::JitEngine::Create());
  if (options.threads < 0 || options.threads > 256) {
    return absl::InvalidArgumentError(
        absl::StrCat("JitOptions::threads takes 0 (the default) to 256, got ", options.threads));
  }
  int threads = options.threads > 0 ? options.threads : DefaultThreads();
  if (int started = SetNumThreads(threads); started != threads) {
    return absl::ResourceExhaustedError(
        absl::StrCat(threads, " threads: the system would start only ", started, " (out of memory or threads)"));
  }
  // A wavefront runs two layers on two threads; on one, it only costs the second
  // layer's input product its hoisting (two stacked LSTM(64) at batch 1: 209 -> 243 µs).
  if (threads == 1) impl->pipeline = impl->pipeline.Without("wavefront");
  return std::unique_ptr<Jit>(new Jit(std::move(impl)));
}

absl::StatusOr<std::unique_ptr<CompiledModel>> Jit::Compile(const nn::Model& model, const CompileOptions& options,
                                                            uint64_t seed) {
  RETURN_IF_ERROR(model.status());
  frontends::LowerOptions lower{.batch = options.batch, .vocab = options.vocab, .streaming = options.streaming};
  if (options.world != nullptr) {
    lower.rank = options.world->rank();
    lower.ranks = options.world->size();
  }
  std::map<std::string, int64_t> length_limits;
  lower.length_limits = &length_limits;
  ASSIGN_OR_RETURN(std::unique_ptr<ir::Module> module, pipeline::PrepareModel(model.file(), lower, impl_->pipeline));
  uint64_t bytes = 0;
  for (const ir::Global& g : module->globals()) {
    bytes = AddBytes(bytes, ByteSize(g.type.dtype, g.type.shape));
  }
  RETURN_IF_ERROR(CheckAllocation(absl::StrCat("model '", module->name(), "', parameters and state"), bytes));
  auto impl = std::unique_ptr<CompiledModel::Impl>(
      new CompiledModel::Impl{*this, std::move(module), {}, std::move(length_limits)});
  google::protobuf::TextFormat::PrintToString(model.file().model, &impl->description);
  impl->file = std::make_shared<const frontends::ModelFile>(model.file());
  impl->lower = lower;
  impl->lower.length_limits = nullptr;
  if (lower.ranks > 1) impl->collectives = &options.world->collectives();
  impl->world = options.world;
  for (const ir::Global& g : impl->module->globals()) impl->globals.emplace(g.name, ir::InitialValue(g, seed));
  RETURN_IF_ERROR(frontends::ApplyValues(model.file(), impl->globals));
  return std::unique_ptr<CompiledModel>(new CompiledModel(std::move(impl)));
}

CompiledModel::CompiledModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CompiledModel::~CompiledModel() = default;

const std::string& CompiledModel::name() const { return impl_->module->name(); }

const TensorMap& CompiledModel::globals() const { return impl_->globals; }

absl::StatusOr<std::vector<Tensor>> CompiledModel::Forward(const std::vector<Tensor>& inputs) {
  return Run(*impl_, "forward", inputs);
}

absl::StatusOr<float> CompiledModel::TrainStep(const std::vector<Tensor>& batch) {
  RETURN_IF_ERROR(NoSessions(*impl_, "train"));
  absl::StatusOr<std::vector<Tensor>> loss = Run(*impl_, "train_step", batch);
  ++impl_->params_version;  // changed by the update (or partly, by a run that failed)
  if (!loss.ok()) return loss.status();
  return static_cast<float>((*loss)[0].GetDouble(0));
}

absl::StatusOr<std::vector<Tensor>> CompiledModel::Step(const std::vector<Tensor>& inputs) {
  return Run(*impl_, "step", inputs);
}

namespace {

// @<source>_grad of the model's gradient module (added and compiled on first use), and
// the labels of its flows.
absl::StatusOr<std::pair<codegen::CompiledFunction*, std::vector<std::string>>> GradientFunction(
    CompiledModel::Impl& m, const std::string& source) {
  std::lock_guard<std::mutex> lock(m.jit.impl().mu);
  if (m.grad_module == nullptr) {
    ASSIGN_OR_RETURN(m.grad_module, frontends::LowerModel(*m.file, m.lower));
  }
  ir::Module& module = *m.grad_module;
  if (source == "loss" && module.FindFunction("loss") == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("model '", module.name(), "' has no loss: give a cotangent for each of its outputs"));
  }
  if (source == "forward_dot" && module.FindFunction(source) == nullptr) {
    RETURN_IF_ERROR(autodiff::AddCotangentDot(module, "forward").status());
  }
  std::string name = source + "_grad";
  if (module.FindFunction(name) == nullptr) {
    RETURN_IF_ERROR(
        autodiff::AddGradientFunction(module, {.function = source, .gradient_flow = true, .input_grads = true})
            .status());
  }
  std::unique_ptr<codegen::CompiledFunction>& f = m.grad_functions[name];
  if (f == nullptr) {
    ASSIGN_OR_RETURN(std::shared_ptr<const codegen::Executable> e, Executable(m.jit.impl(), module, name));
    ASSIGN_OR_RETURN(
        f, codegen::CompiledFunction::Create(std::move(e), absl::StrCat("model '", module.name(), "' @", name)));
    f->set_collectives(m.collectives);
  }
  return std::make_pair(f.get(), autodiff::FlowLabels(*module.FindFunction(source)));
}

}  // namespace

absl::StatusOr<Gradients> CompiledModel::ComputeGradients(const std::vector<Tensor>& batch,
                                                          const std::vector<Tensor>& cotangents) {
  std::string source = cotangents.empty() ? "loss" : "forward_dot";
  ASSIGN_OR_RETURN(auto function, GradientFunction(*impl_, source));
  auto [f, labels] = std::move(function);
  RETURN_IF_ERROR(CheckLengths(*impl_, cotangents.empty() ? "loss" : "forward", batch));
  std::vector<Tensor> inputs = batch;
  inputs.insert(inputs.end(), cotangents.begin(), cotangents.end());
  // The random state (dropout's) the run advances is a copy: the model's stays.
  TensorMap own;
  for (const std::string& g : f->layout().stored_globals) own.emplace(g, impl_->globals.at(g));
  ASSIGN_OR_RETURN(std::vector<Tensor> out, f->Run(inputs, impl_->globals, own, impl_->params_version));
  // (value, each parameter's gradient, each float argument's, a flow per scan)
  Gradients grads;
  grads.value = out[0].GetDouble(0);
  size_t k = 1;
  for (const ir::Global& g : impl_->grad_module->globals()) {
    if (g.trainable) grads.parameters.emplace_back(g.name, std::move(out[k++]));
  }
  for (const ir::TensorType& t : impl_->grad_module->FindFunction(source)->input_types()) {
    Tensor grad = IsFloat(t.dtype) ? std::move(out[k++]) : Tensor(DType::kF32, {0});
    if (grads.inputs.size() < batch.size()) grads.inputs.push_back(std::move(grad));
  }
  for (const std::string& label : labels) grads.flows.emplace_back(label, std::move(out[k++]));
  return grads;
}

absl::StatusOr<std::string> CompiledModel::ExplainNonFinite(const std::vector<Tensor>& batch,
                                                            const TensorMap& before) const {
  const ir::Function* f = impl_->module->FindFunction("train_step");
  if (f == nullptr)
    return absl::FailedPreconditionError(absl::StrCat("model '", impl_->module->name(), "' has no @train_step"));
  ir::Interpreter interpreter(*impl_->module);
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

void CompiledModel::ResetState() {
  for (const ir::Global& g : impl_->module->globals()) {
    if (IsCarried(g)) impl_->globals[g.name] = Tensor(g.type.dtype, g.type.shape);
  }
}

std::map<std::string, Tensor> CompiledModel::CarriedState() const {
  std::map<std::string, Tensor> state;
  for (const ir::Global& g : impl_->module->globals()) {
    if (IsCarried(g)) state.emplace(g.name, impl_->globals.at(g.name));
  }
  return state;
}

void CompiledModel::SetCarriedState(const std::map<std::string, Tensor>& state) {
  for (const auto& [name, t] : state) impl_->globals[name] = t;
  ++impl_->params_version;  // the names are the caller's: they may be parameters
}

std::vector<std::string> CompiledModel::ParameterNames() const {
  std::vector<std::string> names;
  for (const ir::Global& g : impl_->module->globals()) {
    if (g.trainable) names.push_back(g.name);
  }
  return names;
}

absl::StatusOr<Tensor> CompiledModel::Parameter(const std::string& name) const {
  const ir::Global* g = impl_->module->FindGlobal(name);
  if (g == nullptr || !g->trainable) return absl::NotFoundError(absl::StrCat("no parameter ", name));
  return impl_->globals.at(name);
}

absl::Status CompiledModel::SetParameter(const std::string& name, Tensor value) {
  const ir::Global* g = impl_->module->FindGlobal(name);
  if (g == nullptr || !g->trainable) return absl::NotFoundError(absl::StrCat("no parameter ", name));
  RETURN_IF_ERROR(NoSessions(*impl_, "set a parameter"));
  if (ir::TypeOf(value) != g->type) {
    return absl::InvalidArgumentError(
        absl::StrCat("parameter ", name, " is ", g->type.ToString(), ", got ", ir::TypeOf(value).ToString()));
  }
  impl_->globals[name] = std::move(value);
  ++impl_->params_version;
  return absl::OkStatus();
}

absl::Status CompiledModel::SetLearningRate(double lr) {
  auto it = impl_->globals.find(autodiff::kLearningRate);
  if (it == impl_->globals.end()) return absl::FailedPreconditionError("the model has no training step");
  if (!(lr >= 0) || !std::isfinite(lr)) {
    return absl::InvalidArgumentError(absl::StrCat("a learning rate is finite and not negative, got ", lr));
  }
  it->second.values<double>()[0] = lr;  // state, read by the next step: the packed weights stay
  return absl::OkStatus();
}

absl::Status CompiledModel::SaveCheckpoint(const std::string& path,
                                           const std::map<std::string, std::string>& metadata) const {
  Checkpoint c;
  c.model = impl_->module->name();
  c.metadata = metadata;
  c.metadata.emplace("model", impl_->description);  // unless the caller gave one
  const World* world = impl_->collectives ? impl_->world.get() : nullptr;
  for (const ir::Global& g : impl_->module->globals()) {
    const Tensor& t = impl_->globals.at(g.name);
    if (world != nullptr && IsCarried(g) && t.rank() == 3) {
      ASSIGN_OR_RETURN(Tensor whole, GatherRows(*impl_->collectives, t, world->rank(), world->size()));
      c.tensors.emplace_back(g.name, std::move(whole));
    } else {
      c.tensors.emplace_back(g.name, t);
    }
  }
  if (world != nullptr && world->rank() != 0) return absl::OkStatus();
  return loom::SaveCheckpoint(path, c);
}

absl::StatusOr<std::map<std::string, std::string>> CompiledModel::LoadCheckpoint(const std::string& path) {
  ASSIGN_OR_RETURN(Checkpoint c, loom::LoadCheckpoint(path));
  RETURN_IF_ERROR(LoadCheckpoint(c, path));
  return c.metadata;
}

absl::Status CompiledModel::LoadCheckpoint(const Checkpoint& c, const std::string& name) {
  RETURN_IF_ERROR(NoSessions(*impl_, "load a checkpoint"));
  const Checkpoint* source = &c;
  Checkpoint mine;
  if (const World* world = impl_->collectives ? impl_->world.get() : nullptr) {
    // The whole batch's carried state (SaveCheckpoint): this rank's rows.
    mine = c;
    for (auto& [global, t] : mine.tensors) {
      const ir::Global* g = impl_->module->FindGlobal(global);
      if (g != nullptr && IsCarried(*g) && t.rank() == 3 && g->type.rank() == 3 &&
          t.shape()[1] == g->type.shape[1] * world->size()) {
        t = RowsOf(t, world->rank(), world->size());
      }
    }
    source = &mine;
  }
  ASSIGN_OR_RETURN(Checkpoint state, frontends::StateFromCheckpoint(*impl_->module, *source, name, impl_->globals));
  for (auto& [global, t] : state.tensors) impl_->globals[global] = std::move(t);
  ++impl_->params_version;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Session>> CompiledModel::NewSession(int threads) {
  if (threads < 1 || threads > 256) {
    return absl::InvalidArgumentError(absl::StrCat("a session's threads are 1 to 256, got ", threads));
  }
  auto session = std::unique_ptr<Session::Impl>(new Session::Impl{*impl_, {}, {}});
  for (const char* function : {"forward", "step"}) {
    if (impl_->module->FindFunction(function) == nullptr) continue;
    ASSIGN_OR_RETURN(codegen::CompiledFunction * model_function, Function(*impl_, function));
    ASSIGN_OR_RETURN(std::unique_ptr<codegen::CompiledFunction> f,
                     codegen::CompiledFunction::Create(model_function->executable(),
                                                       absl::StrCat("model '", name(), "' session @", function)));
    f->set_threads(threads);
    for (const std::string& global : f->layout().stored_globals) {
      session->state.emplace(global, ir::InitialValue(*impl_->module->FindGlobal(global), 0));
    }
    session->functions[function] = std::move(f);
  }
  ++impl_->sessions;
  return std::unique_ptr<Session>(new Session(std::move(session)));
}

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::~Session() { --impl_->model.sessions; }

namespace {

absl::StatusOr<std::vector<Tensor>> RunSession(Session::Impl& s, const std::string& function,
                                               const std::vector<Tensor>& inputs) {
  auto f = s.functions.find(function);
  if (f == s.functions.end()) return Function(s.model, function).status();  // says why there is none
  RETURN_IF_ERROR(CheckLengths(s.model, function, inputs));
  return f->second->Run(inputs, s.model.globals, s.state, s.model.params_version);
}

}  // namespace

absl::StatusOr<std::vector<Tensor>> Session::Forward(const std::vector<Tensor>& inputs) {
  return RunSession(*impl_, "forward", inputs);
}

absl::StatusOr<std::vector<Tensor>> Session::Step(const std::vector<Tensor>& inputs) {
  return RunSession(*impl_, "step", inputs);
}

void Session::ResetState() {
  for (auto& [name, t] : impl_->state) t = ir::InitialValue(*impl_->model.module->FindGlobal(name), 0);
}

}  // namespace loom
