// ONNX's LSTM, GRU and RNN: each direction a custom cell run over time (a CellLayer),
// written op by op with ONNX's gate order (LSTM i o f c, GRU z r h), activations, clip,
// peepholes, input_forget and linear_before_reset. The cell's weights are slices of the
// node's W, R, B and P (bound, not parameters of their own), so that weights that are
// initializers train as the one ONNX tensor they are.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "frontends/onnx/importer.h"
#include "support/status_macros.h"

namespace loom::frontends::onnx {

namespace {

// An activation function and the alpha and beta it takes (ONNX's defaults).
struct Activation {
  std::string name;
  float alpha = 0, beta = 0;
};

struct FunctionSpec {
  int params;  // 0, alpha, or alpha and beta
  float alpha, beta;
};

const std::map<std::string, FunctionSpec>& Functions() {
  static const auto* table = new std::map<std::string, FunctionSpec>{
      {"Sigmoid", {0, 0, 0}},
      {"Tanh", {0, 0, 0}},
      {"Relu", {0, 0, 0}},
      {"Softsign", {0, 0, 0}},
      {"Softplus", {0, 0, 0}},
      {"LeakyRelu", {1, 0.01f, 0}},
      {"ThresholdedRelu", {1, 1, 0}},
      {"Elu", {1, 1, 0}},
      {"Affine", {2, 1, 0}},
      {"ScaledTanh", {2, 1, 1}},
      {"HardSigmoid", {2, 0.2f, 0.5f}},
  };
  return *table;
}

// Writes one cell's ops: names are unique within it.
class CellWriter {
 public:
  CellWriter(proto::Cell* cell, DType dtype, int64_t hidden) : cell_(cell), dtype_(dtype), hidden_(hidden) {}

  std::string Op(const std::string& op, std::vector<std::string> operands, Attrs attrs = {}) {
    proto::CellOp* o = cell_->add_op();
    o->set_result(absl::StrCat("t", next_++));
    o->set_op(op);
    for (const std::string& v : operands) o->add_operands(v);
    for (const auto& [k, v] : attrs) (*o->mutable_attributes())[k] = v;
    return o->result();
  }
  // A scalar as [batch, width].
  std::string Splat(double value, int64_t width) {
    std::string type = dtype_ == DType::kF64 ? "f64" : "f32";
    std::string c = Op("constant", {}, {{"value", absl::StrFormat("dense<%s[]: %.17g>", type, value)}});
    return Op("broadcast_in_dim", {c}, {{"shape", Ints({-1, width})}, {"dims", "[]"}});
  }
  std::string Row(const std::string& vector, int64_t width) {  // [width] as [batch, width]
    return Op("broadcast_in_dim", {vector}, {{"shape", Ints({-1, width})}, {"dims", "[1]"}});
  }
  std::string Gate(const std::string& g, int64_t k) {  // the k-th block of H columns
    return Op("slice", {g}, {{"start", Ints({0, k * hidden_})}, {"limit", Ints({-1, (k + 1) * hidden_})}});
  }
  std::string Clip(const std::string& x, std::optional<float> clip) {
    if (!clip) return x;
    return Op("min", {Op("max", {x, Splat(-*clip, hidden_)}), Splat(*clip, hidden_)});
  }
  std::string Apply(const Activation& a, const std::string& x) {
    int64_t H = hidden_;
    if (a.name == "Sigmoid") return Op("sigmoid", {x});
    if (a.name == "Tanh") return Op("tanh", {x});
    if (a.name == "Relu") return Op("relu", {x});
    if (a.name == "Softsign") return Op("div", {x, Op("add", {Splat(1, H), Op("abs", {x})})});
    if (a.name == "Softplus") return Op("log", {Op("add", {Splat(1, H), Op("exp", {x})})});
    if (a.name == "LeakyRelu") {
      return Op("add", {Op("relu", {x}), Op("mul", {Splat(a.alpha, H), Op("min", {x, Splat(0, H)})})});
    }
    if (a.name == "ThresholdedRelu") {
      std::string above = Op("compare", {x, Splat(a.alpha, H)}, {{"direction", "\"gt\""}});
      return Op("select", {above, x, Splat(0, H)});
    }
    if (a.name == "Elu") {
      std::string negative = Op("mul", {Splat(a.alpha, H), Op("sub", {Op("exp", {x}), Splat(1, H)})});
      return Op("select", {Op("compare", {x, Splat(0, H)}, {{"direction", "\"ge\""}}), x, negative});
    }
    if (a.name == "Affine") return Op("add", {Op("mul", {Splat(a.alpha, H), x}), Splat(a.beta, H)});
    if (a.name == "ScaledTanh") return Op("mul", {Splat(a.alpha, H), Op("tanh", {Op("mul", {Splat(a.beta, H), x})})});
    // HardSigmoid
    std::string y = Op("add", {Op("mul", {Splat(a.alpha, H), x}), Splat(a.beta, H)});
    return Op("min", {Op("max", {y, Splat(0, H)}), Splat(1, H)});
  }

 private:
  proto::Cell* cell_;
  DType dtype_;
  int64_t hidden_;
  int next_ = 0;
};

}  // namespace

absl::Status Importer::Recurrent(int gates) {
  std::set<std::string> known = {"activation_alpha", "activation_beta", "activations", "clip",
                                 "direction",        "hidden_size",     "layout"};
  if (gates == 4) known.insert("input_forget");
  if (gates == 3) known.insert("linear_before_reset");
  RETURN_IF_ERROR(OnlyAttrs(known));
  int max_outputs = gates == 4 ? 3 : 2;  // Y, Y_h (and an LSTM's Y_c)
  if (NumOutputs() > max_outputs) {
    return NodeError(absl::StrCat("has ", NumOutputs(), " outputs; ", node_->op_type(), " has ", max_outputs));
  }
  ASSIGN_OR_RETURN(std::string direction, StringAttr("direction", "forward"));
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional") {
    return NodeError(absl::StrCat("attribute direction '", direction, "' is not forward, reverse or bidirectional"));
  }
  int64_t dirs = direction == "bidirectional" ? 2 : 1;
  ASSIGN_OR_RETURN(int64_t layout, IntAttr("layout", 0));
  if (layout != 0 && layout != 1) return NodeError(absl::StrCat("attribute layout ", layout, " is not 0 or 1"));
  ASSIGN_OR_RETURN(int64_t input_forget, IntAttr("input_forget", 0));
  ASSIGN_OR_RETURN(int64_t linear_before_reset, IntAttr("linear_before_reset", 0));
  std::optional<float> clip;
  if (Attr("clip") != nullptr) {
    ASSIGN_OR_RETURN(clip, FloatAttr("clip", 0));
    if (!(*clip > 0)) return NodeError(absl::StrCat("attribute clip ", *clip, " is not positive"));
  }

  ASSIGN_OR_RETURN(Val x, In(0));
  ASSIGN_OR_RETURN(Val w, In(1));
  ASSIGN_OR_RETURN(Val r, In(2));
  auto type = [](const Val& v) { return TypeText(v); };
  if (x.shape.size() != 3 || !IsFloat(x.dtype))
    return NodeError(absl::StrCat("X must be a float [T, B, I], got ", type(x)));
  int64_t T = x.shape[layout ? 1 : 0], B = x.shape[layout ? 0 : 1], I = x.shape[2];
  if (r.shape.size() != 3 || r.shape[0] != dirs || r.shape[1] % gates != 0) {
    return NodeError(absl::StrCat("R must be [", dirs, ", ", gates, "·hidden_size, hidden_size], got ", type(r)));
  }
  int64_t H = r.shape[2];
  ASSIGN_OR_RETURN(int64_t hidden_size, IntAttr("hidden_size", H));
  int64_t G = gates * H;
  auto expect = [&](const Val& v, const char* what, const Shape& shape) -> absl::Status {
    if (v.dtype != x.dtype || v.shape != shape) {
      return NodeError(absl::StrCat(what, " must be ", ir::TensorType{x.dtype, shape}.ToString(), ", got ", type(v)));
    }
    return absl::OkStatus();
  };
  if (hidden_size != H) return NodeError(absl::StrCat("attribute hidden_size ", hidden_size, " but R is ", type(r)));
  RETURN_IF_ERROR(expect(w, "W", {dirs, G, I}));
  RETURN_IF_ERROR(expect(r, "R", {dirs, G, H}));
  std::optional<Val> bias, lengths, init_h, init_c, peep;
  if (HasInput(3)) {
    ASSIGN_OR_RETURN(bias, In(3));
    RETURN_IF_ERROR(expect(*bias, "B", {dirs, 2 * G}));
  }
  if (HasInput(4)) {
    ASSIGN_OR_RETURN(lengths, In(4));
    if (!IsInteger(lengths->dtype) || lengths->shape != Shape{B}) {
      return NodeError(absl::StrCat("sequence_lens must be integers [", B, "], got ", type(*lengths)));
    }
  }
  Shape state_shape = layout ? Shape{B, dirs, H} : Shape{dirs, B, H};
  if (HasInput(5)) {
    ASSIGN_OR_RETURN(init_h, In(5));
    RETURN_IF_ERROR(expect(*init_h, "initial_h", state_shape));
  }
  if (gates == 4 && HasInput(6)) {
    ASSIGN_OR_RETURN(init_c, In(6));
    RETURN_IF_ERROR(expect(*init_c, "initial_c", state_shape));
  }
  if (gates == 4 && HasInput(7)) {
    ASSIGN_OR_RETURN(peep, In(7));
    RETURN_IF_ERROR(expect(*peep, "P", {dirs, 3 * H}));
  }

  // Activations: per direction f (and g, h), alphas and betas consumed in order by the
  // functions that take them.
  int per_dir = gates == 4 ? 3 : gates == 3 ? 2 : 1;
  std::vector<Activation> acts;
  if (const ::onnx::AttributeProto* a = Attr("activations")) {
    for (const std::string& s : a->strings()) acts.push_back({s});
    if (static_cast<int64_t>(acts.size()) != per_dir * dirs) {
      return NodeError(absl::StrCat("attribute activations has ", acts.size(), " functions, ", per_dir * dirs,
                                    " expected (", per_dir, " per direction)"));
    }
  } else {
    for (int d = 0; d < dirs; ++d) {
      if (gates == 4) acts.insert(acts.end(), {{"Sigmoid"}, {"Tanh"}, {"Tanh"}});
      if (gates == 3) acts.insert(acts.end(), {{"Sigmoid"}, {"Tanh"}});
      if (gates == 1) acts.push_back({"Tanh"});
    }
  }
  const ::onnx::AttributeProto* alphas = Attr("activation_alpha");
  const ::onnx::AttributeProto* betas = Attr("activation_beta");
  int next_alpha = 0, next_beta = 0;
  for (Activation& a : acts) {
    auto spec = Functions().find(a.name);
    if (spec == Functions().end()) {
      return Unsupported(absl::StrCat("attribute activations: function '", a.name, "' is not supported"));
    }
    a.alpha = spec->second.alpha;
    a.beta = spec->second.beta;
    if (spec->second.params >= 1 && alphas && next_alpha < alphas->floats_size())
      a.alpha = alphas->floats(next_alpha++);
    if (spec->second.params >= 2 && betas && next_beta < betas->floats_size()) a.beta = betas->floats(next_beta++);
  }

  std::string base = node_->name().empty() ? node_->op_type() : node_->name();
  std::vector<Val> ys, hs, cs;
  for (int64_t d = 0; d < dirs; ++d) {
    // This direction's weights: slices of W, R, B, P.
    auto row = [&](const Val& v, int64_t width) { return Reshape(Slice(v, {d, 0}, {d + 1, width}), {width}); };
    Val wd = Reshape(Slice(w, {d, 0, 0}, {d + 1, G, I}), {G, I});
    Val rd = Reshape(Slice(r, {d, 0, 0}, {d + 1, G, H}), {G, H});
    proto::Cell* cell = model().add_cell();
    cell->set_name(Fresh(absl::StrCat(base, "_cell", dirs == 2 ? (d ? "_reverse" : "_forward") : "")));
    cell->set_input_size(I);
    std::map<std::string, Val> bind = {{"w", wd}};
    auto param = [&](const std::string& name, const Val& v) {
      proto::CellParam* p = cell->add_param();
      p->set_name(name);
      for (int64_t s : v.shape) p->add_shape(s);
      bind[name] = v;
    };
    param("w", wd);
    CellWriter c(cell, x.dtype, H);
    std::string xw = c.Op("matmul", {"x", "w"}, {{"transpose_b", "true"}});
    auto add_bias = [&](const std::string& g, const std::string& bias_param, int64_t width) {
      return c.Op("add", {g, c.Row(bias_param, width)});
    };
    auto state = [&](const char* name) {
      proto::CellState* s = cell->add_state();
      s->set_name(name);
      s->set_size(H);
      return s;
    };
    proto::CellState* h_state = state("h");
    proto::CellState* c_state = gates == 4 ? state("c") : nullptr;
    const Activation* f = &acts[d * per_dir];
    std::string h_next;
    if (gates == 3) {
      param("r_zr", Reshape(Slice(rd, {0, 0}, {2 * H, H}), {2 * H, H}));
      param("r_h", Reshape(Slice(rd, {2 * H, 0}, {G, H}), {H, H}));
      std::string hr = c.Op("matmul", {"h", "r_zr"}, {{"transpose_b", "true"}});
      if (bias && !linear_before_reset) {
        ASSIGN_OR_RETURN(Val b_sum,
                         Binary("add", Slice(row(*bias, 2 * G), {0}, {G}), Slice(row(*bias, 2 * G), {G}, {2 * G})));
        param("b", b_sum);
        xw = add_bias(xw, "b", G);
      } else if (bias) {
        Val bd = row(*bias, 2 * G);
        param("wb", Slice(bd, {0}, {G}));
        param("rb_zr", Slice(bd, {G}, {G + 2 * H}));
        param("rb_h", Slice(bd, {G + 2 * H}, {2 * G}));
        xw = add_bias(xw, "wb", G);
        hr = add_bias(hr, "rb_zr", 2 * H);
      }
      std::string z = c.Apply(*f, c.Clip(c.Op("add", {c.Gate(xw, 0), c.Gate(hr, 0)}), clip));
      std::string rg = c.Apply(*f, c.Clip(c.Op("add", {c.Gate(xw, 1), c.Gate(hr, 1)}), clip));
      std::string hh;
      if (linear_before_reset) {
        std::string rh = c.Op("matmul", {"h", "r_h"}, {{"transpose_b", "true"}});
        if (bias) rh = add_bias(rh, "rb_h", H);
        hh = c.Op("add", {c.Gate(xw, 2), c.Op("mul", {rg, rh})});
      } else {
        hh = c.Op("add", {c.Gate(xw, 2), c.Op("matmul", {c.Op("mul", {rg, "h"}), "r_h"}, {{"transpose_b", "true"}})});
      }
      std::string candidate = c.Apply(acts[d * per_dir + 1], c.Clip(hh, clip));
      h_next = c.Op("add", {c.Op("mul", {c.Op("sub", {c.Splat(1, H), z}), candidate}), c.Op("mul", {z, "h"})});
    } else {
      param("r", rd);
      std::string g = c.Op("add", {xw, c.Op("matmul", {"h", "r"}, {{"transpose_b", "true"}})});
      if (bias) {
        Val bd = row(*bias, 2 * G);
        ASSIGN_OR_RETURN(Val b_sum, Binary("add", Slice(bd, {0}, {G}), Slice(bd, {G}, {2 * G})));
        param("b", b_sum);
        g = add_bias(g, "b", G);
      }
      if (gates == 1) {
        h_next = c.Apply(*f, c.Clip(g, clip));
      } else {
        auto peephole = [&](std::string pre, const char* p, int64_t k, const std::string& cell_state) {
          if (!peep) return pre;
          param(p, Slice(row(*peep, 3 * H), {k * H}, {(k + 1) * H}));
          return c.Op("add", {pre, c.Op("mul", {c.Row(p, H), cell_state})});
        };
        std::string i = c.Apply(*f, c.Clip(peephole(c.Gate(g, 0), "p_i", 0, "c"), clip));
        std::string fg = input_forget ? c.Op("sub", {c.Splat(1, H), i})
                                      : c.Apply(*f, c.Clip(peephole(c.Gate(g, 2), "p_f", 2, "c"), clip));
        std::string cc = c.Apply(acts[d * per_dir + 1], c.Clip(c.Gate(g, 3), clip));
        std::string c_next = c.Op("add", {c.Op("mul", {fg, "c"}), c.Op("mul", {i, cc})});
        std::string o = c.Apply(*f, c.Clip(peephole(c.Gate(g, 1), "p_o", 1, c_next), clip));
        h_next = c.Op("mul", {o, c.Apply(acts[d * per_dir + 2], c_next)});
        c_state->set_next(c_next);
      }
    }
    h_state->set_next(h_next);
    cell->set_output(h_next);

    // The initial states' slices come before the layer that reads them.
    auto initial = [&](const std::optional<Val>& s) {
      if (!s) return std::string();
      Val v = layout ? Slice(*s, {0, d, 0}, {B, d + 1, H}) : Slice(*s, {d, 0, 0}, {d + 1, B, H});
      return Reshape(v, {B, H}).name;
    };
    std::string h0 = initial(init_h), c0 = initial(init_c);
    proto::Layer* l = model().add_layer();
    l->set_name(Fresh(absl::StrCat(base, dirs == 2 ? (d ? "_reverse" : "_forward") : "")));
    l->add_inputs(x.name);
    proto::CellLayer* cl = l->mutable_cell();
    cl->set_cell(cell->name());
    cl->set_batch_first(layout == 1);
    cl->set_reverse(direction == "reverse" || d == 1);
    if (lengths) cl->set_lengths(lengths->name);
    cl->add_initial(h0);
    if (gates == 4) cl->add_initial(c0);
    for (const auto& [name, v] : bind) (*cl->mutable_bind())[name] = v.name;
    ys.push_back(layout ? Reshape({l->name(), x.dtype, {B, T, H}}, {B, T, 1, H})
                        : Reshape({l->name(), x.dtype, {T, B, H}}, {T, 1, B, H}));
    auto final_state = [&](const char* s) {
      Val v{absl::StrCat(l->name(), ".", s), x.dtype, {B, H}};
      return layout ? Reshape(v, {B, 1, H}) : Reshape(v, {1, B, H});
    };
    hs.push_back(final_state("h"));
    if (gates == 4) cs.push_back(final_state("c"));
  }
  if (NumOutputs() > 0 && !node_->output(0).empty()) Out(0, Concat(ys, layout ? 2 : 1));
  if (NumOutputs() > 1 && !node_->output(1).empty()) Out(1, Concat(hs, layout ? 1 : 0));
  if (NumOutputs() > 2 && !node_->output(2).empty()) Out(2, Concat(cs, layout ? 1 : 0));
  return absl::OkStatus();
}

}  // namespace loom::frontends::onnx
