// @train_step: forward, loss, backward, gradient clipping and the optimizer update, all
// as IR in one function, so passes and codegen see (and fuse across) the whole step.
// Update rules and defaults are PyTorch's (torch.optim, 1.13); optimizer state lives in
// module state named as PyTorch's optimizer state ("<param>.exp_avg", ...).
#ifndef LOOM_COMPILER_AUTODIFF_TRAIN_STEP_H_
#define LOOM_COMPILER_AUTODIFF_TRAIN_STEP_H_

#include <string>

#include "absl/status/statusor.h"
#include "ir/ir.h"

namespace loom::autodiff {

struct Optimizer {
  enum class Kind { kSgd, kAdagrad, kRmsprop, kAdam };
  Kind kind = Kind::kSgd;
  double lr = 0.01;
  double weight_decay = 0;
  double momentum = 0;                // SGD, RMSprop
  bool nesterov = false;              // SGD
  double eps = 0;                     // 0: the optimizer's default (Adagrad 1e-10, others 1e-8)
  double alpha = 0.99;                // RMSprop
  double beta1 = 0.9, beta2 = 0.999;  // Adam
  double initial_accumulator = 0;     // Adagrad
};

// The module state @train_step reads its learning rate from (f64[], initially
// Optimizer::lr): a schedule sets it between steps.
inline constexpr char kLearningRate[] = "optimizer.lr";

struct TrainStepOptions {
  std::string function = "loss";  // the loss function to differentiate
  Optimizer optimizer;
  double clip_value = 0;  // > 0: gradients clamped to [-v, v] (as min-char-rnn)
  double clip_norm = 0;   // > 0: global L2 norm scaled to at most this (clip_grad_norm_)
  // Data-parallel training (runtime/world.h): the loss — this rank's share of the whole
  // batch's, as frontends lower it for a rank — and the gradients are summed over the
  // ranks by all_reduce before clipping and the update, in buckets of about this many
  // bytes, each in the order its gradients become final (so the early-all-reduce pass
  // can start it there). Every rank then makes the same update.
  bool all_reduce = false;
  int64_t bucket_bytes = int64_t{1} << 20;
};

// Adds @train_step(inputs of @function) -> (loss). Each call updates the parameters and
// optimizer state, and advances the dropout counter @rng.step when the model has one.
// With all_reduce, the loss returned is the whole batch's.
absl::StatusOr<ir::Function*> AddTrainStep(ir::Module& module, const TrainStepOptions& options);

// "adam,lr=0.001,clip_norm=5": the text form loom-opt --train-step takes.
absl::StatusOr<TrainStepOptions> ParseTrainStepOptions(absl::string_view text);

}  // namespace loom::autodiff

#endif  // LOOM_COMPILER_AUTODIFF_TRAIN_STEP_H_
