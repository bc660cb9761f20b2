#include "compiler/pipeline/training_options.h"

namespace loom::pipeline {

namespace proto = frontends::proto;

absl::StatusOr<autodiff::TrainStepOptions> TrainStepOptionsFor(const frontends::ModelFile& file) {
  const proto::Model& m = file.model;
  if (!m.has_loss()) return ir::ErrorAt(file.file_loc, "the model has no loss to train");
  if (!m.training().has_optimizer()) return ir::ErrorAt(file.training_loc, "the training section names no optimizer");
  const proto::Optimizer& p = m.training().optimizer();
  autodiff::TrainStepOptions o;
  autodiff::Optimizer& opt = o.optimizer;
  opt.lr = p.lr();
  opt.weight_decay = p.weight_decay();
  using Kind = autodiff::Optimizer::Kind;
  switch (p.kind_case()) {
    case proto::Optimizer::kSgd:
      opt.kind = Kind::kSgd;
      opt.momentum = p.sgd().momentum();
      opt.nesterov = p.sgd().nesterov();
      break;
    case proto::Optimizer::kAdagrad:
      opt.kind = Kind::kAdagrad;
      opt.eps = p.adagrad().eps();
      opt.initial_accumulator = p.adagrad().initial_accumulator_value();
      break;
    case proto::Optimizer::kRmsprop:
      opt.kind = Kind::kRmsprop;
      opt.alpha = p.rmsprop().alpha() > 0 ? p.rmsprop().alpha() : 0.99;
      opt.eps = p.rmsprop().eps();
      opt.momentum = p.rmsprop().momentum();
      break;
    case proto::Optimizer::kAdam:
      opt.kind = Kind::kAdam;
      opt.beta1 = p.adam().beta1() > 0 ? p.adam().beta1() : 0.9;
      opt.beta2 = p.adam().beta2() > 0 ? p.adam().beta2() : 0.999;
      opt.eps = p.adam().eps();
      break;
    case proto::Optimizer::KIND_NOT_SET:
      return ir::ErrorAt(file.training_loc, "optimizer has no kind (sgd, adagrad, rmsprop, adam)");
  }
  if (m.training().clip().has_by_value()) o.clip_value = m.training().clip().by_value();
  if (m.training().clip().has_by_norm()) o.clip_norm = m.training().clip().by_norm();
  return o;
}

}  // namespace loom::pipeline
