#include "frontends/lower.h"

#include <cmath>
#include <set>

#include "absl/strings/match.h"
#include "frontends/lower_internal.h"
#include "ir/verifier.h"
#include "support/status_macros.h"

namespace loom::frontends {

using ir::OpCode;

ir::Initializer Uniform(double bound) { return {ir::Initializer::Kind::kUniform, -bound, bound}; }

namespace {

DType FromProtoDType(proto::DType d) { return static_cast<DType>(d); }

}  // namespace

ir::Initializer InitFromProto(const proto::Init& init) {
  using K = ir::Initializer::Kind;
  switch (init.kind_case()) {
    case proto::Init::kOnes: return {K::kOnes, 0, 0};
    case proto::Init::kConstant: return {K::kConstant, init.constant(), 0};
    case proto::Init::kUniform: return {K::kUniform, init.uniform().low(), init.uniform().high()};
    case proto::Init::kNormal: return {K::kNormal, init.normal().mean(), init.normal().std()};
    default: return {K::kZeros, 0, 0};
  }
}

namespace {

// Symbol names: PyTorch keys are already identifiers with dots.
std::string Sanitize(const std::string& name) {
  std::string out;
  for (char c : name) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.') ? c : '_';
  return out.empty() ? "model" : out;
}

int64_t NormalizeAxis(int64_t axis, int64_t rank) { return axis < 0 ? axis + rank : axis; }

}  // namespace

// Sizes past this are refused: no RNN needs them, and products of them must not overflow.
constexpr int64_t kMaxSize = int64_t{1} << 31;

absl::StatusOr<int64_t> Lowerer::Size(int index, const char* field, int64_t value) const {
  if (value >= kMaxSize) return LayerError(index, absl::StrCat(field, " ", value, " is too large (limit 2^31)"));
  if (value == -1) {
    if (options_.vocab <= 0) {
      return LayerError(
          index, absl::StrCat(field, " -1 is the vocabulary size, which is not bound ",
                              "(the vocabulary: CompileOptions::vocab, loom's and loomc's --vocab, or the data's)"));
    }
    return options_.vocab;
  }
  if (value <= 0) return LayerError(index, absl::StrCat(field, " must be positive, got ", value));
  return value;
}

ir::Initializer Lowerer::WeightInit(int index, ir::Initializer pytorch) const {
  const proto::Layer& l = model_.layer(index);
  return l.has_weight_init() ? InitFromProto(l.weight_init()) : pytorch;
}
ir::Initializer Lowerer::BiasInit(int index, ir::Initializer pytorch) const {
  const proto::Layer& l = model_.layer(index);
  return l.has_bias_init() ? InitFromProto(l.bias_init()) : pytorch;
}

absl::StatusOr<Value*> Lowerer::Param(const std::string& name, Shape shape, ir::Initializer init) {
  auto it = loaded_.find(name);
  if (it != loaded_.end()) return it->second;
  RETURN_IF_ERROR(CheckElementCount(float_, shape, absl::StrCat("parameter ", name)));
  if (init.kind == ir::Initializer::Kind::kUniform && !(init.a <= init.b)) {
    return absl::InvalidArgumentError(
        absl::StrCat("parameter ", name, ": uniform init needs low <= high, got low ", init.a, ", high ", init.b));
  }
  if (init.kind == ir::Initializer::Kind::kNormal && !(init.b >= 0)) {
    return absl::InvalidArgumentError(absl::StrCat("parameter ", name, ": normal init needs std >= 0, got ", init.b));
  }
  if (const ir::Global* g = module_.FindGlobal(name)) {
    if (g->type.shape != shape) {
      return absl::InvalidArgumentError(absl::StrCat("parameter ", name, " is declared twice"));
    }
  } else {
    module_.AddGlobal({name, true, {float_, shape}, init, {}});
  }
  ASSIGN_OR_RETURN(Value * v, b_->Build(OpCode::kLoad, {}, {{"global", ir::SymbolRef{name}}}));
  v->set_name_hint(name);
  return loaded_[name] = v;
}

absl::StatusOr<Value*> Lowerer::NamedValue(const std::string& name, const ir::Location& loc) {
  auto it = values_.find(name);
  if (it != values_.end()) return it->second;
  std::string known;
  for (const auto& [k, v] : values_) absl::StrAppend(&known, known.empty() ? "" : ", ", k);
  return ir::ErrorAt(loc, absl::StrCat("'", name, "' is not defined before this point (defined: ", known, ")"));
}

absl::StatusOr<Value*> Lowerer::Input(int index, int k) {
  const proto::Layer& l = model_.layer(index);
  if (k >= l.inputs_size()) return LayerError(index, "needs an input");
  auto v = NamedValue(l.inputs(k), file_.LayerLoc(index));
  if (!v.ok()) return LayerError(index, absl::StrCat("input '", l.inputs(k), "' is not defined before it"));
  return v;
}

int64_t Lowerer::DropoutSeed(const std::string& site) {
  uint64_t h = 1469598103934665603ull ^ model_.training().seed();
  for (char c : site) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return static_cast<int64_t>(h >> 1);
}

absl::StatusOr<std::optional<BatchRows>> Lowerer::BatchRowsOf(int index, const Value* x) const {
  // The batch axis is the one axis as long as the batch (the model file does not say
  // which it is past the inputs).
  const Shape& shape = x->type().shape;
  std::optional<int64_t> axis;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] != options_.batch) continue;
    if (axis) {
      if (options_.ranks == 1) return std::nullopt;
      return LayerError(index,
                        absl::StrCat("cannot tell the batch axis of ", x->type().ToString(), " (batch ", options_.batch,
                                     "), which its dropout masks need to be those of one "
                                     "process on every rank's rows: use another batch size per rank"));
    }
    axis = static_cast<int64_t>(d);
  }
  if (!axis) {
    if (options_.ranks == 1) return std::nullopt;
    return LayerError(index, absl::StrCat("has no batch axis in ", x->type().ToString(), " (batch ", options_.batch,
                                          "): data-parallel dropout needs one"));
  }
  return BatchRows{.axis = *axis, .offset = options_.rank * options_.batch};
}

absl::StatusOr<Value*> Lowerer::DropoutCounter() {
  const std::string name = "rng.step";
  auto it = loaded_.find(name);
  if (it != loaded_.end()) return it->second;
  if (!module_.FindGlobal(name)) {
    module_.AddGlobal({name, false, {DType::kI64, {}}, {}, {}});
  }
  ASSIGN_OR_RETURN(Value * v, b_->Build(OpCode::kLoad, {}, {{"global", ir::SymbolRef{name}}}));
  return loaded_[name] = v;
}

namespace {

absl::Status ExpectInputs(const Lowerer& lw, int index, int n) {
  int got = lw.model_.layer(index).inputs_size();
  if (got != n) {
    return lw.LayerError(index, absl::StrCat("takes ", n, " input", n == 1 ? "" : "s", ", got ", got));
  }
  return absl::OkStatus();
}

absl::Status LowerLayer(Lowerer& lw, int index) {
  const proto::Layer& l = lw.model_.layer(index);
  Builder& b = *lw.b_;
  const std::string& name = l.name();
  auto in_layer = [&](absl::StatusOr<Value*> v) -> absl::Status {
    if (!v.ok()) return lw.InLayer(index, v.status());
    (*v)->set_name_hint(name);
    lw.Define(name, *v);
    return absl::OkStatus();
  };
  switch (l.kind_case()) {
    case proto::Layer::kEmbedding: {
      RETURN_IF_ERROR(ExpectInputs(lw, index, 1));
      ASSIGN_OR_RETURN(Value * ids, lw.Input(index, 0));
      if (!IsInteger(ids->type().dtype)) {
        return lw.LayerError(index, absl::StrCat("expects integer token ids, got ", ids->type().ToString()));
      }
      ASSIGN_OR_RETURN(int64_t n, lw.Size(index, "num_embeddings", l.embedding().num_embeddings()));
      ASSIGN_OR_RETURN(int64_t d, lw.Size(index, "embedding_dim", l.embedding().embedding_dim()));
      ASSIGN_OR_RETURN(
          Value * w, lw.Param(name + ".weight", {n, d}, lw.WeightInit(index, {ir::Initializer::Kind::kNormal, 0, 1})));
      return in_layer(b.Build(OpCode::kGather, {w, ids}));
    }
    case proto::Layer::kLinear: {
      RETURN_IF_ERROR(ExpectInputs(lw, index, 1));
      ASSIGN_OR_RETURN(Value * x, lw.Input(index, 0));
      ASSIGN_OR_RETURN(int64_t in, lw.Size(index, "in_features", l.linear().in_features()));
      ASSIGN_OR_RETURN(int64_t out, lw.Size(index, "out_features", l.linear().out_features()));
      if (x->type().rank() < 1 || x->type().shape.back() != in) {
        return lw.LayerError(index, absl::StrCat("expects input with last dimension ", in, " (in_features), got ",
                                                 x->type().ToString()));
      }
      double bound = 1.0 / std::sqrt(static_cast<double>(in));
      ASSIGN_OR_RETURN(Value * w, lw.Param(name + ".weight", {out, in}, lw.WeightInit(index, Uniform(bound))));
      Value* bias = nullptr;
      if (!l.linear().no_bias()) {
        ASSIGN_OR_RETURN(bias, lw.Param(name + ".bias", {out}, lw.BiasInit(index, Uniform(bound))));
      }
      return in_layer(Linear(b, x, w, bias));
    }
    case proto::Layer::kRnn: return lw.LowerRecurrent(index, l.rnn(), 1);
    case proto::Layer::kLstm: return lw.LowerRecurrent(index, l.lstm(), 4);
    case proto::Layer::kGru: return lw.LowerRecurrent(index, l.gru(), 3);
    case proto::Layer::kCell: return lw.LowerCellLayer(index, l.cell());
    case proto::Layer::kDropout: {
      RETURN_IF_ERROR(ExpectInputs(lw, index, 1));
      ASSIGN_OR_RETURN(Value * x, lw.Input(index, 0));
      double p = l.dropout().p();
      if (!(p >= 0 && p <= 1)) return lw.LayerError(index, absl::StrCat("p must be in [0, 1], got ", p));
      if (!lw.training_ || p == 0) {
        lw.Define(name, x);
        return absl::OkStatus();
      }
      ASSIGN_OR_RETURN(Value * counter, lw.DropoutCounter());
      ASSIGN_OR_RETURN(std::optional<BatchRows> rows, lw.BatchRowsOf(index, x));
      return in_layer(Dropout(b, x, p, lw.DropoutSeed(name), counter, rows));
    }
    case proto::Layer::kActivation: {
      RETURN_IF_ERROR(ExpectInputs(lw, index, 1));
      ASSIGN_OR_RETURN(Value * x, lw.Input(index, 0));
      const std::string& fn = l.activation().function();
      OpCode code = fn == "relu" ? OpCode::kRelu : fn == "tanh" ? OpCode::kTanh : OpCode::kSigmoid;
      if (fn != "relu" && fn != "tanh" && fn != "sigmoid") {
        return lw.LayerError(index, absl::StrCat("unknown activation '", fn, "' (relu, tanh, sigmoid)"));
      }
      return in_layer(b.Build(code, {x}));
    }
    case proto::Layer::kSoftmax:
    case proto::Layer::kLogSoftmax: {
      RETURN_IF_ERROR(ExpectInputs(lw, index, 1));
      ASSIGN_OR_RETURN(Value * x, lw.Input(index, 0));
      const proto::Softmax& s = l.has_softmax() ? l.softmax() : l.log_softmax();
      int64_t rank = x->type().rank();
      int64_t axis = NormalizeAxis(s.has_dim() ? s.dim() : -1, rank);
      if (axis < 0 || axis >= rank) {
        return lw.LayerError(index, absl::StrCat("dim ", s.dim(), " is out of range for ", x->type().ToString()));
      }
      return in_layer(l.has_softmax() ? Softmax(b, x, axis) : LogSoftmax(b, x, axis));
    }
    case proto::Layer::kConcat: {
      if (l.inputs_size() < 1) return lw.LayerError(index, "needs at least one input");
      std::vector<Value*> xs;
      for (int k = 0; k < l.inputs_size(); ++k) {
        ASSIGN_OR_RETURN(Value * x, lw.Input(index, k));
        xs.push_back(x);
      }
      int64_t rank = xs[0]->type().rank();
      int64_t axis = NormalizeAxis(l.concat().dim(), rank);
      if (axis < 0 || axis >= rank) {
        return lw.LayerError(index,
                             absl::StrCat("dim ", l.concat().dim(), " is out of range for ", xs[0]->type().ToString()));
      }
      return in_layer(b.Concat(xs, axis));
    }
    case proto::Layer::kSelect: {
      RETURN_IF_ERROR(ExpectInputs(lw, index, 1));
      ASSIGN_OR_RETURN(Value * x, lw.Input(index, 0));
      int64_t rank = x->type().rank();
      int64_t axis = NormalizeAxis(l.select().dim(), rank);
      if (axis < 0 || axis >= rank) {
        return lw.LayerError(index,
                             absl::StrCat("dim ", l.select().dim(), " is out of range for ", x->type().ToString()));
      }
      int64_t size = x->type().shape[axis];
      int64_t i = l.select().index() < 0 ? l.select().index() + size : l.select().index();
      if (i < 0 || i >= size) {
        return lw.LayerError(index, absl::StrCat("index ", l.select().index(), " is out of range for dim ",
                                                 l.select().dim(), " of ", x->type().ToString()));
      }
      return in_layer(SelectIndex(b, x, axis, i));
    }
    case proto::Layer::kOneHot: {
      RETURN_IF_ERROR(ExpectInputs(lw, index, 1));
      ASSIGN_OR_RETURN(Value * ids, lw.Input(index, 0));
      ASSIGN_OR_RETURN(int64_t depth, lw.Size(index, "depth", l.one_hot().depth()));
      if (!IsInteger(ids->type().dtype)) {
        return lw.LayerError(index, absl::StrCat("expects integer ids, got ", ids->type().ToString()));
      }
      return in_layer(b.Build(OpCode::kOneHot, {ids}, {{"depth", depth}, {"dtype", lw.float_}}));
    }
    case proto::Layer::kOp: {
      std::vector<Value*> operands;
      for (int k = 0; k < l.inputs_size(); ++k) {
        ASSIGN_OR_RETURN(Value * x, lw.Input(index, k));
        operands.push_back(x);
      }
      return in_layer(lw.CoreOp(b, l.op().op(), operands, l.op().attributes(), lw.options().batch, /*in_cell=*/false));
    }
    case proto::Layer::kParam: {
      RETURN_IF_ERROR(ExpectInputs(lw, index, 0));
      Shape shape(l.param().shape().begin(), l.param().shape().end());
      for (int64_t d : shape) {
        if (d < 0) return lw.LayerError(index, absl::StrCat("a parameter's dimensions are not negative, got ", d));
      }
      return in_layer(lw.Param(name, shape, lw.WeightInit(index, {ir::Initializer::Kind::kZeros, 0, 0})));
    }
    case proto::Layer::KIND_NOT_SET: break;
  }
  return lw.LayerError(index,
                       "has no kind (embedding, linear, rnn, lstm, gru, cell, dropout, "
                       "activation, softmax, log_softmax, concat, select, one_hot, op, param)");
}

absl::StatusOr<Value*> LowerLoss(Lowerer& lw) {
  const proto::Loss& loss = lw.model_.loss();
  Builder& b = *lw.b_;
  const ir::Location& loc = lw.file_.loss_loc;
  ASSIGN_OR_RETURN(Value * x, lw.NamedValue(loss.input(), loc));
  ASSIGN_OR_RETURN(Value * y, lw.NamedValue(loss.target(), loc));
  Reduction reduction{.mean = true, .ranks = lw.options().ranks};
  if (loss.reduction() == "sum") {
    reduction.mean = false;
  } else if (!loss.reduction().empty() && loss.reduction() != "mean") {
    return ir::ErrorAt(loc, absl::StrCat("loss reduction must be mean or sum, got '", loss.reduction(), "'"));
  }
  auto wrap = [&](absl::StatusOr<Value*> v) -> absl::StatusOr<Value*> {
    if (!v.ok()) return ir::ErrorAt(loc, absl::StrCat("loss: ", v.status().message()));
    return v;
  };
  const ir::TensorType &xt = x->type(), &yt = y->type();
  // With lengths, position (b, t) of batch-first [B, T, ...] counts only when t < lengths[b].
  Value* mask = nullptr;
  if (!loss.lengths().empty()) {
    if (loss.lengths() == loss.target()) {
      return ir::ErrorAt(loc, absl::StrCat("loss lengths '", loss.lengths(),
                                           "' is the loss's target: give the lengths an input of their own"));
    }
    ASSIGN_OR_RETURN(Value * lengths, lw.NamedValue(loss.lengths(), loc));
    if (xt.rank() < 2 || lengths->type().shape != Shape{xt.shape[0]} || !IsInteger(lengths->type().dtype)) {
      return ir::ErrorAt(loc, absl::StrCat("loss lengths ", lengths->type().ToString(),
                                           " need batch-first input [B, T, ...], got ", xt.ToString()));
    }
    Shape bt = {xt.shape[0], xt.shape[1]};
    if (lw.options().length_limits) {
      int64_t& limit = (*lw.options().length_limits)[loss.lengths()];
      limit = std::max(limit, xt.shape[1]);
    }
    ASSIGN_OR_RETURN(Value * t, wrap(b.Build(OpCode::kIota, {},
                                             {{"shape", bt}, {"dim", int64_t{1}}, {"dtype", lengths->type().dtype}})));
    ASSIGN_OR_RETURN(Value * lb, wrap(b.BroadcastInDim(lengths, bt, {0})));
    ASSIGN_OR_RETURN(Value * live, wrap(b.Compare(t, lb, "lt")));
    ASSIGN_OR_RETURN(mask, wrap(b.Cast(live, xt.dtype)));
  }
  switch (loss.kind_case()) {
    case proto::Loss::kCrossEntropy: {
      if (!IsInteger(yt.dtype) || xt.rank() != yt.rank() + 1 || xt.rank() < 2 ||
          !std::equal(yt.shape.begin(), yt.shape.end(), xt.shape.begin())) {
        return ir::ErrorAt(loc, absl::StrCat("cross_entropy needs logits [N, C] or [B, T, C] and integer ",
                                             "targets [N] or [B, T]; got ", xt.ToString(), " and ", yt.ToString()));
      }
      int64_t n = yt.num_elements(), c = xt.shape.back();
      ASSIGN_OR_RETURN(Value * logits, wrap(b.Reshape(x, {n, c})));
      ASSIGN_OR_RETURN(Value * target, wrap(b.Reshape(y, {n})));
      Value* weights = nullptr;
      if (mask) {
        ASSIGN_OR_RETURN(weights, wrap(b.Reshape(mask, {n})));
      }
      return wrap(CrossEntropy(b, logits, target, weights, reduction));
    }
    case proto::Loss::kBceWithLogits:
    case proto::Loss::kMse: {
      if (xt != yt) {
        return ir::ErrorAt(
            loc, absl::StrCat(loss.has_mse() ? "mse" : "bce_with_logits", " needs input and target of one type, got ",
                              xt.ToString(), " and ", yt.ToString()));
      }
      Value* weights = nullptr;
      if (mask) {
        std::vector<int64_t> dims = {0, 1};
        ASSIGN_OR_RETURN(weights, wrap(b.BroadcastInDim(mask, xt.shape, dims)));
      }
      return wrap(loss.has_mse() ? Mse(b, x, y, weights, reduction) : BceWithLogits(b, x, y, weights, reduction));
    }
    case proto::Loss::KIND_NOT_SET: break;
  }
  return ir::ErrorAt(loc, "loss has no kind (cross_entropy, bce_with_logits, mse)");
}

absl::Status CheckNames(const ModelFile& file) {
  const proto::Model& m = file.model;
  std::set<std::string> names;
  for (int i = 0; i < m.input_size(); ++i) {
    if (m.input(i).name().empty()) return ir::ErrorAt(file.InputLoc(i), "input needs a name");
    if (!names.insert(m.input(i).name()).second) {
      return ir::ErrorAt(file.InputLoc(i), absl::StrCat("duplicate name '", m.input(i).name(), "'"));
    }
  }
  for (int i = 0; i < m.layer_size(); ++i) {
    if (m.layer(i).name().empty()) return ir::ErrorAt(file.LayerLoc(i), "layer needs a name");
    if (!names.insert(m.layer(i).name()).second) {
      return ir::ErrorAt(file.LayerLoc(i), absl::StrCat("duplicate name '", m.layer(i).name(), "'"));
    }
  }
  std::set<std::string> cells;
  for (int i = 0; i < m.cell_size(); ++i) {
    if (!cells.insert(m.cell(i).name()).second) {
      return ir::ErrorAt(file.CellLoc(i), absl::StrCat("duplicate cell '", m.cell(i).name(), "'"));
    }
  }
  if (m.output_size() == 0 && !m.has_loss()) {
    return ir::ErrorAt(file.file_loc, "the model has no output and no loss");
  }
  return absl::OkStatus();
}

absl::Status CheckTraining(const ModelFile& file) {
  if (!file.model.has_training()) return absl::OkStatus();
  const proto::Training& t = file.model.training();
  const ir::Location& loc = file.training_loc;
  if (t.has_optimizer()) {
    if (t.optimizer().kind_case() == proto::Optimizer::KIND_NOT_SET) {
      return ir::ErrorAt(loc, "optimizer has no kind (sgd, adagrad, rmsprop, adam)");
    }
    if (!(t.optimizer().lr() > 0)) {
      return ir::ErrorAt(loc, absl::StrCat("optimizer lr must be positive, got ", t.optimizer().lr()));
    }
    // PyTorch's ranges (0 means the default where the field says so): a value outside
    // one trains on as if nothing were wrong, to nonsense.
    const proto::Optimizer& o = t.optimizer();
    struct Range {
      const char* name;
      double value, high;  // in [0, high)
    };
    std::vector<Range> ranges = {{"weight_decay", o.weight_decay(), INFINITY}};
    if (o.has_sgd()) ranges.push_back({"sgd momentum", o.sgd().momentum(), INFINITY});
    if (o.has_adagrad()) {
      ranges.push_back({"adagrad eps", o.adagrad().eps(), INFINITY});
      ranges.push_back({"adagrad initial_accumulator_value", o.adagrad().initial_accumulator_value(), INFINITY});
    }
    if (o.has_rmsprop()) {
      ranges.push_back({"rmsprop alpha", o.rmsprop().alpha(), 1});
      ranges.push_back({"rmsprop eps", o.rmsprop().eps(), INFINITY});
      ranges.push_back({"rmsprop momentum", o.rmsprop().momentum(), INFINITY});
    }
    if (o.has_adam()) {
      ranges.push_back({"adam beta1", o.adam().beta1(), 1});
      ranges.push_back({"adam beta2", o.adam().beta2(), 1});
      ranges.push_back({"adam eps", o.adam().eps(), INFINITY});
    }
    for (const Range& r : ranges) {
      if (!(r.value >= 0 && r.value < r.high)) {
        return ir::ErrorAt(loc, absl::StrCat("optimizer ", r.name, " must be in [0, ", r.high, "), got ", r.value));
      }
    }
  }
  if (t.batch_size() < 0 || t.seq_length() < 0) {
    return ir::ErrorAt(loc, "batch_size and seq_length must not be negative");
  }
  if ((t.clip().has_by_value() && !(t.clip().by_value() > 0)) ||
      (t.clip().has_by_norm() && !(t.clip().by_norm() > 0))) {
    return ir::ErrorAt(loc, "clip bounds must be positive");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Lowerer::LowerFunction(ir::Function* f, bool training, bool streaming) {
  training_ = training;
  streaming_ = streaming;
  values_.clear();
  loaded_.clear();
  b_ = std::make_unique<Builder>(&f->body());
  for (int i = 0; i < model_.input_size(); ++i) {
    const proto::Input& in = model_.input(i);
    if (!training && model_.has_loss() && in.name() == model_.loss().target()) continue;
    Shape shape;
    int batch_dims = 0;
    for (int64_t d : in.shape()) {
      if (d == -1) {
        ++batch_dims;
        shape.push_back(options_.batch);
      } else if (d >= kMaxSize) {
        return ir::ErrorAt(file_.InputLoc(i),
                           absl::StrCat("input '", in.name(), "': dimension ", d, " is too large (limit 2^31)"));
      } else if (d < 1) {
        // A zero-length window or sequence trains on nothing and divides by zero.
        return ir::ErrorAt(file_.InputLoc(i), absl::StrCat("input '", in.name(), "': dimension ", d,
                                                           " is invalid (sizes are positive; -1 is the batch)"));
      } else {
        shape.push_back(d);
      }
    }
    if (batch_dims > 1) {
      return ir::ErrorAt(file_.InputLoc(i), absl::StrCat("input '", in.name(), "' has more than one -1"));
    }
    if (streaming && batch_dims == 1 && shape.size() >= 2) {
      // The time dimension sits beside the batch: [B, T, ...] or [T, B, ...].
      shape[in.shape(0) == -1 ? 1 : 0] = 1;
    }
    values_[in.name()] = f->body().AddArgument({FromProtoDType(in.dtype()), shape}, in.name());
  }
  for (int i = 0; i < model_.layer_size(); ++i) {
    absl::Status s = LowerLayer(*this, i);
    // An error without a place (a size check deep in the lowering) is the layer's.
    if (!s.ok() && !absl::StrContains(s.message(), ": error: ")) return LayerError(i, s.message());
    RETURN_IF_ERROR(s);
  }
  if (!training && !streaming && options_.value_types) {
    for (const auto& [name, v] : values_) (*options_.value_types)[name] = v->type();
  }
  std::vector<Value*> results;
  if (training) {
    ASSIGN_OR_RETURN(Value * loss, LowerLoss(*this));
    loss->set_name_hint("loss");
    results.push_back(loss);
  } else {
    for (const std::string& out : model_.output()) {
      ASSIGN_OR_RETURN(Value * v, NamedValue(out, file_.file_loc));
      results.push_back(v);
    }
  }
  std::vector<ir::TensorType> types;
  for (Value* v : results) types.push_back(v->type());
  f->set_result_types(types);
  return b_->Return(results).status();
}

// The float inputs' type, which must be one.
absl::StatusOr<DType> FloatType(const ModelFile& file) {
  std::optional<std::pair<DType, std::string>> first;
  for (int i = 0; i < file.model.input_size(); ++i) {
    const proto::Input& in = file.model.input(i);
    DType d = FromProtoDType(in.dtype());
    if (!IsFloat(d)) continue;
    if (first && first->first != d) {
      return ir::ErrorAt(file.InputLoc(i),
                         absl::StrCat("input '", in.name(), "' is ", DTypeName(d), " but input '", first->second,
                                      "' is ", DTypeName(first->first), ": a model computes in one float type"));
    }
    if (!first) first = {d, in.name()};
  }
  return first ? first->first : DType::kF32;
}

absl::StatusOr<std::unique_ptr<ir::Module>> LowerModel(const ModelFile& file, const LowerOptions& options) {
  RETURN_IF_ERROR(CheckNames(file));
  RETURN_IF_ERROR(CheckTraining(file));
  if (options.batch < 1 || options.batch >= kMaxSize) {
    return absl::InvalidArgumentError("the batch size must be between 1 and 2^31");
  }
  auto module = std::make_unique<ir::Module>(Sanitize(file.model.name()));
  Lowerer lowerer(file, options, *module);
  ASSIGN_OR_RETURN(lowerer.float_, FloatType(file));
  if (file.model.output_size() > 0) {
    RETURN_IF_ERROR(lowerer.LowerFunction(module->AddFunction("forward"), /*training=*/false));
  }
  if (file.model.has_loss()) {
    RETURN_IF_ERROR(lowerer.LowerFunction(module->AddFunction("loss"), /*training=*/true));
  }
  if (options.streaming && file.model.output_size() > 0) {
    RETURN_IF_ERROR(lowerer.LowerFunction(module->AddFunction("step"), /*training=*/false, /*streaming=*/true));
  }
  absl::Status verified = ir::Verify(*module);
  if (!verified.ok()) {
    return absl::InternalError(absl::StrCat("lowering produced invalid IR: ", verified.message()));
  }
  return module;
}

}  // namespace loom::frontends
