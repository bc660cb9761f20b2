// loom::Jit — models compiled to native code, from a model file or loom::nn.
//
//   auto jit = loom::Jit::Create();                                   // one per process is plenty
//   auto model = (*jit)->Compile(nn_model, {.batch = 32}, /*seed=*/1);
//   auto probs = (*model)->Forward({tokens});                        // @forward
//   auto loss = (*model)->TrainStep({tokens, labels});                // @train_step
//
// Ownership: a CompiledModel owns its parameters and state (PyTorch names), and refers
// to its Jit, which must outlive it. Compiled code is cached in the Jit per model and
// shapes, so compiling the same model again is cheap. Thread safety: a Jit may compile
// from one thread at a time; a CompiledModel runs one call at a time (it owns its
// scratch arena and updates its parameters in place); distinct CompiledModels may run
// concurrently.
#ifndef LOOM_FRONTENDS_JIT_H_
#define LOOM_FRONTENDS_JIT_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "compiler/codegen/compiled_function.h"
#include "frontends/lower.h"
#include "frontends/nn.h"
#include "runtime/checkpoint.h"

namespace loom {

class Jit;

class CompiledModel {
 public:
  // The model's inference: its outputs for `inputs` (every input but the loss target).
  absl::StatusOr<std::vector<Tensor>> Forward(const std::vector<Tensor>& inputs);
  // One training step on a batch (every input, targets included): returns the loss
  // before the update, and updates the parameters and optimizer state.
  absl::StatusOr<float> TrainStep(const std::vector<Tensor>& batch);
  // Streaming inference (compile with LowerOptions::streaming): one time step, the
  // recurrent state kept from the previous call; ResetState starts a new stream.
  absl::StatusOr<std::vector<Tensor>> Step(const std::vector<Tensor>& inputs);
  void ResetState();
  // The recurrent state kept between calls (by Step, and by TrainStep under truncated
  // BPTT), to set aside and restore — e.g. around a validation pass.
  std::map<std::string, Tensor> CarriedState() const;
  void SetCarriedState(const std::map<std::string, Tensor>& state);

  std::vector<std::string> ParameterNames() const;  // PyTorch state_dict keys, in order
  absl::StatusOr<Tensor> Parameter(const std::string& name) const;
  absl::Status SetParameter(const std::string& name, Tensor value);
  // Parameters, optimizer state and counters, atomically written, with `metadata` (a
  // training run's vocabulary and position in its data).
  absl::Status SaveCheckpoint(const std::string& path, const std::map<std::string, std::string>& metadata = {}) const;
  // Returns the checkpoint's metadata.
  absl::StatusOr<std::map<std::string, std::string>> LoadCheckpoint(const std::string& path);
  // One already read (`name` for messages): a tool that also reads its metadata reads
  // the file once, so a writer replacing it meanwhile cannot mix two checkpoints.
  absl::Status LoadCheckpoint(const Checkpoint& checkpoint, const std::string& name);

  const ir::Module& module() const { return *module_; }

  // Every global (parameters, optimizer state, carried state), to set aside before a
  // training step for ExplainNonFinite.
  const codegen::CompiledFunction::Globals& globals() const { return globals_; }
  // Why a training step's loss or parameters went non-finite: reruns @train_step on
  // `batch` from `before` (globals() as they were before the step) in the reference
  // interpreter, and names the first op that produced a NaN or an infinity, with its
  // line of the unoptimized IR (`loom train --detect-anomaly`).
  absl::StatusOr<std::string> ExplainNonFinite(const std::vector<Tensor>& batch,
                                               const codegen::CompiledFunction::Globals& before) const;

 private:
  friend class Jit;
  CompiledModel(Jit& jit, std::unique_ptr<ir::Module> module, uint64_t seed,
                std::map<std::string, int64_t> length_limits);
  // Compiled code would run with a length outside 1..T (a length of 0 makes the loss
  // 0/0): refused first, naming the input.
  absl::Status CheckLengths(const std::string& function, const std::vector<Tensor>& inputs) const;
  absl::StatusOr<codegen::CompiledFunction*> Function(const std::string& name);
  // The compiled functions keep their weights packed until this changes.
  void ParametersChanged() { ++params_version_; }

  Jit& jit_;
  int64_t params_version_ = 1;
  std::unique_ptr<ir::Module> module_;
  std::map<std::string, int64_t> length_limits_;  // LowerOptions::length_limits
  codegen::CompiledFunction::Globals globals_;
  std::map<std::string, std::unique_ptr<codegen::CompiledFunction>> functions_;
};

struct JitOptions {
  // The passes each function goes through before code generation (loom-opt's names,
  // comma-separated); e.g. without "elementwise-fusion" to measure what it buys.
  std::string pipeline = codegen::kDefaultPipeline;
};

// What Jit::Compile compiles from: the lowered model with @train_step when the model
// has a loss and an optimizer (its input projections hoisted first when `pipeline` does
// that, so their gradients come out of the reverse scans as single GEMMs). loomc too.
absl::StatusOr<std::unique_ptr<ir::Module>> LowerForCompilation(const frontends::ModelFile& file,
                                                                const frontends::LowerOptions& options,
                                                                const std::string& pipeline);

class Jit {
 public:
  static absl::StatusOr<std::unique_ptr<Jit>> Create(JitOptions options = {});

  // Lowers, adds @train_step when the model has a loss and an optimizer, and
  // initializes the parameters from `seed`. Functions compile on first use.
  absl::StatusOr<std::unique_ptr<CompiledModel>> Compile(const frontends::ModelFile& file,
                                                         const frontends::LowerOptions& options, uint64_t seed);
  absl::StatusOr<std::unique_ptr<CompiledModel>> Compile(const nn::Model& model,
                                                         const frontends::LowerOptions& options, uint64_t seed);

 private:
  friend class CompiledModel;
  absl::StatusOr<std::shared_ptr<const codegen::Executable>> Executable(const ir::Module& module,
                                                                       const std::string& function);
  JitOptions options_;
  std::unique_ptr<codegen::JitEngine> engine_;
  std::map<std::string, std::shared_ptr<const codegen::Executable>> cache_;  // by printed IR + function
};

}  // namespace loom

#endif  // LOOM_FRONTENDS_JIT_H_
