// The `loom` Python module's native part (`loom._loom`): models from a file, a text or
// PyTorch (loom/__init__.py builds the text), compiled by loom::Jit, run and trained on
// numpy arrays. Every call into compiled code releases the GIL; a compiled model runs
// one call at a time (its own lock), so Python threads may share one safely.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "api/internal.h"
#include "compiler/autodiff/train_step.h"
#include "frontends/input_values.h"
#include "frontends/model_file.h"
#include "frontends/summary.h"
#include "google/protobuf/text_format.h"
#include "loom/checkpoint.h"
#include "loom/data.h"
#include "loom/jit.h"
#include "python/arrays.h"
#include "python/status.h"
#include "runtime/data/vocabulary_size.h"
#include "runtime/thread_pool.h"

namespace loom::python {
namespace py = pybind11;
namespace {

using ModelFilePtr = std::shared_ptr<const frontends::ModelFile>;
using Names = std::map<std::string, std::string>;

// A model description, and the names its parameters have in the PyTorch module it came
// from (from_torch: "rnn.weight_ih_l0" -> "weight_ih_l0"), when they differ.
struct Model {
  ModelFilePtr file;
  Names torch_names;
};

// Jits by thread count and pipeline; the thread pool is the process's, sized for the
// last compile() (as torch.set_num_threads sizes PyTorch's; resizing waits for running
// calls). Called without the GIL.
absl::StatusOr<std::shared_ptr<Jit>> JitFor(int threads, const std::string& pipeline) {
  static std::mutex mu;
  static std::map<std::pair<int, std::string>, std::shared_ptr<Jit>> jits;
  std::lock_guard<std::mutex> lock(mu);
  std::shared_ptr<Jit>& jit = jits[{threads, pipeline}];
  if (jit == nullptr) {
    absl::StatusOr<std::unique_ptr<Jit>> created = Jit::Create({.pipeline = pipeline, .threads = threads});
    if (!created.ok()) return created.status();
    jit = std::move(*created);
  }
  int want = threads > 0 ? threads : DefaultThreads();
  if (NumThreads() != want) SetNumThreads(want);
  return jit;
}

// A function's inputs (names and types), fixed when the model is compiled.
struct Signature {
  std::vector<std::string> names;
  std::vector<ir::TensorType> types;
};

struct Compiled {
  std::shared_ptr<Jit> jit;
  std::unique_ptr<CompiledModel> model;  // null once closed
  ModelFilePtr file;
  Names torch_names, loom_names;  // and back
  int64_t vocab = 0;
  std::map<std::string, Signature> inputs;  // by function: forward, step, train_step, loss
  std::vector<ir::TensorType> outputs;      // @forward's (cotangents are of these types)
  std::string name;
  std::mutex mu;  // one call at a time
};

// Runs `fn` (returning a Status or a StatusOr) on `*target` — a compiled model or a
// session, null once closed — with the GIL released and `mu` held; raises once the GIL
// is back.
template <typename Target, typename Fn>
auto LockedOn(std::mutex& mu, const std::unique_ptr<Target>& target, const std::string& what, Fn fn) {
  using Result = decltype(fn(*target));
  Result result = absl::InternalError("not run");
  {
    py::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(mu);
    result = target == nullptr ? Result(absl::InvalidArgumentError(absl::StrCat(what, " is closed"))) : fn(*target);
  }
  if constexpr (std::is_same_v<Result, absl::Status>) {
    Check(result);
  } else {
    return Unwrap(std::move(result));
  }
}

template <typename Fn>
auto Locked(Compiled& c, Fn fn) {
  return LockedOn(c.mu, c.model, absl::StrCat("model '", c.name, "'"), fn);
}

// A serving context of a compiled model (CompiledModel::NewSession): its own state and
// scratch, so sessions run at once, from any threads, beside the model's own calls.
struct PySession {
  py::object owner;  // the CompiledModel, which outlives its sessions
  Compiled* model;
  std::unique_ptr<Session> session;  // null once closed
  std::mutex mu;
};

const Signature& InputsOf(const Compiled& c, const std::string& function) {
  auto it = c.inputs.find(function);
  if (it == c.inputs.end()) {
    throw py::value_error(absl::StrCat("model '", c.name, "' has no @", function,
                                       function == "train_step" ? " (it needs a loss and an optimizer)"
                                       : function == "step"     ? " (compile it with streaming=True)"
                                       : function == "loss"     ? " (it has no loss: pass grad_outputs)"
                                                                : ""));
  }
  return it->second;
}

// Positional arguments, then keywords by input name, as the function's inputs.
std::vector<Tensor> Inputs(const Compiled& c, const Signature& sig, const py::args& args, const py::kwargs& kwargs,
                           std::vector<py::object>& keep) {
  std::vector<py::object> given(sig.names.size());
  if (args.size() > sig.names.size()) {
    throw py::value_error(absl::StrCat("model '", c.name, "' takes ", sig.names.size(), " inputs (",
                                       absl::StrJoin(sig.names, ", "), "), got ", args.size()));
  }
  for (size_t i = 0; i < args.size(); ++i) given[i] = args[i];
  for (auto [key, value] : kwargs) {
    std::string name = py::str(key);
    auto it = std::find(sig.names.begin(), sig.names.end(), name);
    if (it == sig.names.end()) {
      throw py::value_error(
          absl::StrCat("model '", c.name, "' has no input '", name, "' (", absl::StrJoin(sig.names, ", "), ")"));
    }
    given[it - sig.names.begin()] = py::reinterpret_borrow<py::object>(value);
  }
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < given.size(); ++i) {
    if (!given[i]) throw py::value_error(absl::StrCat("model '", c.name, "': input '", sig.names[i], "' is missing"));
    inputs.push_back(InputTensor(given[i], sig.types[i], sig.names[i], keep));
    Check(frontends::CheckInputValues(c.file->model, c.vocab, sig.names[i], inputs.back()));
  }
  return inputs;
}

py::object Outputs(std::vector<Tensor> outputs);

// forward() and step() of a model or a session: `run` on the arguments as `function`'s
// inputs.
template <typename Target>
py::object RunOutputs(Compiled& c, std::mutex& mu, const std::unique_ptr<Target>& target, const std::string& what,
                      const std::string& function, const py::args& args, const py::kwargs& kwargs,
                      absl::StatusOr<std::vector<Tensor>> (Target::*run)(const std::vector<Tensor>&)) {
  std::vector<py::object> keep;
  std::vector<Tensor> inputs = Inputs(c, InputsOf(c, function), args, kwargs, keep);
  return Outputs(LockedOn(mu, target, what, [&](Target& t) { return (t.*run)(inputs); }));
}

py::object RunOutputs(Compiled& c, const std::string& function, const py::args& args, const py::kwargs& kwargs,
                      absl::StatusOr<std::vector<Tensor>> (CompiledModel::*run)(const std::vector<Tensor>&)) {
  return RunOutputs(c, c.mu, c.model, absl::StrCat("model '", c.name, "'"), function, args, kwargs, run);
}

py::object RunOutputs(PySession& s, const std::string& function, const py::args& args, const py::kwargs& kwargs,
                      absl::StatusOr<std::vector<Tensor>> (Session::*run)(const std::vector<Tensor>&)) {
  return RunOutputs(*s.model, s.mu, s.session, absl::StrCat("a session of model '", s.model->name, "'"), function, args,
                    kwargs, run);
}

// Closes the model unless sessions still read it.
void Close(Compiled& c) {
  LockedOn(c.mu, c.model, "", [&](CompiledModel& model) {
    if (int n = model.impl().sessions.load(); n > 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("model '", c.name, "' has ", n, " open session(s): close them first"));
    }
    c.model.reset();
    return absl::OkStatus();
  });
}

py::object Outputs(std::vector<Tensor> outputs) {
  if (outputs.size() == 1) return ToArray(std::move(outputs[0]));
  py::tuple t(outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) t[i] = ToArray(std::move(outputs[i]));
  return t;
}

Signature SignatureOf(const ir::Function& f) {
  Signature s;
  for (const ir::Value* v : f.body().arguments()) s.names.push_back(v->name_hint());
  s.types = f.input_types();
  return s;
}

// The training section with the keywords of compile() applied.
void ApplyTraining(frontends::proto::Training& training, const std::optional<std::string>& optimizer,
                   std::optional<double> lr, std::optional<double> clip) {
  if (optimizer) {
    std::string text(absl::StripAsciiWhitespace(*optimizer));
    if (text.find('{') == std::string::npos) absl::StrAppend(&text, " {}");  // "adam" -> "adam {}"
    frontends::proto::Optimizer kind;
    Check(frontends::ParseSection(text, "optimizer=", &kind));
    frontends::proto::Optimizer* o = training.mutable_optimizer();
    o->clear_kind();
    o->MergeFrom(kind);
    if (!o->has_lr()) o->set_lr(0.01);
  }
  if (lr) {
    if (!(*lr > 0)) throw py::value_error(absl::StrCat("lr must be positive, got ", *lr));
    training.mutable_optimizer()->set_lr(*lr);
  }
  if (clip) {
    if (!(*clip > 0))
      throw py::value_error(absl::StrCat("clip (the gradients' largest norm) must be positive, got ", *clip));
    training.mutable_clip()->set_by_norm(*clip);
  }
}

std::unique_ptr<Compiled> Compile(const Model& m, int64_t batch, std::optional<int> threads, bool streaming,
                                  std::optional<uint64_t> seed, int64_t vocab,
                                  const std::optional<std::string>& optimizer, std::optional<double> lr,
                                  std::optional<double> clip, const std::string& pipeline) {
  if (batch < 1) throw py::value_error(absl::StrCat("batch must be at least 1, got ", batch));
  if (threads && (*threads < 1 || *threads > 256)) {
    throw py::value_error(absl::StrCat("threads takes 1 to 256, got ", *threads));
  }
  auto file = std::make_shared<frontends::ModelFile>(*m.file);
  ApplyTraining(*file->model.mutable_training(), optimizer, lr, clip);
  auto c = std::make_unique<Compiled>();
  c->file = file;
  c->torch_names = m.torch_names;
  for (const auto& [loom, torch] : m.torch_names) c->loom_names[torch] = loom;
  c->vocab = vocab;
  c->name = file->model.name();
  uint64_t s = seed.value_or(file->model.training().seed());
  absl::StatusOr<std::unique_ptr<CompiledModel>> model = absl::InternalError("not compiled");
  {
    py::gil_scoped_release release;
    absl::StatusOr<std::shared_ptr<Jit>> jit = JitFor(threads.value_or(0), pipeline);
    if (jit.ok()) {
      c->jit = *jit;
      model = c->jit->Compile(nn::Model(*file), {.batch = batch, .vocab = vocab, .streaming = streaming}, s);
    } else {
      model = jit.status();
    }
  }
  c->model = Unwrap(std::move(model));
  const ir::Module& module = *c->model->impl().module;
  for (const char* f : {"forward", "step", "train_step", "loss"}) {
    if (const ir::Function* fn = module.FindFunction(f)) c->inputs[f] = SignatureOf(*fn);
  }
  if (const ir::Function* forward = module.FindFunction("forward")) {  // none without outputs
    c->outputs = forward->result_types();
  }
  return c;
}

std::string TorchName(const Compiled& c, const std::string& loom) {
  auto it = c.torch_names.find(loom);
  return it == c.torch_names.end() ? loom : it->second;
}

py::dict StateDict(Compiled& c) {
  std::vector<std::pair<std::string, Tensor>> params = Locked(c, [](CompiledModel& m) {
    absl::StatusOr<std::vector<std::pair<std::string, Tensor>>> out = std::vector<std::pair<std::string, Tensor>>{};
    for (const std::string& name : m.ParameterNames()) {
      absl::StatusOr<Tensor> t = m.Parameter(name);
      if (!t.ok()) return decltype(out)(t.status());
      out->emplace_back(name, *std::move(t));
    }
    return out;
  });
  py::dict d;
  for (auto& [name, t] : params) d[py::str(TorchName(c, name))] = ToArray(std::move(t));
  return d;
}

void LoadStateDict(Compiled& c, const py::dict& state, bool strict) {
  std::vector<std::pair<std::string, Tensor>> values;
  for (auto [key, value] : state) {
    std::string name = py::str(key);
    auto it = c.loom_names.find(name);
    values.emplace_back(it == c.loom_names.end() ? name : it->second, CopyToTensor(value, name));
  }
  Locked(c, [&](CompiledModel& m) {
    std::vector<std::string> names = m.ParameterNames(), missing, unexpected;
    for (const auto& [name, t] : values) {
      if (std::find(names.begin(), names.end(), name) == names.end()) unexpected.push_back(TorchName(c, name));
    }
    for (const std::string& name : names) {
      bool given = std::any_of(values.begin(), values.end(), [&](const auto& v) { return v.first == name; });
      if (!given) missing.push_back(TorchName(c, name));
    }
    if (strict && (!missing.empty() || !unexpected.empty())) {
      return absl::NotFoundError(absl::StrCat("load_state_dict: missing key(s): [", absl::StrJoin(missing, ", "),
                                              "]; unexpected key(s): [", absl::StrJoin(unexpected, ", "), "]"));
    }
    // Every value is checked before any is set: a failed load changes nothing.
    for (const auto& [name, t] : values) {
      if (std::find(names.begin(), names.end(), name) == names.end()) continue;
      ir::TensorType want = ir::TypeOf(*m.Parameter(name));
      if (ir::TypeOf(t) != want) {
        return absl::InvalidArgumentError(absl::StrCat("parameter ", TorchName(c, name), " is ", want.ToString(),
                                                       ", got ", ir::TypeOf(t).ToString()));
      }
    }
    for (auto& [name, t] : values) {
      if (std::find(names.begin(), names.end(), name) == names.end()) continue;
      if (absl::Status s = m.SetParameter(name, std::move(t)); !s.ok()) return s;
    }
    return absl::OkStatus();
  });
}

// The torch names a checkpoint keeps, "loom=torch" a line.
std::string EncodeNames(const Names& names) {
  std::string out;
  for (const auto& [loom, torch] : names) absl::StrAppend(&out, loom, "=", torch, "\n");
  return out;
}

Names DecodeNames(const std::string& text) {
  Names names;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
    names[kv.first] = kv.second;
  }
  return names;
}

constexpr char kTorchNames[] = "python.torch_names";

py::object Gradients(Compiled& c, const py::args& args, const py::object& grad_outputs, const py::kwargs& kwargs) {
  bool vjp = !grad_outputs.is_none();
  std::vector<py::object> keep;
  std::vector<Tensor> batch = Inputs(c, InputsOf(c, vjp ? "forward" : "loss"), args, kwargs, keep);
  std::vector<Tensor> cotangents;
  if (vjp) {
    std::vector<py::object> given;
    if (py::isinstance<py::tuple>(grad_outputs) || py::isinstance<py::list>(grad_outputs)) {
      for (py::handle g : grad_outputs) given.push_back(py::reinterpret_borrow<py::object>(g));
    } else {
      given.push_back(grad_outputs);
    }
    if (given.size() != c.outputs.size()) {
      throw py::value_error(absl::StrCat("grad_outputs: model '", c.name, "' has ", c.outputs.size(), " outputs, got ",
                                         given.size(), " cotangents"));
    }
    for (size_t i = 0; i < given.size(); ++i) {
      std::string name = absl::StrCat("grad_outputs[", i, "]");
      cotangents.push_back(InputTensor(given[i], c.outputs[i], name, keep));
      Check(frontends::CheckInputValues(c.file->model, c.vocab, name, cotangents.back()));
    }
  }
  loom::Gradients g = Locked(c, [&](CompiledModel& m) { return m.ComputeGradients(batch, cotangents); });
  py::dict params, flows;
  for (auto& [name, t] : g.parameters) params[py::str(TorchName(c, name))] = ToArray(std::move(t));
  py::list inputs;
  for (Tensor& t : g.inputs)
    inputs.append(t.num_elements() == 0 && t.rank() == 1 ? py::none() : py::object(ToArray(std::move(t))));
  for (auto& [label, t] : g.flows) flows[py::str(label)] = ToArray(std::move(t));
  return py::module_::import("loom").attr("Gradients")(g.value, params, inputs, flows);
}

// An ONNX model's parameters go by their initializers' names ("onnx::LSTM_37"), which
// Loom's had to make valid value names of.
Model LoadModel(const std::string& path) {
  auto file = std::make_shared<const frontends::ModelFile>(Unwrap(frontends::LoadModelFile(path)));
  Names names;
  for (const auto& layer : file->model.layer()) {
    if (layer.has_param() && !layer.param().onnx_name().empty() && layer.param().onnx_name() != layer.name()) {
      names[layer.name()] = layer.param().onnx_name();
    }
  }
  return Model{std::move(file), std::move(names)};
}

Model ParseModel(const std::string& text, const std::string& name, Names torch_names, const py::dict& values) {
  frontends::ModelFile file = Unwrap(frontends::ParseModelText(text, name));
  for (auto [key, value] : values) {
    std::string param = py::str(key);
    file.values[param] = CopyToTensor(value, param);
  }
  return Model{std::make_shared<const frontends::ModelFile>(std::move(file)), std::move(torch_names)};
}

std::string Text(const Model& m) {
  std::string text;
  google::protobuf::TextFormat::PrintToString(m.file->model, &text);
  return text;
}

std::string Summary(const Model& m, int64_t batch, int64_t vocab) {
  std::map<std::string, ir::TensorType> types;
  frontends::LowerOptions options{.batch = batch, .vocab = vocab, .value_types = &types};
  std::unique_ptr<ir::Module> module = Unwrap(frontends::LowerModel(*m.file, options));
  return frontends::Summarize(m.file->model, *module, types);
}

std::unique_ptr<Compiled> LoadCheckpointModel(const std::string& path, int64_t batch, std::optional<int> threads,
                                              bool streaming) {
  Checkpoint ckpt = Unwrap(LoadCheckpoint(path));
  auto it = ckpt.metadata.find("model");
  if (it == ckpt.metadata.end()) {
    throw py::value_error(absl::StrCat(path, ": not a checkpoint from loom train or save() (no model description)"));
  }
  auto names = ckpt.metadata.find(kTorchNames);
  Model m = ParseModel(it->second, path + " (model)",
                       names == ckpt.metadata.end() ? Names{} : DecodeNames(names->second), py::dict());
  std::unique_ptr<Compiled> c = Compile(m, batch, threads, streaming, std::nullopt, data::VocabularySize(ckpt.metadata),
                                        std::nullopt, std::nullopt, std::nullopt, "default");
  Locked(*c, [&](CompiledModel& model) { return model.LoadCheckpoint(ckpt, path); });
  return c;
}

struct Data {
  std::unique_ptr<Dataset> data;
};

}  // namespace
}  // namespace loom::python

namespace {
using namespace loom::python;  // NOLINT: the module's definitions, below
namespace py = pybind11;
using loom::Tensor;
}  // namespace

PYBIND11_MODULE(_loom, m) {
  m.doc() = "Loom's native module; use it through `import loom`.";
  m.attr("__version__") = LOOM_VERSION;

  py::class_<Model>(m, "Model", R"(A model description: layers, loss and training, as a model file holds it.

Made by loom.load("model.pbtxt" or "model.onnx"), loom.parse(text) or loom.from_torch(module);
compile() turns it into native code for a batch size.)")
      .def_property_readonly(
          "name", [](const Model& self) { return self.file->model.name(); }, "The model's name.")
      .def_property_readonly("text", &Text, "The description in the model-file (.pbtxt) syntax.")
      .def_property_readonly(
          "inputs",
          [](const Model& self) {
            py::list out;
            for (const auto& in : self.file->model.input()) {
              out.append(
                  py::make_tuple(in.name(), absl::AsciiStrToLower(loom::frontends::proto::DType_Name(in.dtype())),
                                 py::tuple(py::cast(std::vector<int64_t>(in.shape().begin(), in.shape().end())))));
            }
            return out;
          },
          "The inputs as (name, dtype, shape) tuples, -1 standing for the batch.")
      .def_property_readonly(
          "outputs",
          [](const Model& self) {
            return std::vector<std::string>(self.file->model.output().begin(), self.file->model.output().end());
          },
          "The names of the values forward() returns.")
      .def("summary", &Summary, py::arg("batch") = 1, py::arg("vocab") = 0,
           "The model as `loom summary` prints it: each layer's output shape and parameter count.")
      .def("compile", &Compile, py::arg("batch") = 1, py::kw_only(), py::arg("threads") = py::none(),
           py::arg("streaming") = false, py::arg("seed") = py::none(), py::arg("vocab") = 0,
           py::arg("optimizer") = py::none(), py::arg("lr") = py::none(), py::arg("clip") = py::none(),
           py::arg("pipeline") = "default",
           R"(Compiles the model to native code for `batch` examples a call.

threads:   the threads compiled code runs on (default: the cores this process may use).
           The pool is the process's, like torch.set_num_threads; results are the same
           bits for every count.
streaming: also compile step(), one time step a call with the recurrent state kept.
seed:      parameter initialization and dropout (default: the model's training seed).
vocab:     the size that -1 layer sizes stand for (a dataset's vocab).
optimizer, lr, clip: replace the model's training section: "sgd", "adam", "adagrad",
           "rmsprop" or a section text ("adam { beta1: 0.8 }"); the learning rate; the
           largest global gradient norm (torch.nn.utils.clip_grad_norm_).
pipeline:  the passes (`loom-opt --help` lists the pipelines).)")
      .def("__repr__", [](const Model& self) {
        return absl::StrCat("<loom.Model '", self.file->model.name(), "': ", self.file->model.input_size(), " inputs, ",
                            self.file->model.layer_size(), " layers>");
      });

  py::class_<Compiled>(m, "CompiledModel", R"(A model compiled to native code, with its parameters and state.

Calls release the GIL while compiled code runs and take the model's lock: one call at a
time, from any thread. Inputs are numpy arrays (or what numpy.asarray takes) of the
model's dtypes and shapes, read in place (no copy) when C-contiguous; outputs are new
arrays that own their memory.)")
      .def_property_readonly(
          "name", [](const Compiled& self) { return self.name; }, "The model's name.")
      .def(
          "forward",
          [](Compiled& self, const py::args& args, const py::kwargs& kwargs) {
            return RunOutputs(self, "forward", args, kwargs, &loom::CompiledModel::Forward);
          },
          R"(The model's inference (dropout off) on its inputs, positional or by name
(lengths=...): one array, or a tuple when the model has several outputs.)")
      .def(
          "__call__",
          [](py::object self, const py::args& args, const py::kwargs& kwargs) {
            return self.attr("forward")(*args, **kwargs);
          },
          "Same as forward().")
      .def(
          "_input_addresses",
          [](Compiled& self, const py::args& args, const py::kwargs& kwargs) {
            std::vector<py::object> keep;
            std::vector<uintptr_t> addresses;
            for (const Tensor& t : Inputs(self, InputsOf(self, "forward"), args, kwargs, keep)) {
              addresses.push_back(reinterpret_cast<uintptr_t>(t.raw_data()));
            }
            return addresses;
          },
          "Where forward() would read each input from (tests check that arrays are not copied).")
      .def(
          "step",
          [](Compiled& self, const py::args& args, const py::kwargs& kwargs) {
            return RunOutputs(self, "step", args, kwargs, &loom::CompiledModel::Step);
          },
          R"(Streaming inference (compile with streaming=True): one time step (the time
dimension of each input is 1), each recurrent layer's state kept from the previous call.)")
      .def(
          "reset_state",
          [](Compiled& self) {
            Locked(self, [](loom::CompiledModel& model) {
              model.ResetState();
              return absl::OkStatus();
            });
          },
          "Starts a new stream: the recurrent state step() keeps goes back to zeros.")
      .def(
          "train_step",
          [](Compiled& self, const py::args& args, const py::kwargs& kwargs) {
            std::vector<py::object> keep;
            std::vector<Tensor> batch = Inputs(self, InputsOf(self, "train_step"), args, kwargs, keep);
            return Locked(self, [&](loom::CompiledModel& model) { return model.TrainStep(batch); });
          },
          R"(One training step on a batch (every input, the loss's target included): returns
the loss before the update, and updates the parameters and the optimizer's state.)")
      .def("grad", &Gradients, py::kw_only(), py::arg("grad_outputs") = py::none(),
           R"(Gradients without an update: of the loss on a batch (every input, the target
included), or, with grad_outputs (one array per output, as torch.autograd.grad takes
them), of the forward on its inputs. Returns loom.Gradients(value, parameters,
inputs, flows): the loss (or the sum of outputs times cotangents); each parameter's
gradient by state_dict name; each input's (None for token ids and lengths);
‖∂L/∂h_t‖ for every step of every recurrent layer. Parameters, optimizer and random
state stay as they are.)")
      .def("state_dict", &StateDict, "The parameters by PyTorch's state_dict names, as new numpy arrays (copies).")
      .def("load_state_dict", &LoadStateDict, py::arg("state_dict"), py::arg("strict") = true,
           R"(Sets parameters from arrays (or torch tensors) by state_dict name. strict: every
parameter given and no other name, as PyTorch's. Checked whole before anything changes.)")
      .def_property(
          "lr",
          [](Compiled& self) {
            return Locked(self, [](loom::CompiledModel& model) -> absl::StatusOr<double> {
              auto it = model.globals().find(loom::autodiff::kLearningRate);
              if (it == model.globals().end()) return absl::InvalidArgumentError("the model has no training step");
              return it->second.GetDouble(0);
            });
          },
          [](Compiled& self, double lr) {
            Locked(self, [&](loom::CompiledModel& model) { return model.SetLearningRate(lr); });
          },
          "The learning rate the next train_step uses (set it for a schedule).")
      .def(
          "save",
          [](Compiled& self, const std::string& path, const std::map<std::string, std::string>& metadata) {
            std::map<std::string, std::string> meta = metadata;
            if (!self.torch_names.empty()) meta[kTorchNames] = EncodeNames(self.torch_names);
            Locked(self, [&](loom::CompiledModel& model) { return model.SaveCheckpoint(path, meta); });
          },
          py::arg("path"), py::arg("metadata") = std::map<std::string, std::string>{},
          R"(Writes a checkpoint (atomically: a temporary file, then a rename) in the format
of `loom train`: parameters, optimizer state, the model's description and `metadata`
(a dataset's metadata(), so that `loom eval CKPT` reads data as training did).)")
      .def(
          "load",
          [](Compiled& self, const std::string& path) {
            return Locked(self, [&](loom::CompiledModel& model) { return model.LoadCheckpoint(path); });
          },
          py::arg("path"), "Loads a checkpoint's parameters and optimizer state; returns its metadata.")
      .def(
          "close",
          [](Compiled& self) {
            if (!self.model) return;  // closing twice is fine, as for a file
            Close(self);
          },
          "Frees the compiled code and parameters; later calls raise ValueError. Sessions first.")
      .def(
          "session",
          [](py::object self, int threads) {
            Compiled& c = self.cast<Compiled&>();
            auto s = std::make_unique<PySession>();
            s->owner = self;
            s->model = &c;
            s->session = Locked(c, [&](loom::CompiledModel& model) { return model.NewSession(threads); });
            return s;
          },
          py::arg("threads") = 1,
          R"(A serving context: forward() and step() with its own scratch and recurrent state,
over this model's compiled code and parameters, so that many sessions run at once from
many threads (each one call at a time; `threads` per call). While sessions are open the
model refuses to train or to have its parameters changed.)")
      .def_property_readonly(
          "closed",
          [](Compiled& self) {
            py::gil_scoped_release release;
            std::lock_guard<std::mutex> lock(self.mu);
            return self.model == nullptr;
          },
          "Whether close() was called.")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__",
           [](Compiled& self, py::args) {
             py::gil_scoped_release release;
             std::lock_guard<std::mutex> lock(self.mu);
             self.model.reset();
           })
      .def("__repr__", [](const Compiled& self) { return absl::StrCat("<loom.CompiledModel '", self.name, "'>"); });

  py::class_<PySession>(m, "Session", "A serving context of a CompiledModel: see CompiledModel.session().")
      .def(
          "forward",
          [](PySession& self, const py::args& args, const py::kwargs& kwargs) {
            return RunOutputs(self, "forward", args, kwargs, &loom::Session::Forward);
          },
          "The model's forward, as CompiledModel.forward, concurrently with other sessions.")
      .def(
          "step",
          [](PySession& self, const py::args& args, const py::kwargs& kwargs) {
            return RunOutputs(self, "step", args, kwargs, &loom::Session::Step);
          },
          "One streaming step with this session's own recurrent state.")
      .def(
          "reset_state",
          [](PySession& self) {
            LockedOn(self.mu, self.session, "the session", [](loom::Session& s) {
              s.ResetState();
              return absl::OkStatus();
            });
          },
          "Starts a new stream for this session.")
      .def(
          "close",
          [](PySession& self) {
            py::gil_scoped_release release;
            std::lock_guard<std::mutex> lock(self.mu);
            self.session.reset();
          },
          "Ends the session (the model may train again once all are closed).")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](PySession& self, py::args) {
        py::gil_scoped_release release;
        std::lock_guard<std::mutex> lock(self.mu);
        self.session.reset();
      });

  py::class_<Data>(m, "Dataset", R"(A data file read as `loom train` reads it for a model: labelled text for
a classifier, a character corpus for a language model, a CSV series for forecasting.
Batches are a pure function of (seed, epoch, index).)")
      .def_property_readonly(
          "vocab", [](const Data& self) { return self.data->vocab(); },
          "What -1 layer sizes stand for (pass it to compile(vocab=...)), or 0.")
      .def_property_readonly(
          "batches_per_epoch", [](const Data& self) { return self.data->batches_per_epoch(); },
          "Training batches in one epoch.")
      .def_property_readonly(
          "metric", [](const Data& self) { return self.data->metric(); },
          "The name of what validate() measures: accuracy, bits/char, mse.")
      .def(
          "batch",
          [](const Data& self, int64_t epoch, int64_t index) {
            if (epoch < 0 || index < 0 || index >= self.data->batches_per_epoch()) {
              throw py::index_error(absl::StrCat("batch ", index, " of epoch ", epoch, ": an epoch has ",
                                                 self.data->batches_per_epoch(), " batches"));
            }
            std::vector<Tensor> batch = self.data->Batch(epoch, index);
            py::tuple t(batch.size());
            for (size_t i = 0; i < batch.size(); ++i) t[i] = ToArray(std::move(batch[i]));
            return t;
          },
          py::arg("epoch"), py::arg("index"),
          "The training batch `index` of `epoch`: every input of the model, target included.")
      .def(
          "validate",
          [](const Data& self, Compiled& model) {
            loom::Metric metric = Locked(model, [&](loom::CompiledModel& m) { return self.data->Validate(m); });
            return py::make_tuple(metric.value, metric.text);
          },
          py::arg("model"), "The metric on the held-out part: (value, text), e.g. (0.93, 'val accuracy 93.0%').")
      .def(
          "metadata", [](const Data& self) { return self.data->Metadata(); },
          "What a checkpoint keeps to read the data the same way again (pass it to save()).");

  m.def("load", &LoadModel, py::arg("path"),
        "A model file: .pbtxt (errors with file:line:col) or .onnx (parameters named by its initializers).");
  m.def("parse", &ParseModel, py::arg("text"), py::arg("name") = "<text>", py::arg("torch_names") = Names{},
        py::arg("values") = py::dict(),
        R"(A model description in the .pbtxt syntax (errors with line:col in `name`).
torch_names maps Loom's parameter names to a module's state_dict keys; values gives
parameters their starting values (arrays by Loom's names) instead of initializers.)");
  m.def("load_checkpoint", &LoadCheckpointModel, py::arg("path"), py::arg("batch") = 1, py::kw_only(),
        py::arg("threads") = py::none(), py::arg("streaming") = false,
        "A checkpoint of `loom train` or save(), compiled for `batch` with its parameters and optimizer state.");
  m.def(
      "open_dataset",
      [](const Model& model, const std::string& path, int64_t batch, double val_split, std::optional<uint64_t> seed,
         const std::map<std::string, std::string>& metadata) {
        if (batch < 1) throw py::value_error(absl::StrCat("batch must be at least 1, got ", batch));
        if (!(val_split >= 0 && val_split <= 1)) throw py::value_error("val_split must be in [0, 1]");
        loom::DataOptions options{.batch = batch,
                                  .val_split = val_split,
                                  .seed = seed.value_or(model.file->model.training().seed()),
                                  .metadata = metadata};
        return Data{Unwrap(loom::OpenDataset(loom::nn::Model(*model.file), path, options))};
      },
      py::arg("model"), py::arg("path"), py::arg("batch"), py::kw_only(), py::arg("val_split") = 0.1,
      py::arg("seed") = py::none(), py::arg("metadata") = std::map<std::string, std::string>{},
      R"(The data file at `path` read for `model` as `loom train --data` reads it, in
batches of `batch`; val_split held out for validate(); seed (default: the model's
training seed) orders the batches; metadata: a checkpoint's, to reuse its vocabulary.)");
}
