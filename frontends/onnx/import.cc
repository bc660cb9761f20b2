#include "frontends/onnx/import.h"

#include <cstring>
#include <filesystem>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "frontends/onnx/importer.h"
#include "ir/types.h"
#include "support/files.h"
#include "support/status_macros.h"

namespace loom::frontends::onnx {

namespace {

// Tensors larger than this are refused before anything is allocated for them.
constexpr int64_t kMaxElements = int64_t{1} << 31;

absl::StatusOr<DType> FromOnnxType(int type) {
  switch (type) {
    case ::onnx::TensorProto::FLOAT: return DType::kF32;
    case ::onnx::TensorProto::DOUBLE: return DType::kF64;
    case ::onnx::TensorProto::INT32: return DType::kI32;
    case ::onnx::TensorProto::INT64: return DType::kI64;
    case ::onnx::TensorProto::BOOL: return DType::kI1;
    default:
      return absl::UnimplementedError(absl::StrCat(
          "element type ", ::onnx::TensorProto::DataType_Name(static_cast<::onnx::TensorProto::DataType>(type)),
          " (Loom computes in float, double, int32, int64 and bool)"));
  }
}

// Names in the model description: ONNX allows any string ("onnx::LSTM_12", "/fc/Gemm").
std::string Sanitize(const std::string& name) {
  std::string out;
  for (char c : name) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.') ? c : '_';
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out.insert(0, "v");
  return out;
}

// A constant in the text IR's syntax: dense<f32[2]: 1, 2>.
absl::StatusOr<std::string> DenseText(const Tensor& t) {
  std::vector<std::string> values;
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    double v = t.GetDouble(i);
    if (!std::isfinite(v)) return absl::UnimplementedError("a constant that is not finite");
    values.push_back(t.dtype() == DType::kF32   ? absl::StrFormat("%.9g", v)
                     : t.dtype() == DType::kF64 ? absl::StrFormat("%.17g", v)
                                                : absl::StrCat(IntAt(t, i)));
  }
  std::string type = ir::TensorType{t.dtype(), t.shape()}.ToString();
  if (values.empty()) return absl::StrCat("dense<", type, ">");
  return absl::StrCat("dense<", type, ": ", absl::StrJoin(values, ", "), ">");
}

}  // namespace

absl::StatusOr<Tensor> FromTensorProto(const ::onnx::TensorProto& t) {
  std::string what = absl::StrCat("tensor '", t.name(), "'");
  if (t.data_location() == ::onnx::TensorProto::EXTERNAL) {
    return absl::UnimplementedError(absl::StrCat(what, ": data in an external file"));
  }
  absl::StatusOr<DType> dtype = FromOnnxType(t.data_type());
  if (!dtype.ok()) return absl::UnimplementedError(absl::StrCat(what, ": ", dtype.status().message()));
  Shape shape(t.dims().begin(), t.dims().end());
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || __builtin_mul_overflow(n, d, &n) || n > kMaxElements) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": dimensions ", Ints(shape), " are negative or too large"));
    }
  }
  // The data must be there before anything is allocated for it.
  int64_t have = t.has_raw_data()        ? static_cast<int64_t>(t.raw_data().size() / DTypeSize(*dtype))
                 : *dtype == DType::kF32 ? t.float_data_size()
                 : *dtype == DType::kF64 ? t.double_data_size()
                 : *dtype == DType::kI64 ? t.int64_data_size()
                                         : t.int32_data_size();
  if (t.has_raw_data() && t.raw_data().size() % DTypeSize(*dtype) != 0) have = -1;
  if (have != n) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", Ints(shape), " needs ", n, " values, the file has ",
                                                   have < 0 ? "a partial one" : absl::StrCat(have)));
  }
  Tensor out(*dtype, shape);
  if (t.has_raw_data()) {
    std::memcpy(out.raw_data(), t.raw_data().data(), out.byte_size());  // ONNX stores little-endian, as x86 and AArch64
    if (*dtype == DType::kI1) {  // a bool is 0 or 1; the file's bytes may be anything
      auto* bytes = static_cast<unsigned char*>(out.raw_data());
      for (int64_t i = 0; i < n; ++i) bytes[i] = bytes[i] != 0;
    }
    return out;
  }
  for (int64_t i = 0; i < n; ++i) {
    switch (*dtype) {
      case DType::kF32: out.values<float>()[i] = t.float_data(i); break;
      case DType::kF64: out.values<double>()[i] = t.double_data(i); break;
      case DType::kI64: out.values<int64_t>()[i] = t.int64_data(i); break;
      case DType::kI32: out.values<int32_t>()[i] = t.int32_data(i); break;
      case DType::kI1: out.SetDouble(i, t.int32_data(i) != 0); break;
    }
  }
  return out;
}

absl::StatusOr<Tensor> ReadTensorFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  ::onnx::TensorProto t;
  if (!t.ParseFromString(bytes)) return absl::InvalidArgumentError(absl::StrCat(path, ": not an ONNX TensorProto"));
  absl::StatusOr<Tensor> out = FromTensorProto(t);
  if (!out.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", out.status().message()));
  return out;
}

std::string Ints(const std::vector<int64_t>& v) { return absl::StrCat("[", absl::StrJoin(v, ", "), "]"); }
std::string TypeText(const Val& v) { return ir::TensorType{v.dtype, v.shape}.ToString(); }

int64_t IntAt(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::kI64: return t.values<int64_t>()[i];
    case DType::kI32: return t.values<int32_t>()[i];
    default: {
      double v = t.GetDouble(i);
      if (!(v > -9.2e18)) return v != v ? 0 : std::numeric_limits<int64_t>::min();
      return v < 9.2e18 ? static_cast<int64_t>(v) : std::numeric_limits<int64_t>::max();
    }
  }
}

// ---- The importer ----

absl::Status Importer::NodeError(absl::string_view what) const {
  if (node_ == nullptr) return absl::InvalidArgumentError(absl::StrCat(file_, ": ", what));
  return absl::InvalidArgumentError(
      absl::StrCat(file_, ": node '", node_->name(), "' (", node_->op_type(), "): ", what));
}

absl::Status Importer::Unsupported(absl::string_view what) const {
  return absl::UnimplementedError(NodeError(what).message());
}

const ::onnx::AttributeProto* Importer::Attr(const std::string& name) const {
  for (const ::onnx::AttributeProto& a : node_->attribute()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

absl::StatusOr<int64_t> Importer::IntAttr(const std::string& name, int64_t fallback) const {
  const ::onnx::AttributeProto* a = Attr(name);
  if (a == nullptr) return fallback;
  if (a->type() != ::onnx::AttributeProto::INT) return NodeError(absl::StrCat("attribute '", name, "' is not an int"));
  return a->i();
}

absl::StatusOr<float> Importer::FloatAttr(const std::string& name, float fallback) const {
  const ::onnx::AttributeProto* a = Attr(name);
  if (a == nullptr) return fallback;
  if (a->type() != ::onnx::AttributeProto::FLOAT)
    return NodeError(absl::StrCat("attribute '", name, "' is not a float"));
  return a->f();
}

absl::StatusOr<std::string> Importer::StringAttr(const std::string& name, const std::string& fallback) const {
  const ::onnx::AttributeProto* a = Attr(name);
  if (a == nullptr) return fallback;
  if (a->type() != ::onnx::AttributeProto::STRING) {
    return NodeError(absl::StrCat("attribute '", name, "' is not a string"));
  }
  return a->s();
}

absl::StatusOr<std::vector<int64_t>> Importer::IntsAttr(const std::string& name) const {
  const ::onnx::AttributeProto* a = Attr(name);
  if (a == nullptr) return std::vector<int64_t>{};
  if (a->type() != ::onnx::AttributeProto::INTS) return NodeError(absl::StrCat("attribute '", name, "' is not ints"));
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

absl::Status Importer::OnlyAttrs(const std::set<std::string>& known) const {
  for (const ::onnx::AttributeProto& a : node_->attribute()) {
    if (!known.count(a.name())) return Unsupported(absl::StrCat("attribute '", a.name(), "' is not supported"));
  }
  return absl::OkStatus();
}

int Importer::NumInputs() const {
  int n = node_->input_size();
  while (n > 0 && node_->input(n - 1).empty()) --n;
  return n;
}

int Importer::NumOutputs() const {
  int n = node_->output_size();
  while (n > 0 && node_->output(n - 1).empty()) --n;
  return n;
}

bool Importer::HasInput(int i) const { return i < node_->input_size() && !node_->input(i).empty(); }

absl::StatusOr<Val> Importer::In(int i) {
  if (!HasInput(i)) return NodeError(absl::StrCat("needs input ", i));
  return Materialize(node_->input(i));
}

absl::StatusOr<Tensor> Importer::ConstIn(int i) const {
  if (!HasInput(i)) return NodeError(absl::StrCat("needs input ", i));
  auto it = consts_.find(node_->input(i));
  if (it == consts_.end()) {
    return Unsupported(absl::StrCat("input ", i, " ('", node_->input(i),
                                    "') must be a constant (an initializer or a Constant's output)"));
  }
  return it->second;
}

bool Importer::IsConstIn(int i) const {
  return HasInput(i) && consts_.count(node_->input(i)) && !initializers_.count(node_->input(i));
}

absl::StatusOr<Shape> Importer::ShapeIn(int i) const {
  if (!HasInput(i)) return NodeError(absl::StrCat("needs input ", i));
  if (auto c = consts_.find(node_->input(i)); c != consts_.end()) return c->second.shape();
  if (auto v = vals_.find(node_->input(i)); v != vals_.end()) return v->second.shape;
  return NodeError(absl::StrCat("input '", node_->input(i), "' is not defined before this node"));
}

void Importer::Out(int i, Val v) {
  if (i >= node_->output_size() || node_->output(i).empty()) return;
  // The layer this node made for the output takes the output's ONNX name (sanitized), so
  // that a model file extending the graph can name it (a loss on "_fc_Gemm_output_0").
  auto& layers = *out_.model.mutable_layer();
  for (int l = layers.size() - 1; l >= node_layers_; --l) {
    if (layers[l].name() != v.name) continue;
    if (named_.count(v.name)) break;  // already another output's
    names_.erase(v.name);
    v.name = Fresh(node_->output(i));
    layers[l].set_name(v.name);
    named_.insert(v.name);
    break;
  }
  vals_[node_->output(i)] = std::move(v);
}

void Importer::SetConst(int i, Tensor t) {
  if (i < node_->output_size() && !node_->output(i).empty()) consts_[node_->output(i)] = std::move(t);
}

std::string Importer::Fresh(const std::string& base) {
  std::string name = Sanitize(base);
  for (int k = 1; names_.count(name); ++k) name = absl::StrCat(Sanitize(base), "_", k);
  names_.insert(name);
  return name;
}

Val Importer::Op(const std::string& op, const std::vector<Val>& in, Attrs attrs, DType dtype, Shape shape) {
  proto::Layer* l = out_.model.add_layer();
  l->set_name(Fresh(absl::StrCat(node_ != nullptr && NumOutputs() > 0 ? node_->output(0) : "", "_", op)));
  for (const Val& v : in) l->add_inputs(v.name);
  l->mutable_op()->set_op(op);
  for (auto& [k, v] : attrs) (*l->mutable_op()->mutable_attributes())[k] = v;
  return {l->name(), dtype, std::move(shape)};
}

Val Importer::Reshape(const Val& x, Shape shape) {
  if (shape == x.shape) return x;
  return Op("reshape", {x}, {{"shape", Ints(shape)}}, x.dtype, shape);
}

Val Importer::Slice(const Val& x, std::vector<int64_t> start, std::vector<int64_t> limit) {
  Shape shape;
  for (size_t d = 0; d < start.size(); ++d) shape.push_back(limit[d] - start[d]);
  if (shape == x.shape) return x;
  return Op("slice", {x}, {{"start", Ints(start)}, {"limit", Ints(limit)}}, x.dtype, shape);
}

Val Importer::Transpose(const Val& x, std::vector<int64_t> perm) {
  Shape shape;
  bool identity = true;
  for (size_t d = 0; d < perm.size(); ++d) {
    shape.push_back(x.shape[perm[d]]);
    identity &= perm[d] == static_cast<int64_t>(d);
  }
  if (identity) return x;
  return Op("transpose", {x}, {{"perm", Ints(perm)}}, x.dtype, shape);
}

Val Importer::Concat(const std::vector<Val>& xs, int64_t axis) {
  if (xs.size() == 1) return xs[0];
  Shape shape = xs[0].shape;
  for (size_t i = 1; i < xs.size(); ++i) shape[axis] += xs[i].shape[axis];
  return Op("concat", xs, {{"axis", absl::StrCat(axis)}}, xs[0].dtype, shape);
}

Val Importer::Broadcast(const Val& x, const Shape& shape) {
  if (x.shape == shape) return x;
  std::vector<int64_t> dims;
  for (size_t i = 0; i < x.shape.size(); ++i) dims.push_back(shape.size() - x.shape.size() + i);
  return Op("broadcast_in_dim", {x}, {{"shape", Ints(shape)}, {"dims", Ints(dims)}}, x.dtype, shape);
}

absl::StatusOr<Val> Importer::Binary(const std::string& op, const Val& a, const Val& b) {
  if (a.dtype != b.dtype) {
    return NodeError(absl::StrCat("operands of different types: ", TypeText(a), " and ", TypeText(b)));
  }
  Shape shape(std::max(a.shape.size(), b.shape.size()), 1);
  for (const Shape* s : {&a.shape, &b.shape}) {
    for (size_t i = 0; i < s->size(); ++i) {
      int64_t& d = shape[shape.size() - s->size() + i];
      int64_t e = (*s)[i];
      if (d != 1 && e != 1 && d != e) {
        return NodeError(absl::StrCat("cannot broadcast ", TypeText(a), " and ", TypeText(b)));
      }
      if (e != 1) d = e;
    }
  }
  return Op(op, {Broadcast(a, shape), Broadcast(b, shape)}, {}, a.dtype, shape);
}

Val Importer::Scalar(DType dtype, double value, const Shape& shape) {
  Tensor t(dtype, {});
  t.SetDouble(0, value);
  return Broadcast(Constant(t), shape);
}

Val Importer::Constant(const Tensor& t) {
  // Finite by construction where the importer makes one; FromTensorProto's are checked in Materialize.
  return Op("constant", {}, {{"value", *DenseText(t)}}, t.dtype(), t.shape());
}

absl::StatusOr<Val> Importer::Materialize(const std::string& name) {
  if (auto it = vals_.find(name); it != vals_.end()) return it->second;
  auto c = consts_.find(name);
  if (c == consts_.end()) return NodeError(absl::StrCat("input '", name, "' is not defined before this node"));
  const Tensor& t = c->second;
  Val v;
  if (IsFloat(t.dtype()) && initializers_.count(name)) {
    // A weight: a parameter, trained when the model trains, starting from the file's values.
    proto::Layer* l = out_.model.add_layer();
    l->set_name(Fresh(name));
    for (int64_t d : t.shape()) l->mutable_param()->add_shape(d);
    l->mutable_param()->set_onnx_name(name);
    out_.values[l->name()] = t;
    v = {l->name(), t.dtype(), t.shape()};
  } else {
    if (!DenseText(t).ok()) return NodeError(absl::StrCat("constant '", name, "' is not finite"));
    v = Constant(t);
  }
  return vals_[name] = v;
}

absl::StatusOr<ModelFile> Importer::Import(const ::onnx::ModelProto& model) {
  out_.file_loc = {std::make_shared<const std::string>(file_), 0, 0};
  for (const ::onnx::OperatorSetIdProto& o : model.opset_import()) {
    if (o.domain().empty() || o.domain() == "ai.onnx") opset_ = o.version();
  }
  // The versions whose operator definitions the translations follow (ONNX 1.12's range:
  // before 7, ops had attributes since removed; after 17, later ONNX releases).
  if (opset_ < 7 || opset_ > 17) {
    return absl::UnimplementedError(absl::StrCat(file_, ": opset ", opset_, " (Loom imports opsets 7 to 17)"));
  }
  const ::onnx::GraphProto& g = model.graph();
  std::string stem = std::filesystem::path(file_).stem().string();
  out_.model.set_name(Sanitize(g.name().empty() ? stem : g.name()));
  for (const ::onnx::TensorProto& t : g.initializer()) {
    absl::StatusOr<Tensor> v = FromTensorProto(t);
    if (!v.ok()) return absl::Status(v.status().code(), absl::StrCat(file_, ": initializer ", v.status().message()));
    consts_[t.name()] = *std::move(v);
    initializers_.insert(t.name());
  }
  for (const ::onnx::ValueInfoProto& in : g.input()) {
    if (consts_.count(in.name())) continue;  // an initializer listed as an input (IR version < 4)
    std::string what = absl::StrCat(file_, ": input '", in.name(), "'");
    if (!in.type().has_tensor_type()) return absl::UnimplementedError(absl::StrCat(what, " is not a tensor"));
    const ::onnx::TypeProto::Tensor& tt = in.type().tensor_type();
    absl::StatusOr<DType> dtype = FromOnnxType(tt.elem_type());
    if (!dtype.ok()) return absl::UnimplementedError(absl::StrCat(what, ": ", dtype.status().message()));
    proto::Input* pi = out_.model.add_input();
    pi->set_name(Fresh(in.name()));
    pi->set_dtype(static_cast<proto::DType>(*dtype));
    Shape shape;
    for (const ::onnx::TensorShapeProto::Dimension& d : tt.shape().dim()) {
      if (!d.has_dim_value() || d.dim_value() < 0) {
        return absl::UnimplementedError(absl::StrCat(what, ": dimension ", shape.size(), " ('", d.dim_param(),
                                                     "') has no fixed size; export the model with fixed shapes"));
      }
      shape.push_back(d.dim_value());
      pi->add_shape(d.dim_value());
    }
    int64_t n = 1;
    for (int64_t d : shape) {
      if (__builtin_mul_overflow(n, d, &n) || n > kMaxElements) {
        return absl::InvalidArgumentError(absl::StrCat(what, ": ", Ints(shape), " has too many elements (limit 2^31)"));
      }
    }
    vals_[in.name()] = {pi->name(), *dtype, shape};
  }
  const auto& translations = Translations();
  for (const ::onnx::NodeProto& n : g.node()) {
    node_ = &n;
    node_layers_ = out_.model.layer_size();
    if (!n.domain().empty() && n.domain() != "ai.onnx") {
      return Unsupported(absl::StrCat("ops of domain '", n.domain(), "' are not supported"));
    }
    if (NumOutputs() == 0) return NodeError("has no outputs");
    auto t = translations.find(n.op_type());
    if (t == translations.end()) {
      std::vector<std::string> known;
      for (const auto& [op, f] : translations) known.push_back(op);
      return Unsupported(
          absl::StrCat("op ", n.op_type(), " is not supported (supported: ", absl::StrJoin(known, ", "), ")"));
    }
    RETURN_IF_ERROR(t->second(*this));
  }
  node_ = nullptr;
  for (const ::onnx::ValueInfoProto& o : g.output()) {
    absl::StatusOr<Val> v =
        vals_.count(o.name()) || consts_.count(o.name())
            ? Materialize(o.name())
            : absl::InvalidArgumentError(absl::StrCat(file_, ": output '", o.name(), "' is not computed"));
    if (!v.ok()) return v.status();
    out_.model.add_output(v->name);
  }
  return std::move(out_);
}

absl::StatusOr<ModelFile> ImportOnnx(const std::string& bytes, const std::string& name) {
  ::onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) return absl::InvalidArgumentError(absl::StrCat(name, ": not an ONNX model"));
  return Importer(name).Import(model);
}

absl::StatusOr<ModelFile> ImportOnnxFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  ASSIGN_OR_RETURN(ModelFile file, ImportOnnx(bytes, path));
  file.onnx_path = path;
  return file;
}

absl::Status ExportOnnx(const ModelFile& file, const Checkpoint& params, const std::string& out) {
  if (file.onnx_path.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("model '", file.model.name(), "' was not imported from ONNX: its parameters go to .npy files"));
  }
  ASSIGN_OR_RETURN(std::string bytes, ReadFile(file.onnx_path));
  ::onnx::ModelProto model;
  if (!model.ParseFromString(bytes))
    return absl::InvalidArgumentError(absl::StrCat(file.onnx_path, ": not an ONNX model"));
  std::map<std::string, const Tensor*> by_initializer;
  for (const proto::Layer& l : file.model.layer()) {
    if (!l.has_param() || !l.param().has_onnx_name()) continue;
    const Tensor* t = params.Find(l.name());
    if (t == nullptr) return absl::NotFoundError(absl::StrCat("the parameters have no '", l.name(), "'"));
    by_initializer[l.param().onnx_name()] = t;
  }
  int replaced = 0;
  for (::onnx::TensorProto& init : *model.mutable_graph()->mutable_initializer()) {
    auto it = by_initializer.find(init.name());
    if (it == by_initializer.end()) continue;
    const Tensor& t = *it->second;
    if (Shape(init.dims().begin(), init.dims().end()) != t.shape() ||
        init.data_type() != (t.dtype() == DType::kF64 ? ::onnx::TensorProto::DOUBLE : ::onnx::TensorProto::FLOAT)) {
      return absl::InvalidArgumentError(absl::StrCat(file.onnx_path, ": initializer '", init.name(),
                                                     "' does not have the type of the trained ",
                                                     TypeText({"", t.dtype(), t.shape()})));
    }
    init.clear_float_data();
    init.clear_double_data();
    init.set_raw_data(t.raw_data(), t.byte_size());
    ++replaced;
  }
  if (replaced != static_cast<int>(by_initializer.size())) {
    return absl::NotFoundError(absl::StrCat(file.onnx_path, " lacks initializers the model was imported with"));
  }
  return WriteFileAtomically(out, model.SerializeAsString());
}

}  // namespace loom::frontends::onnx
