// loom::Jit — models compiled to native code, from a model file or loom::nn.
//
//   auto jit = loom::Jit::Create();                                   // one per process is plenty
//   auto model = (*jit)->Compile(nn_model, {.batch = 32}, /*seed=*/1);
//   auto probs = (*model)->Forward({tokens});                        // @forward
//   auto loss = (*model)->TrainStep({tokens, labels});                // @train_step
//
// Ownership: a CompiledModel owns its parameters and state (PyTorch names), and refers
// to its Jit, which must outlive it. Compiled code is cached in the Jit per model and
// shapes, so compiling the same model again is cheap. Thread safety: Compile is for one
// thread at a time (functions compile on first use, safely from any thread); a
// CompiledModel runs one call at a time (it owns its
// scratch arena and updates its parameters in place); distinct CompiledModels may run
// concurrently; to serve one model from many threads, give each a Session.
//
// Threads: a call runs on the process's thread pool (JitOptions::threads), each thread
// computing its share of every large op; the results are the same bits for any count.
#ifndef LOOM_JIT_H_
#define LOOM_JIT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "loom/checkpoint.h"
#include "loom/nn.h"
#include "loom/tensor.h"
#include "loom/world.h"

namespace loom {

class Jit;

// Tensors by name: parameters, optimizer state, carried state.
using TensorMap = std::map<std::string, Tensor, std::less<>>;

struct CompileOptions {
  int64_t batch = 1;  // binds -1 in input shapes
  int64_t vocab = 0;  // binds -1 in layer sizes (the vocabulary); 0: not bound
  // Also compile @step: one time step, each recurrent layer's state kept from one call
  // to the next (streaming inference).
  bool streaming = false;
  // Data-parallel training: this process is one rank of `world` (size > 1), `batch` its
  // share of each whole batch of world->size() · batch rows — rows rank · batch onwards.
  // TrainStep sums the gradients over the ranks, and returns the whole batch's loss;
  // dropout draws each row's mask as one process with the whole batch would.
  std::shared_ptr<World> world;
};

class Session;

// What CompiledModel::Gradients computes, by reverse-mode autodiff of the model's loss
// (or of its forward, with cotangents, as torch.autograd.grad takes grad_outputs).
struct Gradients {
  double value = 0;                                        // the loss, or Σ_k sum(output_k · cotangent_k)
  std::vector<std::pair<std::string, Tensor>> parameters;  // by PyTorch name, in the model's order
  std::vector<Tensor> inputs;  // each input's gradient, in order; empty for token ids and lengths
  // Per recurrent layer (each direction of each stacked layer, as "lstm.l0",
  // "lstm.l1_reverse"): ‖∂L/∂h_t‖ for every step t — how far the gradient reaches back.
  std::vector<std::pair<std::string, Tensor>> flows;
};

class CompiledModel {
 public:
  ~CompiledModel();

  // A serving context: one caller's scratch arena and recurrent state over this
  // model's compiled code and parameters (compiled now: @forward, and @step when
  // streaming). `threads` per call (default 1: with many callers, the callers are the
  // parallelism; more share the process's pool, one such call at a time). The model
  // must outlive its sessions, and while any exists refuses to train or to have its
  // parameters set or loaded (FailedPrecondition): they read them.
  absl::StatusOr<std::unique_ptr<Session>> NewSession(int threads = 1);

  // The model's inference: its outputs for `inputs` (every input but the loss target).
  absl::StatusOr<std::vector<Tensor>> Forward(const std::vector<Tensor>& inputs);
  // One training step on a batch (every input, targets included): returns the loss
  // before the update, and updates the parameters and optimizer state.
  absl::StatusOr<float> TrainStep(const std::vector<Tensor>& batch);
  // Streaming inference (compile with CompileOptions::streaming): one time step, the
  // recurrent state kept from the previous call; ResetState starts a new stream.
  absl::StatusOr<std::vector<Tensor>> Step(const std::vector<Tensor>& inputs);
  void ResetState();
  // The recurrent state kept between calls (by Step, and by TrainStep under truncated
  // BPTT), to set aside and restore — e.g. around a validation pass.
  std::map<std::string, Tensor> CarriedState() const;
  void SetCarriedState(const std::map<std::string, Tensor>& state);

  // Gradients of the loss on `batch` (every input, targets included) or, given
  // `cotangents` (one per output, of its shape), of the forward on `inputs`, with respect
  // to every parameter and every float input; the parameters, the optimizer and the
  // random state stay as they are. Dropout, when the model has any, is as in training
  // with the loss and absent with cotangents (the forward's).
  absl::StatusOr<Gradients> ComputeGradients(const std::vector<Tensor>& batch,
                                             const std::vector<Tensor>& cotangents = {});

  const std::string& name() const;                  // the model's
  std::vector<std::string> ParameterNames() const;  // PyTorch state_dict keys, in order
  absl::StatusOr<Tensor> Parameter(const std::string& name) const;
  absl::Status SetParameter(const std::string& name, Tensor value);
  // The learning rate the next TrainStep uses (the optimizer's lr until set): for a
  // schedule, set before each step.
  absl::Status SetLearningRate(double lr);
  // On a data-parallel model (CompileOptions::world) every rank calls SaveCheckpoint
  // and rank 0 alone writes: the checkpoint one process training on the whole batch
  // would write (the carried state of every rank's rows); LoadCheckpoint takes this
  // rank's rows of such a checkpoint, so a run resumes on any number of ranks.
  // Parameters, optimizer state and counters, atomically written, with `metadata` (a
  // training run's vocabulary and position in its data) and the model's description
  // (metadata "model"), so that `loom sample|eval|run CKPT` need no model file.
  absl::Status SaveCheckpoint(const std::string& path, const std::map<std::string, std::string>& metadata = {}) const;
  // Returns the checkpoint's metadata.
  absl::StatusOr<std::map<std::string, std::string>> LoadCheckpoint(const std::string& path);
  // One already read (`name` for messages): a tool that also reads its metadata reads
  // the file once, so a writer replacing it meanwhile cannot mix two checkpoints.
  absl::Status LoadCheckpoint(const Checkpoint& checkpoint, const std::string& name);

  // Every global (parameters, optimizer state, carried state), to set aside before a
  // training step for ExplainNonFinite.
  const TensorMap& globals() const;
  // Why a training step's loss or parameters went non-finite: reruns @train_step on
  // `batch` from `before` (globals() as they were before the step) in the reference
  // interpreter, and names the first op that produced a NaN or an infinity, with its
  // line of the unoptimized IR (`loom train --detect-anomaly`).
  absl::StatusOr<std::string> ExplainNonFinite(const std::vector<Tensor>& batch, const TensorMap& before) const;

  // Loom's own tools reach the compiler's objects through this (api/internal.h).
  struct Impl;
  Impl& impl() const { return *impl_; }

 private:
  friend class Jit;
  explicit CompiledModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Serving one model from many threads. Thread safety: a Session runs one call at a
// time; any number of Sessions of one model may run at once, from any threads, and
// beside calls on the model itself (Forward, Step), and give the results those would.
class Session {
 public:
  ~Session();
  absl::StatusOr<std::vector<Tensor>> Forward(const std::vector<Tensor>& inputs);
  // Streaming: this session's own recurrent state is kept between calls.
  absl::StatusOr<std::vector<Tensor>> Step(const std::vector<Tensor>& inputs);
  void ResetState();

  struct Impl;

 private:
  friend class CompiledModel;
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct JitOptions {
  // The passes each function goes through: a named pipeline ("default", "O1", "O0";
  // `loom-opt --help` lists them) or a comma-separated list of passes.
  std::string pipeline = "default";
  // The threads compiled code runs on (results are the same for every count); 0: the
  // cores this process may use, or $LOOM_NUM_THREADS. The pool is the process's: the
  // last Jit created sets its size. A function with too little work between its ops'
  // barriers (a char-RNN step at batch 1) runs on one regardless.
  int threads = 0;
};

class Jit {
 public:
  static absl::StatusOr<std::unique_ptr<Jit>> Create(JitOptions options = {});
  ~Jit();

  // Lowers, adds @train_step when the model has a loss and an optimizer, and
  // initializes the parameters from `seed`. Functions compile on first use.
  absl::StatusOr<std::unique_ptr<CompiledModel>> Compile(const nn::Model& model, const CompileOptions& options,
                                                         uint64_t seed);

  struct Impl;
  Impl& impl() const { return *impl_; }

 private:
  explicit Jit(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace loom

#endif  // LOOM_JIT_H_
