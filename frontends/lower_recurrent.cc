// Recurrent layers over time: PyTorch's nn.RNN / nn.LSTM / nn.GRU (layers, directions,
// inter-layer dropout, batch_first, packed lengths) and custom cells, each direction of
// each layer one `scan`.
#include <cmath>

#include "frontends/lower_internal.h"
#include "ir/parser.h"
#include "support/status_macros.h"

namespace loom::frontends {

using ir::OpCode;

namespace {

// Stacks deeper than this are refused: the deepest RNNs in use have tens of layers, and a
// mistyped count would otherwise build (and compile) one scan per layer for minutes.
constexpr int64_t kMaxLayers = 1000;

// [B, T, ...] <-> [T, B, ...].
absl::StatusOr<Value*> SwapBatchTime(Builder& b, Value* x) {
  std::vector<int64_t> perm(x->type().rank());
  for (size_t i = 0; i < perm.size(); ++i) perm[i] = i;
  std::swap(perm[0], perm[1]);
  return b.Build(OpCode::kTranspose, {x}, {{"perm", perm}});
}

absl::StatusOr<Value*> Unsqueeze0(Builder& b, Value* x) {
  Shape s = x->type().shape;
  s.insert(s.begin(), 1);
  return b.Reshape(x, s);
}

}  // namespace

absl::StatusOr<Lowerer::Sequence> Lowerer::SequenceInput(int index, Value* x, int64_t features, bool batch_first,
                                                         const std::string& lengths, const std::string& what) {
  const ir::TensorType& xt = x->type();
  if (xt.rank() != 3 || xt.shape[2] != features || !IsFloat(xt.dtype)) {
    return LayerError(index, absl::StrCat("expects input [", batch_first ? "batch, time" : "time, batch", ", ",
                                          features, "] (", what, "), got ", xt.ToString()));
  }
  Sequence s{x, nullptr, 0, 0};
  if (batch_first) {
    ASSIGN_OR_RETURN(s.seq, SwapBatchTime(*b_, x));
  }
  s.T = s.seq->type().shape[0];
  s.B = s.seq->type().shape[1];
  if (!lengths.empty()) {
    if (model_.has_loss() && lengths == model_.loss().target()) {
      return LayerError(
          index, absl::StrCat("lengths '", lengths, "' is the loss's target: give the lengths an input of their own"));
    }
    ASSIGN_OR_RETURN(s.lengths, NamedValue(lengths, file_.LayerLoc(index)));
    if (options_.length_limits) {  // the longest sequence it may mask (@step's is 1)
      int64_t& limit = (*options_.length_limits)[lengths];
      limit = std::max(limit, s.T);
    }
    if (!IsInteger(s.lengths->type().dtype) || s.lengths->type().shape != Shape{s.B}) {
      return LayerError(index,
                        absl::StrCat("lengths must be integers [", s.B, "], got ", s.lengths->type().ToString()));
    }
  }
  return s;
}

absl::Status Lowerer::LowerRecurrent(int index, const proto::Recurrent& rec, int gates) {
  const proto::Layer& layer = model_.layer(index);
  const std::string& name = layer.name();
  Builder& b = *b_;
  if (layer.inputs_size() != 1) {
    return LayerError(index, absl::StrCat("takes 1 input, got ", layer.inputs_size()));
  }
  ASSIGN_OR_RETURN(Value * x, Input(index, 0));
  ASSIGN_OR_RETURN(int64_t input_size, Size(index, "input_size", rec.input_size()));
  ASSIGN_OR_RETURN(int64_t hidden, Size(index, "hidden_size", rec.hidden_size()));
  int64_t num_layers = rec.num_layers() == 0 ? 1 : rec.num_layers();
  if (num_layers < 0) return LayerError(index, "num_layers must be positive");
  if (num_layers > kMaxLayers) {
    return LayerError(index, absl::StrCat("num_layers ", num_layers, " is too large (limit ", kMaxLayers, ")"));
  }
  if (!(rec.dropout() >= 0 && rec.dropout() <= 1)) {
    return LayerError(index, absl::StrCat("dropout must be in [0, 1], got ", rec.dropout()));
  }
  bool relu = false;
  if (layer.has_rnn()) {
    if (rec.nonlinearity() == "relu") {
      relu = true;
    } else if (!rec.nonlinearity().empty() && rec.nonlinearity() != "tanh") {
      return LayerError(index, absl::StrCat("nonlinearity must be tanh or relu, got '", rec.nonlinearity(), "'"));
    }
  } else if (!rec.nonlinearity().empty()) {
    return LayerError(index, absl::StrCat("nonlinearity is an rnn's setting; an ", layer.has_lstm() ? "lstm" : "gru",
                                          "'s activations are fixed (got '", rec.nonlinearity(), "')"));
  }
  ASSIGN_OR_RETURN(Sequence in, SequenceInput(index, x, input_size, rec.batch_first(), rec.lengths(),
                                              absl::StrCat("input_size ", input_size)));
  Value* seq = in.seq;
  Value* lengths = in.lengths;
  int64_t T = in.T, B = in.B;
  int dirs = rec.bidirectional() ? 2 : 1;
  double bound = 1.0 / std::sqrt(static_cast<double>(hidden));
  // Truncated BPTT in training, and streaming inference: each call starts from the state
  // the previous call ended in (module state "<layer>.h_n", "<layer>.c_n"); the gradient
  // stops at that boundary, since state is not trained.
  bool carry = (training_ && model_.training().carry_state()) || streaming_;
  std::map<std::string, Value*> carried;
  if (carry) {
    for (const char* which : {".h_n", ".c_n"}) {
      if (gates != 4 && std::string(which) == ".c_n") continue;
      std::string state = name + which;
      if (!module_.FindGlobal(state)) {
        module_.AddGlobal({state, false, {float_, {num_layers * dirs, B, hidden}}, {}, {}});
      }
      ASSIGN_OR_RETURN(carried[which], b.Build(OpCode::kLoad, {}, {{"global", ir::SymbolRef{state}}}));
    }
  }
  std::vector<Value*> h_n, c_n;
  Value* layer_in = seq;
  for (int64_t l = 0; l < num_layers; ++l) {
    std::vector<Value*> outs;
    for (int d = 0; d < dirs; ++d) {
      std::string suffix = absl::StrCat("_l", l, d ? "_reverse" : "");
      int64_t in = l == 0 ? input_size : hidden * dirs;
      ASSIGN_OR_RETURN(Value * w_ih, Param(absl::StrCat(name, ".weight_ih", suffix), {gates * hidden, in},
                                           WeightInit(index, Uniform(bound))));
      ASSIGN_OR_RETURN(Value * w_hh, Param(absl::StrCat(name, ".weight_hh", suffix), {gates * hidden, hidden},
                                           WeightInit(index, Uniform(bound))));
      std::vector<Value*> invariants = {w_ih, w_hh};
      if (!rec.no_bias()) {
        for (const char* which : {".bias_ih", ".bias_hh"}) {
          ASSIGN_OR_RETURN(Value * bias,
                           Param(absl::StrCat(name, which, suffix), {gates * hidden}, BiasInit(index, Uniform(bound))));
          invariants.push_back(bias);
        }
      }
      bool lstm = gates == 4;
      std::vector<Value*> carries;
      for (const char* which : {".h_n", ".c_n"}) {
        if (!lstm && std::string(which) == ".c_n") continue;
        Value* init;
        if (carry) {
          ASSIGN_OR_RETURN(init, SelectIndex(b, carried[which], 0, l * dirs + d));
        } else {
          ASSIGN_OR_RETURN(init, b.Splat(float_, {B, hidden}, 0));
        }
        carries.push_back(init);
      }

      // The body: carries, the step's input, the weights.
      auto body = std::make_unique<ir::Block>();
      Value* h = body->AddArgument({float_, {B, hidden}}, "h");
      Value* c = lstm ? body->AddArgument({float_, {B, hidden}}, "c") : nullptr;
      Value* xt_arg = body->AddArgument({float_, {B, in}}, "x");
      std::vector<Value*> w;
      for (Value* v : invariants) w.push_back(body->AddArgument(v->type(), v->name_hint()));
      Value* b_ih = w.size() > 2 ? w[2] : nullptr;
      Value* b_hh = w.size() > 3 ? w[3] : nullptr;
      Builder ib(body.get());
      std::vector<Value*> yielded;
      if (lstm) {
        ASSIGN_OR_RETURN(LstmState s, LstmCell(ib, xt_arg, {h, c}, w[0], w[1], b_ih, b_hh));
        yielded = {s.h, s.c, s.h};
      } else if (gates == 3) {
        ASSIGN_OR_RETURN(Value * hn, GruCell(ib, xt_arg, h, w[0], w[1], b_ih, b_hh));
        yielded = {hn, hn};
      } else {
        ASSIGN_OR_RETURN(Value * hn, RnnCell(ib, xt_arg, h, w[0], w[1], b_ih, b_hh, relu));
        yielded = {hn, hn};
      }
      RETURN_IF_ERROR(ib.Yield(yielded).status());

      std::vector<Value*> operands = carries;
      operands.push_back(layer_in);
      operands.insert(operands.end(), invariants.begin(), invariants.end());
      if (lengths) operands.push_back(lengths);
      ir::AttrMap attrs = {{"length", T}};
      if (d == 1) attrs["reverse"] = true;
      ASSIGN_OR_RETURN(ir::Op * scan, b.Create(OpCode::kScan, operands, attrs, std::move(body),
                                               {static_cast<int>(carries.size()), 1,
                                                static_cast<int>(invariants.size()), lengths ? 1 : 0}));
      h_n.push_back(scan->result(0));
      if (lstm) c_n.push_back(scan->result(1));
      outs.push_back(scan->result(scan->num_results() - 1));
    }
    layer_in = outs[0];
    if (dirs == 2) {
      ASSIGN_OR_RETURN(layer_in, b.Concat(outs, 2));
    }
    if (training_ && rec.dropout() > 0 && l + 1 < num_layers) {
      ASSIGN_OR_RETURN(Value * counter, DropoutCounter());
      // Between layers the sequence is time-major, [T, B, features].
      BatchRows rows{.axis = 1, .offset = options_.rank * options_.batch};
      ASSIGN_OR_RETURN(layer_in,
                       Dropout(b, layer_in, rec.dropout(), DropoutSeed(absl::StrCat(name, "#", l)), counter, rows));
    }
  }
  Value* output = layer_in;
  if (rec.batch_first()) {
    ASSIGN_OR_RETURN(output, SwapBatchTime(b, output));
  }
  output->set_name_hint(name);
  Define(name, output);
  auto stack = [&](const std::vector<Value*>& finals) -> absl::StatusOr<Value*> {
    std::vector<Value*> rows;
    for (Value* v : finals) {
      ASSIGN_OR_RETURN(Value * r, Unsqueeze0(b, v));
      rows.push_back(r);
    }
    return b.Concat(rows, 0);
  };
  ASSIGN_OR_RETURN(Value * hn, stack(h_n));
  hn->set_name_hint(name + ".h_n");
  Define(name + ".h_n", hn);
  if (carry) RETURN_IF_ERROR(b.Create(OpCode::kStore, {hn}, {{"global", ir::SymbolRef{name + ".h_n"}}}).status());
  if (!c_n.empty()) {
    ASSIGN_OR_RETURN(Value * cn, stack(c_n));
    cn->set_name_hint(name + ".c_n");
    Define(name + ".c_n", cn);
    if (carry) RETURN_IF_ERROR(b.Create(OpCode::kStore, {cn}, {{"global", ir::SymbolRef{name + ".c_n"}}}).status());
  }
  return absl::OkStatus();
}

absl::StatusOr<Value*> Lowerer::CoreOp(Builder& b, const std::string& name, const std::vector<Value*>& operands,
                                       const google::protobuf::Map<std::string, std::string>& attributes, int64_t batch,
                                       bool in_cell) {
  std::optional<ir::OpCode> code = ir::ParseOpCode(name);
  if (!code) return absl::InvalidArgumentError(absl::StrCat("unknown op '", name, "'"));
  if (*code == OpCode::kScan || *code == OpCode::kFusion || *code == OpCode::kLoad || *code == OpCode::kStore ||
      ir::GetOpInfo(*code).has(ir::kTerminator)) {
    return absl::InvalidArgumentError(absl::StrCat("'", name, "' cannot be used in a ", in_cell ? "cell" : "layer"));
  }
  ir::AttrMap attrs;
  const ir::OpInfo& info = ir::GetOpInfo(*code);
  for (const auto& [key, text] : attributes) {
    const ir::AttrSpec* spec = info.FindAttr(key);
    if (!spec) return absl::InvalidArgumentError(absl::StrCat("'", name, "' has no attribute '", key, "'"));
    absl::StatusOr<ir::Attribute> a = ir::ParseAttribute(spec->kind, text);
    if (!a.ok()) return absl::InvalidArgumentError(absl::StrCat("attribute '", key, "': ", a.status().message()));
    if (key == "shape" || key == "limit") {
      for (int64_t& d : std::get<std::vector<int64_t>>(*a)) {
        if (d == -1) d = batch;
      }
    }
    attrs[key] = std::move(*a);
  }
  absl::StatusOr<ir::Op*> built = b.Create(*code, operands, attrs);
  if (!built.ok()) return built.status();
  if ((*built)->num_results() != 1) return absl::InvalidArgumentError("must have exactly one result");
  return (*built)->result(0);
}

absl::Status Lowerer::LowerCellLayer(int index, const proto::CellLayer& cl) {
  const proto::Layer& layer = model_.layer(index);
  const std::string& name = layer.name();
  Builder& b = *b_;
  int cell_index = -1;
  for (int i = 0; i < model_.cell_size(); ++i) {
    if (model_.cell(i).name() == cl.cell()) cell_index = i;
  }
  if (cell_index < 0) return LayerError(index, absl::StrCat("unknown cell '", cl.cell(), "'"));
  const proto::Cell& cell = model_.cell(cell_index);
  if (layer.inputs_size() != 1) return LayerError(index, absl::StrCat("takes 1 input, got ", layer.inputs_size()));
  ASSIGN_OR_RETURN(Value * x, Input(index, 0));
  ASSIGN_OR_RETURN(Sequence in, SequenceInput(index, x, cell.input_size(), cl.batch_first(), cl.lengths(),
                                              absl::StrCat("cell '", cell.name(), "'")));
  Value* seq = in.seq;
  Value* lengths = in.lengths;
  int64_t T = in.T, B = in.B;
  // Carries: the states, zero at the start unless the layer names their initial values.
  if (cl.initial_size() > cell.state_size()) {
    return LayerError(index, absl::StrCat("has ", cl.initial_size(), " initial states, cell '", cell.name(), "' has ",
                                          cell.state_size(), " states"));
  }
  auto body = std::make_unique<ir::Block>();
  std::map<std::string, Value*> scope;
  std::vector<Value*> carries;
  for (int i = 0; i < cell.state_size(); ++i) {
    const proto::CellState& s = cell.state(i);
    if (s.size() <= 0)
      return Error(file_.CellLoc(cell_index),
                   absl::StrCat("cell '", cell.name(), "': state '", s.name(), "' needs a positive size"));
    ir::TensorType type{float_, {B, s.size()}};
    Value* init;
    if (i < cl.initial_size() && !cl.initial(i).empty()) {
      ASSIGN_OR_RETURN(init, NamedValue(cl.initial(i), file_.LayerLoc(index)));
      if (init->type() != type) {
        return LayerError(index, absl::StrCat("initial state '", cl.initial(i), "' is ", init->type().ToString(),
                                              ", state '", s.name(), "' is ", type.ToString()));
      }
    } else {
      ASSIGN_OR_RETURN(init, b.Splat(float_, type.shape, 0));
    }
    carries.push_back(init);
    scope[s.name()] = body->AddArgument(type, s.name());
  }
  for (const auto& [param, value] : cl.bind()) {
    bool declared = false;
    for (const proto::CellParam& p : cell.param()) declared |= p.name() == param;
    if (!declared)
      return LayerError(index, absl::StrCat("binds '", param, "', not a parameter of cell '", cell.name(), "'"));
  }
  scope["x"] = body->AddArgument({float_, {B, cell.input_size()}}, "x");
  std::vector<Value*> invariants;
  for (const proto::CellParam& p : cell.param()) {
    Shape shape(p.shape().begin(), p.shape().end());
    for (int64_t d : shape) {
      if (d < 0)
        return Error(file_.CellLoc(cell_index),
                     absl::StrCat("cell '", cell.name(), "': parameter '", p.name(), "' has a negative dimension"));
    }
    Value* v;
    if (auto bound_to = cl.bind().find(p.name()); bound_to != cl.bind().end()) {
      ASSIGN_OR_RETURN(v, NamedValue(bound_to->second, file_.LayerLoc(index)));
      if (v->type() != ir::TensorType{float_, shape}) {
        return LayerError(index, absl::StrCat("'", bound_to->second, "' bound to parameter '", p.name(), "' is ",
                                              v->type().ToString(), ", the cell declares ",
                                              ir::TensorType{float_, shape}.ToString()));
      }
    } else {
      // Without an init, as nn.Linear would: uniform(±1/sqrt(last dimension)).
      double bound = 1.0 / std::sqrt(static_cast<double>(shape.empty() ? 1 : std::max<int64_t>(shape.back(), 1)));
      ASSIGN_OR_RETURN(
          v, Param(absl::StrCat(name, ".", p.name()), shape, p.has_init() ? InitFromProto(p.init()) : Uniform(bound)));
    }
    invariants.push_back(v);
    scope[p.name()] = body->AddArgument(v->type(), p.name());
  }
  Builder ib(body.get());
  for (int o = 0; o < cell.op_size(); ++o) {
    const proto::CellOp& op = cell.op(o);
    ir::Location loc = file_.CellOpLoc(cell_index, o);
    auto op_error = [&](absl::string_view what) {
      return ir::ErrorAt(loc, absl::StrCat("cell '", cell.name(), "', op '", op.result(), "': ", what));
    };
    std::vector<Value*> operands;
    for (const std::string& in : op.operands()) {
      auto it = scope.find(in);
      if (it == scope.end()) return op_error(absl::StrCat("operand '", in, "' is not defined before it"));
      operands.push_back(it->second);
    }
    ib.set_loc(loc);
    absl::StatusOr<Value*> built = CoreOp(ib, op.op(), operands, op.attributes(), B, /*in_cell=*/true);
    if (!built.ok()) return op_error(built.status().message());
    if (scope.count(op.result())) return op_error(absl::StrCat("'", op.result(), "' is defined twice"));
    (*built)->set_name_hint(op.result());
    scope[op.result()] = *built;
  }
  std::vector<Value*> yielded;
  for (const proto::CellState& s : cell.state()) {
    auto it = scope.find(s.next());
    if (it == scope.end()) {
      return Error(file_.CellLoc(cell_index), absl::StrCat("cell '", cell.name(), "': next value '", s.next(),
                                                           "' of state '", s.name(), "' is not defined"));
    }
    if (it->second->type() != ir::TensorType{float_, {B, s.size()}}) {
      return Error(file_.CellLoc(cell_index), absl::StrCat("cell '", cell.name(), "': next value '", s.next(), "' is ",
                                                           it->second->type().ToString(), ", state '", s.name(),
                                                           "' is f32[", B, ",", s.size(), "]"));
    }
    yielded.push_back(it->second);
  }
  auto out = scope.find(cell.output());
  if (out == scope.end()) {
    return Error(file_.CellLoc(cell_index),
                 absl::StrCat("cell '", cell.name(), "': output '", cell.output(), "' is not defined"));
  }
  yielded.push_back(out->second);
  RETURN_IF_ERROR(ib.Yield(yielded).status());
  std::vector<Value*> operands = carries;
  operands.push_back(seq);
  operands.insert(operands.end(), invariants.begin(), invariants.end());
  if (lengths) operands.push_back(lengths);
  ir::AttrMap attrs = {{"length", T}};
  if (cl.reverse()) attrs["reverse"] = true;
  absl::StatusOr<ir::Op*> scan =
      b.Create(OpCode::kScan, operands, attrs, std::move(body),
               {static_cast<int>(carries.size()), 1, static_cast<int>(invariants.size()), lengths ? 1 : 0});
  if (!scan.ok()) return LayerError(index, scan.status().message());
  Value* output = (*scan)->result((*scan)->num_results() - 1);
  if (cl.batch_first()) {
    ASSIGN_OR_RETURN(output, SwapBatchTime(b, output));
  }
  output->set_name_hint(name);
  Define(name, output);
  for (size_t s = 0; s < carries.size(); ++s) {
    Define(absl::StrCat(name, ".", cell.state(s).name()), (*scan)->result(s));
  }
  return absl::OkStatus();
}

}  // namespace loom::frontends
