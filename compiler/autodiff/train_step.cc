#include "compiler/autodiff/train_step.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "compiler/autodiff/gradients.h"
#include "ir/builder.h"
#include "ir/verifier.h"
#include "support/status_macros.h"

namespace loom::autodiff {

using ir::Builder;
using ir::OpCode;
using ir::Value;

namespace {

// Emits the update of one parameter; loads and stores its optimizer state.
class Updater {
 public:
  // `lr`: the learning rate, an f64 scalar (the optimizer.lr state, which a schedule sets).
  Updater(ir::Module& module, Builder& b, const Optimizer& opt, Value* lr)
      : module_(module), b_(b), opt_(opt), lr_(lr) {}

  absl::StatusOr<Value*> Scalar(Value* like, double v) { return b_.Splat(like->type().dtype, like->type().shape, v); }
  absl::StatusOr<Value*> Op(OpCode code, Value* a, Value* c) { return b_.Build(code, {a, c}); }
  absl::StatusOr<Value*> Op(OpCode code, Value* a) { return b_.Build(code, {a}); }
  // a * s for a scalar double s.
  absl::StatusOr<Value*> Scale(Value* a, double s) {
    ASSIGN_OR_RETURN(Value * sv, Scalar(a, s));
    return Op(OpCode::kMul, a, sv);
  }
  // a * the f64 scalar s, rounded to a's type as a constant would be.
  absl::StatusOr<Value*> ScaleBy(Value* a, Value* s) {
    ASSIGN_OR_RETURN(Value * c, b_.Cast(s, a->type().dtype));
    ASSIGN_OR_RETURN(Value * sb, b_.BroadcastInDim(c, a->type().shape, {}));
    return Op(OpCode::kMul, a, sb);
  }

  // The optimizer state `<param>.<slot>`, declared on first use.
  absl::StatusOr<Value*> LoadState(const ir::Global& param, const std::string& slot, double init) {
    std::string name = absl::StrCat(param.name, ".", slot);
    if (!module_.FindGlobal(name)) {
      ir::Initializer i = init == 0 ? ir::Initializer{} : ir::Initializer{ir::Initializer::Kind::kConstant, init, 0};
      module_.AddGlobal({name, false, param.type, i, {}});
    }
    return b_.Build(OpCode::kLoad, {}, {{"global", ir::SymbolRef{name}}});
  }
  // Stores wait for the end of the parameter's update (Flush), so that the new state and
  // the new parameter are computed by neighbouring ops: one fused loop over the three.
  absl::Status Store(const std::string& name, Value* v) {
    stores_.push_back({name, v});
    return absl::OkStatus();
  }
  absl::Status Flush() {
    for (const auto& [name, v] : stores_) {
      RETURN_IF_ERROR(b_.Create(OpCode::kStore, {v}, {{"global", ir::SymbolRef{name}}}).status());
    }
    stores_.clear();
    return absl::OkStatus();
  }

  // `step` is the 1-based step number as an f64 scalar (Adam's bias correction).
  absl::Status Update(const ir::Global& param, Value* g, Value* step) {
    ASSIGN_OR_RETURN(Value * p, b_.Build(OpCode::kLoad, {}, {{"global", ir::SymbolRef{param.name}}}));
    if (opt_.weight_decay != 0) {
      ASSIGN_OR_RETURN(Value * wd, Scale(p, opt_.weight_decay));
      ASSIGN_OR_RETURN(g, Op(OpCode::kAdd, g, wd));
    }
    Value* delta = nullptr;  // p -= delta
    switch (opt_.kind) {
      case Optimizer::Kind::kSgd: {
        Value* d = g;
        if (opt_.momentum != 0) {
          // buf = momentum * buf + g (zero-initialized, which equals PyTorch's first step)
          ASSIGN_OR_RETURN(Value * buf, LoadState(param, "momentum_buffer", 0));
          ASSIGN_OR_RETURN(Value * mb, Scale(buf, opt_.momentum));
          ASSIGN_OR_RETURN(buf, Op(OpCode::kAdd, mb, g));
          RETURN_IF_ERROR(Store(param.name + ".momentum_buffer", buf));
          if (opt_.nesterov) {
            ASSIGN_OR_RETURN(Value * mbuf, Scale(buf, opt_.momentum));
            ASSIGN_OR_RETURN(d, Op(OpCode::kAdd, g, mbuf));
          } else {
            d = buf;
          }
        }
        ASSIGN_OR_RETURN(delta, ScaleBy(d, lr_));
        break;
      }
      case Optimizer::Kind::kAdagrad: {
        // sum += g²; p -= lr · g / (sqrt(sum) + eps)
        ASSIGN_OR_RETURN(Value * sum, LoadState(param, "sum", opt_.initial_accumulator));
        ASSIGN_OR_RETURN(Value * g2, Op(OpCode::kMul, g, g));
        ASSIGN_OR_RETURN(sum, Op(OpCode::kAdd, sum, g2));
        RETURN_IF_ERROR(Store(param.name + ".sum", sum));
        ASSIGN_OR_RETURN(Value * root, Op(OpCode::kSqrt, sum));
        ASSIGN_OR_RETURN(Value * eps, Scalar(root, opt_.eps > 0 ? opt_.eps : 1e-10));
        ASSIGN_OR_RETURN(Value * den, Op(OpCode::kAdd, root, eps));
        ASSIGN_OR_RETURN(Value * q, Op(OpCode::kDiv, g, den));
        ASSIGN_OR_RETURN(delta, ScaleBy(q, lr_));
        break;
      }
      case Optimizer::Kind::kRmsprop: {
        // sq = α sq + (1-α) g²; avg = sqrt(sq) + eps; with momentum, buf = μ buf + g/avg
        ASSIGN_OR_RETURN(Value * sq, LoadState(param, "square_avg", 0));
        ASSIGN_OR_RETURN(Value * a_sq, Scale(sq, opt_.alpha));
        ASSIGN_OR_RETURN(Value * g2, Op(OpCode::kMul, g, g));
        ASSIGN_OR_RETURN(Value * b_g2, Scale(g2, 1 - opt_.alpha));
        ASSIGN_OR_RETURN(sq, Op(OpCode::kAdd, a_sq, b_g2));
        RETURN_IF_ERROR(Store(param.name + ".square_avg", sq));
        ASSIGN_OR_RETURN(Value * root, Op(OpCode::kSqrt, sq));
        ASSIGN_OR_RETURN(Value * eps, Scalar(root, opt_.eps > 0 ? opt_.eps : 1e-8));
        ASSIGN_OR_RETURN(Value * avg, Op(OpCode::kAdd, root, eps));
        ASSIGN_OR_RETURN(Value * q, Op(OpCode::kDiv, g, avg));
        if (opt_.momentum != 0) {
          ASSIGN_OR_RETURN(Value * buf, LoadState(param, "momentum_buffer", 0));
          ASSIGN_OR_RETURN(Value * mb, Scale(buf, opt_.momentum));
          ASSIGN_OR_RETURN(q, Op(OpCode::kAdd, mb, q));
          RETURN_IF_ERROR(Store(param.name + ".momentum_buffer", q));
        }
        ASSIGN_OR_RETURN(delta, ScaleBy(q, lr_));
        break;
      }
      case Optimizer::Kind::kAdam: {
        // m = β1 m + (1-β1) g; v = β2 v + (1-β2) g²;
        // p -= lr/(1-β1^t) · m / (sqrt(v)/sqrt(1-β2^t) + eps); corrections in f64 as PyTorch's
        ASSIGN_OR_RETURN(Value * m, LoadState(param, "exp_avg", 0));
        ASSIGN_OR_RETURN(Value * v, LoadState(param, "exp_avg_sq", 0));
        ASSIGN_OR_RETURN(Value * bm, Scale(m, opt_.beta1));
        ASSIGN_OR_RETURN(Value * gm, Scale(g, 1 - opt_.beta1));
        ASSIGN_OR_RETURN(m, Op(OpCode::kAdd, bm, gm));
        ASSIGN_OR_RETURN(Value * g2, Op(OpCode::kMul, g, g));
        ASSIGN_OR_RETURN(Value * bv, Scale(v, opt_.beta2));
        ASSIGN_OR_RETURN(Value * gv, Scale(g2, 1 - opt_.beta2));
        ASSIGN_OR_RETURN(v, Op(OpCode::kAdd, bv, gv));
        RETURN_IF_ERROR(Store(param.name + ".exp_avg", m));
        RETURN_IF_ERROR(Store(param.name + ".exp_avg_sq", v));
        ASSIGN_OR_RETURN(Value * b1, b_.Splat(DType::kF64, {}, opt_.beta1));
        ASSIGN_OR_RETURN(Value * b2, b_.Splat(DType::kF64, {}, opt_.beta2));
        ASSIGN_OR_RETURN(Value * one, b_.Splat(DType::kF64, {}, 1));
        ASSIGN_OR_RETURN(Value * b1t, Op(OpCode::kPow, b1, step));
        ASSIGN_OR_RETURN(Value * b2t, Op(OpCode::kPow, b2, step));
        ASSIGN_OR_RETURN(Value * bc1, Op(OpCode::kSub, one, b1t));
        ASSIGN_OR_RETURN(Value * bc2, Op(OpCode::kSub, one, b2t));
        ASSIGN_OR_RETURN(Value * step_size, Op(OpCode::kDiv, lr_, bc1));
        ASSIGN_OR_RETURN(Value * sbc2, Op(OpCode::kSqrt, bc2));
        DType dt = param.type.dtype;
        auto as_param = [&](Value* s) -> absl::StatusOr<Value*> {
          ASSIGN_OR_RETURN(Value * c, b_.Cast(s, dt));
          return b_.BroadcastInDim(c, param.type.shape, {});
        };
        ASSIGN_OR_RETURN(Value * root, Op(OpCode::kSqrt, v));
        ASSIGN_OR_RETURN(Value * sb, as_param(sbc2));
        ASSIGN_OR_RETURN(Value * scaled, Op(OpCode::kDiv, root, sb));
        ASSIGN_OR_RETURN(Value * eps, Scalar(root, opt_.eps > 0 ? opt_.eps : 1e-8));
        ASSIGN_OR_RETURN(Value * den, Op(OpCode::kAdd, scaled, eps));
        ASSIGN_OR_RETURN(Value * q, Op(OpCode::kDiv, m, den));
        ASSIGN_OR_RETURN(Value * ss, as_param(step_size));
        ASSIGN_OR_RETURN(delta, Op(OpCode::kMul, q, ss));
        break;
      }
    }
    ASSIGN_OR_RETURN(Value * updated, Op(OpCode::kSub, p, delta));
    RETURN_IF_ERROR(Store(param.name, updated));
    return Flush();
  }

 private:
  ir::Module& module_;
  Builder& b_;
  const Optimizer& opt_;
  Value* lr_;
  std::vector<std::pair<std::string, Value*>> stores_;  // see Store
};

// Adds `by` to the i64 scalar state `name` (declared when missing); returns the old value.
absl::StatusOr<Value*> Advance(ir::Module& module, Builder& b, const std::string& name) {
  if (!module.FindGlobal(name)) module.AddGlobal({name, false, {DType::kI64, {}}, {}, {}});
  ASSIGN_OR_RETURN(Value * old, b.Build(OpCode::kLoad, {}, {{"global", ir::SymbolRef{name}}}));
  ASSIGN_OR_RETURN(Value * one, b.Splat(DType::kI64, {}, 1));
  ASSIGN_OR_RETURN(Value * next, b.Build(OpCode::kAdd, {old, one}));
  RETURN_IF_ERROR(b.Create(OpCode::kStore, {next}, {{"global", ir::SymbolRef{name}}}).status());
  return old;
}

// The gradients' indices in the order `body` makes them final (the backward pass's).
std::vector<size_t> FinalityOrder(const ir::Block& body, const std::vector<Value*>& grads) {
  std::unordered_map<const ir::Op*, size_t> position;
  for (const auto& op : body.ops()) position.emplace(op.get(), position.size());
  auto at = [&](const Value* v) { return v->defining_op() ? position.at(v->defining_op()) : 0; };
  std::vector<size_t> order(grads.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return at(grads[x]) < at(grads[y]); });
  return order;
}

// Sums the loss and the gradients over the ranks: all_reduce ops of about bucket_bytes
// each, filled in `order` (the loss first); the values are replaced by the sums.
absl::Status SumOverRanks(Builder& b, const std::vector<size_t>& order, int64_t bucket_bytes, Value*& loss,
                          std::vector<Value*>& grads) {
  std::vector<Value**> values = {&loss};
  for (size_t i : order) values.push_back(&grads[i]);
  std::vector<Value**> bucket;
  int64_t bytes = 0;
  auto flush = [&]() -> absl::Status {
    if (bucket.empty()) return absl::OkStatus();
    std::vector<Value*> operands;
    for (Value** v : bucket) operands.push_back(*v);
    ASSIGN_OR_RETURN(ir::Op * sum, b.Create(OpCode::kAllReduce, operands, {}));
    for (size_t i = 0; i < bucket.size(); ++i) *bucket[i] = sum->result(i);
    bucket.clear();
    bytes = 0;
    return absl::OkStatus();
  };
  for (Value** v : values) {
    // One message holds one element type.
    if (!bucket.empty() && (*bucket.front())->type().dtype != (*v)->type().dtype) RETURN_IF_ERROR(flush());
    bucket.push_back(v);
    bytes += (*v)->type().num_elements() * DTypeSize((*v)->type().dtype);
    if (bytes >= bucket_bytes) RETURN_IF_ERROR(flush());
  }
  return flush();
}

}  // namespace

absl::StatusOr<ir::Function*> AddTrainStep(ir::Module& module, const TrainStepOptions& options) {
  const ir::Function* fn = module.FindFunction(options.function);
  if (fn == nullptr) return absl::NotFoundError(absl::StrCat("no function @", options.function, " to train"));
  if (module.FindFunction("train_step")) return absl::AlreadyExistsError("@train_step exists already");
  if (!(options.optimizer.lr > 0)) return absl::InvalidArgumentError("the learning rate must be positive");
  ir::Function* step_fn = module.AddFunction("train_step");
  ASSIGN_OR_RETURN(GradientGraph graph, BuildGradients(*fn, *step_fn, false));
  Builder b(&step_fn->body());
  std::vector<Value*> grads;
  for (auto& [name, g] : graph.grads) grads.push_back(g);
  Value* loss = graph.loss;
  // Updates in declaration order; across ranks in the order the sums arrive, so that the
  // last bucket's (the embedding's, whose gradient the backward pass makes last) travels
  // while the other parameters are updated.
  std::vector<size_t> update_order(grads.size());
  for (size_t i = 0; i < update_order.size(); ++i) update_order[i] = i;
  if (options.all_reduce) {
    update_order = FinalityOrder(step_fn->body(), grads);
    RETURN_IF_ERROR(SumOverRanks(b, update_order, options.bucket_bytes, loss, grads));
  }

  if (options.clip_value > 0) {
    for (Value*& g : grads) {
      ASSIGN_OR_RETURN(Value * hi, b.Splat(g->type().dtype, g->type().shape, options.clip_value));
      ASSIGN_OR_RETURN(Value * lo, b.Splat(g->type().dtype, g->type().shape, -options.clip_value));
      ASSIGN_OR_RETURN(Value * upper, b.Build(OpCode::kMin, {g, hi}));
      ASSIGN_OR_RETURN(g, b.Build(OpCode::kMax, {upper, lo}));
    }
  }
  if (options.clip_norm > 0 && !grads.empty()) {
    // coef = min(max_norm / (‖g‖ + 1e-6), 1), ‖g‖ the L2 norm over every gradient.
    Value* total = nullptr;
    for (Value* g : grads) {
      ASSIGN_OR_RETURN(Value * sq, b.Build(OpCode::kMul, {g, g}));
      std::vector<int64_t> axes(g->type().rank());
      for (size_t a = 0; a < axes.size(); ++a) axes[a] = a;
      ASSIGN_OR_RETURN(Value * s, b.Build(OpCode::kReduceSum, {sq}, {{"axes", axes}}));
      if (total == nullptr) {
        total = s;
      } else {
        ASSIGN_OR_RETURN(total, b.Build(OpCode::kAdd, {total, s}));
      }
    }
    ASSIGN_OR_RETURN(Value * norm, b.Build(OpCode::kSqrt, {total}));
    ASSIGN_OR_RETURN(Value * tiny, b.Splat(norm->type().dtype, {}, 1e-6));
    ASSIGN_OR_RETURN(Value * den, b.Build(OpCode::kAdd, {norm, tiny}));
    ASSIGN_OR_RETURN(Value * maxn, b.Splat(norm->type().dtype, {}, options.clip_norm));
    ASSIGN_OR_RETURN(Value * coef, b.Build(OpCode::kDiv, {maxn, den}));
    ASSIGN_OR_RETURN(Value * one, b.Splat(norm->type().dtype, {}, 1));
    ASSIGN_OR_RETURN(coef, b.Build(OpCode::kMin, {coef, one}));
    for (Value*& g : grads) {
      ASSIGN_OR_RETURN(Value * c, b.Cast(coef, g->type().dtype));
      ASSIGN_OR_RETURN(Value * cb, b.BroadcastInDim(c, g->type().shape, {}));
      ASSIGN_OR_RETURN(g, b.Build(OpCode::kMul, {g, cb}));
    }
  }

  // The step number t = old count + 1, as f64 for Adam's bias corrections.
  ASSIGN_OR_RETURN(Value * old_step, Advance(module, b, "optimizer.step"));
  ASSIGN_OR_RETURN(Value * one, b.Splat(DType::kI64, {}, 1));
  ASSIGN_OR_RETURN(Value * t, b.Build(OpCode::kAdd, {old_step, one}));
  ASSIGN_OR_RETURN(Value * tf, b.Cast(t, DType::kF64));
  // The learning rate is state, not a constant, so that a schedule can set it between
  // steps (CompiledModel::SetLearningRate) without compiling again.
  if (!module.FindGlobal(kLearningRate)) {
    module.AddGlobal({kLearningRate,
                      false,
                      {DType::kF64, {}},
                      ir::Initializer{ir::Initializer::Kind::kConstant, options.optimizer.lr, 0},
                      {}});
  }
  ASSIGN_OR_RETURN(Value * lr, b.Build(OpCode::kLoad, {}, {{"global", ir::SymbolRef{kLearningRate}}}));
  Updater updater(module, b, options.optimizer, lr);
  std::vector<std::string> names;
  for (auto& [name, g] : graph.grads) names.push_back(name);
  for (size_t i : update_order) {
    // Copy: declaring optimizer state may grow the globals vector.
    ir::Global param = *module.FindGlobal(names[i]);
    RETURN_IF_ERROR(updater.Update(param, grads[i], tf));
  }
  if (module.FindGlobal("rng.step")) RETURN_IF_ERROR(Advance(module, b, "rng.step").status());
  step_fn->set_result_types({loss->type()});
  RETURN_IF_ERROR(b.Return({loss}).status());
  RETURN_IF_ERROR(CleanUp(module));
  absl::Status verified = ir::Verify(module);
  if (!verified.ok()) return absl::InternalError(absl::StrCat("train_step is invalid IR: ", verified.message()));
  return step_fn;
}

absl::StatusOr<TrainStepOptions> ParseTrainStepOptions(absl::string_view text) {
  TrainStepOptions o;
  bool first = true;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    if (first) {
      first = false;
      if (item == "sgd") {
        o.optimizer.kind = Optimizer::Kind::kSgd;
        continue;
      }
      if (item == "adagrad") {
        o.optimizer.kind = Optimizer::Kind::kAdagrad;
        continue;
      }
      if (item == "rmsprop") {
        o.optimizer.kind = Optimizer::Kind::kRmsprop;
        continue;
      }
      if (item == "adam") {
        o.optimizer.kind = Optimizer::Kind::kAdam;
        o.optimizer.lr = 0.001;
        continue;
      }
    }
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(item, '=');
    if (kv.first == "fn") {
      o.function = std::string(kv.second);
      continue;
    }
    if (kv.first == "nesterov" || kv.first == "all_reduce") {
      (kv.first == "nesterov" ? o.optimizer.nesterov : o.all_reduce) = kv.second != "0" && kv.second != "false";
      continue;
    }
    if (kv.first == "bucket_bytes") {
      if (!absl::SimpleAtoi(kv.second, &o.bucket_bytes) || o.bucket_bytes < 1) {
        return absl::InvalidArgumentError(absl::StrCat("train-step option '", item, "' needs a positive integer"));
      }
      continue;
    }
    double v;
    if (!absl::SimpleAtod(kv.second, &v)) {
      return absl::InvalidArgumentError(absl::StrCat("train-step option '", item, "' needs a number"));
    }
    Optimizer& opt = o.optimizer;
    const std::pair<absl::string_view, double*> fields[] = {{"lr", &opt.lr},
                                                            {"momentum", &opt.momentum},
                                                            {"weight_decay", &opt.weight_decay},
                                                            {"eps", &opt.eps},
                                                            {"alpha", &opt.alpha},
                                                            {"beta1", &opt.beta1},
                                                            {"beta2", &opt.beta2},
                                                            {"clip_value", &o.clip_value},
                                                            {"clip_norm", &o.clip_norm},
                                                            {"initial_accumulator", &opt.initial_accumulator}};
    auto field = std::find_if(std::begin(fields), std::end(fields), [&](const auto& f) { return f.first == kv.first; });
    if (field == std::end(fields)) {
      return absl::InvalidArgumentError(absl::StrCat("unknown train-step option '", kv.first, "'"));
    }
    *field->second = v;
  }
  return o;
}

}  // namespace loom::autodiff
