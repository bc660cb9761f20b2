// The ONNX ops around recurrent layers, one translation each: Loom core ops with the
// broadcasts, reshapes and transposes ONNX leaves implicit made explicit.
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "frontends/onnx/importer.h"
#include "support/status_macros.h"

namespace loom::frontends::onnx {

namespace {

// An axis in [-rank, rank) as [0, rank).
absl::StatusOr<int64_t> Axis(Importer& im, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return im.NodeError(absl::StrCat("axis ", axis, " is out of range for rank ", rank));
  return axis < 0 ? axis + rank : axis;
}

std::vector<int64_t> AsInts(const Tensor& t) {
  std::vector<int64_t> v;
  for (int64_t i = 0; i < t.num_elements(); ++i) v.push_back(IntAt(t, i));
  return v;
}

absl::Status Identity(Importer& im) {
  RETURN_IF_ERROR(im.OnlyAttrs({}));
  ASSIGN_OR_RETURN(Val x, im.In(0));
  im.Out(0, x);
  return absl::OkStatus();
}

// Inference: the identity. Its mask output, or training mode asked for, is not.
absl::Status Dropout(Importer& im) {
  RETURN_IF_ERROR(im.OnlyAttrs({"ratio", "seed"}));
  if (im.NumOutputs() > 1)
    return im.Unsupported("its mask output is not supported (Loom imports models for inference)");
  if (im.HasInput(2)) {
    ASSIGN_OR_RETURN(Tensor training, im.ConstIn(2));
    if (training.num_elements() != 1 || training.GetDouble(0) != 0) {
      return im.Unsupported("training_mode true is not supported (dropout in training comes from the loss's layers)");
    }
  }
  ASSIGN_OR_RETURN(Val x, im.In(0));
  im.Out(0, x);
  return absl::OkStatus();
}

template <const char* kOp>
absl::Status Unary(Importer& im) {
  RETURN_IF_ERROR(im.OnlyAttrs({}));
  ASSIGN_OR_RETURN(Val x, im.In(0));
  if (!IsFloat(x.dtype)) return im.Unsupported(absl::StrCat("computes on floats, not ", DTypeName(x.dtype)));
  im.Out(0, im.Op(kOp, {x}, {}, x.dtype, x.shape));
  return absl::OkStatus();
}

template <const char* kOp>
absl::Status Binary(Importer& im) {
  RETURN_IF_ERROR(im.OnlyAttrs({}));
  ASSIGN_OR_RETURN(Val a, im.In(0));
  ASSIGN_OR_RETURN(Val b, im.In(1));
  ASSIGN_OR_RETURN(Val y, im.Binary(kOp, a, b));
  im.Out(0, y);
  return absl::OkStatus();
}

constexpr char kSigmoid[] = "sigmoid", kTanh[] = "tanh", kRelu[] = "relu", kExp[] = "exp", kLog[] = "log",
               kSqrt[] = "sqrt", kNeg[] = "neg", kAbs[] = "abs";
constexpr char kAdd[] = "add", kSub[] = "sub", kMul[] = "mul", kDiv[] = "div";

// [.., M, K]·[K, N]: the leading dimensions of A fold into its rows; [.., M, K]·[.., K, N]
// with the same leading dimensions: one batched product.
absl::Status MatMul(Importer& im) {
  RETURN_IF_ERROR(im.OnlyAttrs({}));
  ASSIGN_OR_RETURN(Val a, im.In(0));
  ASSIGN_OR_RETURN(Val b, im.In(1));
  size_t ra = a.shape.size(), rb = b.shape.size();
  bool batched = rb > 2 && ra == rb && std::equal(a.shape.begin(), a.shape.end() - 2, b.shape.begin());
  if (ra < 2 || (rb != 2 && !batched) || a.shape.back() != b.shape[rb - 2] || a.dtype != b.dtype) {
    return im.Unsupported(absl::StrCat("supports [.., M, K]·[K, N] and [.., M, K]·[.., K, N] of one type, got ",
                                       TypeText(a), " and ", TypeText(b)));
  }
  int64_t lead = 1;
  for (size_t d = 0; d + 2 < ra; ++d) lead *= a.shape[d];
  int64_t m = a.shape[ra - 2], k = a.shape[ra - 1], n = b.shape[rb - 1];
  Val y = batched
              ? im.Op("matmul", {im.Reshape(a, {lead, m, k}), im.Reshape(b, {lead, k, n})}, {}, a.dtype, {lead, m, n})
              : im.Op("matmul", {im.Reshape(a, {lead * m, k}), b}, {}, a.dtype, {lead * m, n});
  Shape out = a.shape;
  out.back() = n;
  im.Out(0, im.Reshape(y, out));
  return absl::OkStatus();
}

// alpha·A'·B' + beta·C, A' and B' transposed as asked.
absl::Status Gemm(Importer& im) {
  RETURN_IF_ERROR(im.OnlyAttrs({"alpha", "beta", "transA", "transB"}));
  ASSIGN_OR_RETURN(float alpha, im.FloatAttr("alpha", 1));
  ASSIGN_OR_RETURN(float beta, im.FloatAttr("beta", 1));
  ASSIGN_OR_RETURN(int64_t ta, im.IntAttr("transA", 0));
  ASSIGN_OR_RETURN(int64_t tb, im.IntAttr("transB", 0));
  ASSIGN_OR_RETURN(Val a, im.In(0));
  ASSIGN_OR_RETURN(Val b, im.In(1));
  if (a.shape.size() != 2 || b.shape.size() != 2 || a.dtype != b.dtype || !IsFloat(a.dtype) ||
      a.shape[ta ? 0 : 1] != b.shape[tb ? 1 : 0]) {
    return im.NodeError(
        absl::StrCat("expects two float matrices that multiply, got ", TypeText(a), " and ", TypeText(b)));
  }
  Shape shape = {a.shape[ta ? 1 : 0], b.shape[tb ? 0 : 1]};
  Attrs attrs;
  if (ta) attrs["transpose_a"] = "true";
  if (tb) attrs["transpose_b"] = "true";
  Val y = im.Op("matmul", {a, b}, attrs, a.dtype, shape);
  if (alpha != 1) y = im.Op("mul", {y, im.Scalar(a.dtype, alpha, shape)}, {}, a.dtype, shape);
  if (im.HasInput(2) && beta != 0) {
    ASSIGN_OR_RETURN(Val c, im.In(2));
    if (beta != 1) c = im.Op("mul", {c, im.Scalar(c.dtype, beta, c.shape)}, {}, c.dtype, c.shape);
    ASSIGN_OR_RETURN(y, im.Binary("add", y, c));
  }
  im.Out(0, y);
  return absl::OkStatus();
}

// Softmax over one axis: from opset 13 ONNX's meaning; before it, ONNX flattened the
// dimensions from `axis` on, which is the same only for the last axis.
absl::Status SoftmaxOf(Importer& im, bool log) {
  RETURN_IF_ERROR(im.OnlyAttrs({"axis"}));
  ASSIGN_OR_RETURN(Val x, im.In(0));
  int64_t rank = x.shape.size();
  ASSIGN_OR_RETURN(int64_t axis, im.IntAttr("axis", im.opset() >= 13 ? -1 : 1));
  ASSIGN_OR_RETURN(axis, Axis(im, axis, rank));
  if (im.opset() < 13 && axis != rank - 1) {
    return im.Unsupported(absl::StrCat("attribute axis ", axis, " before opset 13 flattens the dimensions after it; ",
                                       "only the last axis is supported"));
  }
  proto::Layer* l = im.model().add_layer();
  l->set_name(im.Fresh(im.node().output(0)));
  l->add_inputs(x.name);
  (log ? l->mutable_log_softmax() : l->mutable_softmax())->set_dim(axis);
  im.Out(0, {l->name(), x.dtype, x.shape});
  return absl::OkStatus();
}
absl::Status Softmax(Importer& im) { return SoftmaxOf(im, false); }
absl::Status LogSoftmax(Importer& im) { return SoftmaxOf(im, true); }

// Outer, middle and inner extents of `shape` around `axis`: element (o, m, i) is at
// (o·middle + m)·inner + i.
struct Extents {
  int64_t outer = 1, middle, inner = 1;
};
Extents Around(const Shape& shape, int64_t axis) {
  Extents e{1, shape[axis], 1};
  for (int64_t d = 0; d < axis; ++d) e.outer *= shape[d];
  for (size_t d = axis + 1; d < shape.size(); ++d) e.inner *= shape[d];
  return e;
}

// Both known at import (shape arithmetic in exported graphs: Shape → Gather → Concat).
absl::Status FoldGather(Importer& im) {
  ASSIGN_OR_RETURN(Tensor table, im.ConstIn(0));
  ASSIGN_OR_RETURN(Tensor ids, im.ConstIn(1));
  int64_t rank = table.shape().size();
  if (rank == 0 || !IsInteger(ids.dtype())) return im.NodeError("expects a table and integer indices");
  ASSIGN_OR_RETURN(int64_t axis, im.IntAttr("axis", 0));
  ASSIGN_OR_RETURN(axis, Axis(im, axis, rank));
  Extents e = Around(table.shape(), axis);
  Shape shape(table.shape().begin(), table.shape().begin() + axis);
  shape.insert(shape.end(), ids.shape().begin(), ids.shape().end());
  shape.insert(shape.end(), table.shape().begin() + axis + 1, table.shape().end());
  Tensor out(table.dtype(), shape);
  int64_t n = ids.num_elements(), k = 0, size = DTypeSize(table.dtype());
  for (int64_t o = 0; o < e.outer; ++o) {
    for (int64_t j = 0; j < n; ++j) {
      int64_t m = IntAt(ids, j);
      if (m < 0 && m >= -e.middle) m += e.middle;
      if (m < 0 || m >= e.middle) return im.NodeError(absl::StrCat("index ", IntAt(ids, j), " is out of range"));
      std::memcpy(static_cast<char*>(out.raw_data()) + k * size,
                  static_cast<const char*>(table.raw_data()) + (o * e.middle + m) * e.inner * size, e.inner * size);
      k += e.inner;
    }
  }
  im.SetConst(0, std::move(out));
  return absl::OkStatus();
}

// Rows of a table (an embedding), or slices along another axis: that axis moved first,
// gathered, and the gathered dimensions moved back to where it was.
absl::Status Gather(Importer& im) {
  RETURN_IF_ERROR(im.OnlyAttrs({"axis"}));
  if (im.IsConstIn(0) && im.IsConstIn(1)) return FoldGather(im);
  ASSIGN_OR_RETURN(Val table, im.In(0));
  ASSIGN_OR_RETURN(Val ids, im.In(1));
  if (table.shape.empty() || !IsInteger(ids.dtype)) return im.NodeError("expects a table and integer indices");
  int64_t rank = table.shape.size(), k = ids.shape.size();
  ASSIGN_OR_RETURN(int64_t axis, im.IntAttr("axis", 0));
  ASSIGN_OR_RETURN(axis, Axis(im, axis, rank));
  std::vector<int64_t> to_front = {axis};
  for (int64_t d = 0; d < rank; ++d) {
    if (d != axis) to_front.push_back(d);
  }
  Val moved = im.Transpose(table, to_front);
  // ONNX counts negative indices from the end: -1 is the last row.
  Val negative =
      im.Op("compare", {ids, im.Scalar(ids.dtype, 0, ids.shape)}, {{"direction", "\"lt\""}}, DType::kI1, ids.shape);
  Val wrapped = im.Op("add", {ids, im.Scalar(ids.dtype, table.shape[axis], ids.shape)}, {}, ids.dtype, ids.shape);
  ids = im.Op("select", {negative, wrapped, ids}, {}, ids.dtype, ids.shape);
  Shape shape = ids.shape;
  shape.insert(shape.end(), moved.shape.begin() + 1, moved.shape.end());
  Val y = im.Op("gather", {moved, ids}, {}, table.dtype, shape);
  // [ids..., dims before axis, dims after] -> [dims before axis, ids..., dims after].
  std::vector<int64_t> back;
  for (int64_t d = 0; d < axis; ++d) back.push_back(k + d);
  for (int64_t d = 0; d < k; ++d) back.push_back(d);
  for (int64_t d = k + axis; d < static_cast<int64_t>(shape.size()); ++d) back.push_back(d);
  im.Out(0, im.Transpose(y, back));
  return absl::OkStatus();
}

absl::Status FoldConcat(Importer& im) {
  std::vector<Tensor> ts;
  for (int i = 0; i < im.NumInputs(); ++i) {
    ASSIGN_OR_RETURN(Tensor t, im.ConstIn(i));
    ts.push_back(std::move(t));
  }
  ASSIGN_OR_RETURN(int64_t axis, im.IntAttr("axis", 0));
  ASSIGN_OR_RETURN(axis, Axis(im, axis, ts[0].shape().size()));
  Shape shape = ts[0].shape();
  shape[axis] = 0;
  for (const Tensor& t : ts) {
    bool ok = t.dtype() == ts[0].dtype() && t.shape().size() == shape.size();
    for (size_t d = 0; ok && d < shape.size(); ++d) ok = d == size_t(axis) || t.shape()[d] == shape[d];
    if (!ok) return im.NodeError("constant inputs differ outside the axis");
    shape[axis] += t.shape()[axis];
  }
  Tensor out(ts[0].dtype(), shape);
  int64_t k = 0, size = DTypeSize(shape.empty() ? DType::kI64 : ts[0].dtype());
  for (int64_t o = 0; o < Around(shape, axis).outer; ++o) {
    for (const Tensor& t : ts) {
      Extents e = Around(t.shape(), axis);
      int64_t run = e.middle * e.inner * size;
      std::memcpy(static_cast<char*>(out.raw_data()) + k, static_cast<const char*>(t.raw_data()) + o * run, run);
      k += run;
    }
  }
  im.SetConst(0, std::move(out));
  return absl::OkStatus();
}

absl::Status Concat(Importer& im) {
  RETURN_IF_ERROR(im.OnlyAttrs({"axis"}));
  bool folds = im.NumInputs() > 0;
  for (int i = 0; i < im.NumInputs(); ++i) folds &= im.IsConstIn(i);
  if (folds) return FoldConcat(im);
  std::vector<Val> xs;
  for (int i = 0; i < im.NumInputs(); ++i) {
    ASSIGN_OR_RETURN(Val x, im.In(i));
    xs.push_back(x);
  }
  if (xs.empty()) return im.NodeError("needs inputs");
  ASSIGN_OR_RETURN(int64_t axis, im.IntAttr("axis", 0));
  ASSIGN_OR_RETURN(axis, Axis(im, axis, xs[0].shape.size()));
  for (const Val& x : xs) {
    bool ok = x.dtype == xs[0].dtype && x.shape.size() == xs[0].shape.size();
    for (size_t d = 0; ok && d < x.shape.size(); ++d) ok = d == size_t(axis) || x.shape[d] == xs[0].shape[d];
    if (!ok) {
      return im.NodeError(
          absl::StrCat("inputs ", TypeText(xs[0]), " and ", TypeText(x), " differ outside axis ", axis));
    }
  }
  im.Out(0, im.Concat(xs, axis));
  return absl::OkStatus();
}

// starts, ends, axes, steps: attributes before opset 10, constant inputs after.
absl::Status Slice(Importer& im) {
  std::vector<int64_t> starts, ends, axes, steps;
  if (im.opset() < 10) {
    RETURN_IF_ERROR(im.OnlyAttrs({"starts", "ends", "axes"}));
    ASSIGN_OR_RETURN(starts, im.IntsAttr("starts"));
    ASSIGN_OR_RETURN(ends, im.IntsAttr("ends"));
    ASSIGN_OR_RETURN(axes, im.IntsAttr("axes"));
  } else {
    RETURN_IF_ERROR(im.OnlyAttrs({}));
    std::vector<int64_t>* lists[] = {&starts, &ends, &axes, &steps};
    for (int i = 1; i <= 4; ++i) {
      if (!im.HasInput(i)) continue;
      ASSIGN_OR_RETURN(Tensor t, im.ConstIn(i));
      *lists[i - 1] = AsInts(t);
    }
  }
  ASSIGN_OR_RETURN(Val x, im.In(0));
  int64_t rank = x.shape.size();
  if (axes.empty()) {
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(i);
  }
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (starts.size() != ends.size() || axes.size() != starts.size() || steps.size() != starts.size()) {
    return im.NodeError("starts, ends, axes and steps differ in length");
  }
  std::vector<int64_t> start(rank, 0), limit = x.shape, stride(rank, 1);
  for (size_t i = 0; i < axes.size(); ++i) {
    ASSIGN_OR_RETURN(int64_t a, Axis(im, axes[i], rank));
    if (steps[i] < 1) return im.Unsupported(absl::StrCat("step ", steps[i], " is not supported (only positive steps)"));
    int64_t n = x.shape[a];
    auto clamp = [n](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + n : v, 0, n); };
    start[a] = clamp(starts[i]);
    limit[a] = std::max(start[a], clamp(ends[i]));
    stride[a] = steps[i];
  }
  Shape shape;
  bool strided = false;
  for (int64_t d = 0; d < rank; ++d) {
    shape.push_back((limit[d] - start[d] + stride[d] - 1) / stride[d]);
    strided |= stride[d] != 1;
  }
  Attrs attrs = {{"start", Ints(start)}, {"limit", Ints(limit)}};
  if (strided) attrs["strides"] = Ints(stride);
  im.Out(0, shape == x.shape ? x : im.Op("slice", {x}, attrs, x.dtype, shape));
  return absl::OkStatus();
}

// Squeeze and Unsqueeze: axes an attribute before opset 13, an input after.
absl::StatusOr<std::vector<int64_t>> SqueezeAxes(Importer& im) {
  if (im.opset() < 13) {
    RETURN_IF_ERROR(im.OnlyAttrs({"axes"}));
    return im.IntsAttr("axes");
  }
  RETURN_IF_ERROR(im.OnlyAttrs({}));
  if (!im.HasInput(1)) return std::vector<int64_t>{};
  ASSIGN_OR_RETURN(Tensor t, im.ConstIn(1));
  return AsInts(t);
}

absl::StatusOr<Shape> Squeezed(Importer& im, const Shape& in) {
  ASSIGN_OR_RETURN(std::vector<int64_t> axes, SqueezeAxes(im));
  std::vector<bool> drop(in.size(), false);
  for (int64_t a : axes) {
    ASSIGN_OR_RETURN(int64_t d, Axis(im, a, in.size()));
    if (in[d] != 1) return im.NodeError(absl::StrCat("axis ", a, " has size ", in[d], ", not 1"));
    drop[d] = true;
  }
  Shape out;
  for (size_t d = 0; d < in.size(); ++d) {
    if (!(axes.empty() ? in[d] == 1 : drop[d])) out.push_back(in[d]);
  }
  return out;
}

absl::StatusOr<Shape> Unsqueezed(Importer& im, const Shape& in) {
  ASSIGN_OR_RETURN(std::vector<int64_t> axes, SqueezeAxes(im));
  int64_t rank = in.size() + axes.size();
  std::vector<bool> added(rank, false);
  for (int64_t a : axes) {
    ASSIGN_OR_RETURN(int64_t d, Axis(im, a, rank));
    if (added[d]) return im.NodeError(absl::StrCat("axis ", a, " appears twice"));
    added[d] = true;
  }
  Shape out;
  size_t next = 0;
  for (int64_t d = 0; d < rank; ++d) out.push_back(added[d] ? 1 : in[next++]);
  return out;
}

absl::StatusOr<Shape> Reshaped(Importer& im, const Shape& in) {
  RETURN_IF_ERROR(im.OnlyAttrs({"allowzero"}));
  ASSIGN_OR_RETURN(int64_t allowzero, im.IntAttr("allowzero", 0));
  ASSIGN_OR_RETURN(Tensor t, im.ConstIn(1));
  Shape out = AsInts(t);
  int64_t total = 1, known = 1, infer = -1;
  for (int64_t d : in) total *= d;
  for (size_t d = 0; d < out.size(); ++d) {
    if (out[d] == 0 && !allowzero) {
      if (d >= in.size()) return im.NodeError("shape copies a dimension the input does not have");
      out[d] = in[d];
    }
    if (out[d] == -1) {
      if (infer >= 0) return im.NodeError("shape has two -1 dimensions");
      infer = d;
    } else if (out[d] < 0) {
      return im.NodeError(absl::StrCat("shape ", Ints(out), " has a negative dimension"));
    } else if (__builtin_mul_overflow(known, out[d], &known)) {
      return im.NodeError(absl::StrCat("shape ", Ints(out), " is too large"));
    }
  }
  if (infer >= 0 && known > 0) out[infer] = total / known;
  int64_t n = 1;
  for (int64_t d : out) n *= d;  // at most the input's count: known · (total / known)
  if (n != total) return im.NodeError(absl::StrCat("cannot reshape ", Ints(in), " to ", Ints(AsInts(t))));
  return out;
}

// Squeeze, Unsqueeze, Reshape: a new shape, the same elements; on constants, folded.
template <absl::StatusOr<Shape> (*kShape)(Importer&, const Shape&)>
absl::Status NewShape(Importer& im) {
  if (im.IsConstIn(0)) {
    ASSIGN_OR_RETURN(Tensor c, im.ConstIn(0));
    ASSIGN_OR_RETURN(Shape shape, kShape(im, c.shape()));
    Tensor t(c.dtype(), shape);
    std::memcpy(t.raw_data(), c.raw_data(), t.byte_size());
    im.SetConst(0, std::move(t));
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(Val x, im.In(0));
  ASSIGN_OR_RETURN(Shape shape, kShape(im, x.shape));
  im.Out(0, im.Reshape(x, shape));
  return absl::OkStatus();
}

absl::Status Transpose(Importer& im) {
  RETURN_IF_ERROR(im.OnlyAttrs({"perm"}));
  ASSIGN_OR_RETURN(Val x, im.In(0));
  ASSIGN_OR_RETURN(std::vector<int64_t> perm, im.IntsAttr("perm"));
  int64_t rank = x.shape.size();
  if (perm.empty()) {
    for (int64_t d = rank - 1; d >= 0; --d) perm.push_back(d);
  }
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t d = 0; d < rank; ++d) {
    if (static_cast<int64_t>(sorted.size()) != rank || sorted[d] != d) {
      return im.NodeError(absl::StrCat("perm ", Ints(perm), " is not a permutation of ", rank, " dimensions"));
    }
  }
  im.Out(0, im.Transpose(x, perm));
  return absl::OkStatus();
}

absl::Status Constant(Importer& im) {
  if (im.node().attribute_size() != 1) return im.NodeError("needs exactly one value attribute");
  const ::onnx::AttributeProto& a = im.node().attribute(0);
  if (a.name() == "value") {
    absl::StatusOr<Tensor> t = FromTensorProto(a.t());
    if (!t.ok()) return im.NodeError(t.status().message());
    im.SetConst(0, *std::move(t));
  } else if (a.name() == "value_float") {
    im.SetConst(0, Tensor::FromVector<float>({}, {a.f()}));
  } else if (a.name() == "value_floats") {
    im.SetConst(0, Tensor::FromVector<float>({a.floats_size()}, {a.floats().begin(), a.floats().end()}));
  } else if (a.name() == "value_int") {
    im.SetConst(0, Tensor::FromVector<int64_t>({}, {a.i()}));
  } else if (a.name() == "value_ints") {
    im.SetConst(0, Tensor::FromVector<int64_t>({a.ints_size()}, {a.ints().begin(), a.ints().end()}));
  } else {
    return im.Unsupported(absl::StrCat("attribute '", a.name(), "' is not supported"));
  }
  return absl::OkStatus();
}

// Shapes are static: known at import.
absl::Status ShapeOf(Importer& im) {
  RETURN_IF_ERROR(im.OnlyAttrs({"start", "end"}));
  ASSIGN_OR_RETURN(Shape shape, im.ShapeIn(0));
  int64_t rank = shape.size();
  ASSIGN_OR_RETURN(int64_t start, im.IntAttr("start", 0));
  ASSIGN_OR_RETURN(int64_t end, im.IntAttr("end", rank));
  auto clamp = [rank](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + rank : v, 0, rank); };
  start = clamp(start);
  end = std::max(start, clamp(end));
  std::vector<int64_t> dims(shape.begin() + start, shape.begin() + end);
  im.SetConst(0, Tensor::FromVector<int64_t>({static_cast<int64_t>(dims.size())}, dims));
  return absl::OkStatus();
}

// Broadcast to a shape known at import (numpy's rules, both ways).
absl::Status Expand(Importer& im) {
  RETURN_IF_ERROR(im.OnlyAttrs({}));
  ASSIGN_OR_RETURN(Tensor target, im.ConstIn(1));
  ASSIGN_OR_RETURN(Val x, im.In(0));
  std::vector<int64_t> to = AsInts(target);
  Shape shape(std::max(to.size(), x.shape.size()), 1);
  for (const Shape* s : {&x.shape, &to}) {
    for (size_t i = 0; i < s->size(); ++i) {
      int64_t& d = shape[shape.size() - s->size() + i];
      int64_t e = (*s)[i];
      if (e < 0 || e > (int64_t{1} << 31) || (d != 1 && e != 1 && d != e)) {
        return im.NodeError(absl::StrCat("cannot expand ", TypeText(x), " to ", Ints(to)));
      }
      if (e != 1) d = e;
    }
  }
  int64_t n = 1;
  for (int64_t d : shape) {
    if (__builtin_mul_overflow(n, d, &n) || n > (int64_t{1} << 31)) {
      return im.NodeError(absl::StrCat("cannot expand ", TypeText(x), " to ", Ints(to), ": too many elements"));
    }
  }
  im.Out(0, im.Broadcast(x, shape));
  return absl::OkStatus();
}

absl::Status Lstm(Importer& im) { return im.Recurrent(4); }
absl::Status Gru(Importer& im) { return im.Recurrent(3); }
absl::Status Rnn(Importer& im) { return im.Recurrent(1); }

}  // namespace

const std::map<std::string, Translation>& Translations() {
  static const auto* table = new std::map<std::string, Translation>{
      {"Identity", Identity},
      {"Dropout", Dropout},
      {"Sigmoid", Unary<kSigmoid>},
      {"Tanh", Unary<kTanh>},
      {"Relu", Unary<kRelu>},
      {"Exp", Unary<kExp>},
      {"Log", Unary<kLog>},
      {"Sqrt", Unary<kSqrt>},
      {"Neg", Unary<kNeg>},
      {"Abs", Unary<kAbs>},
      {"Add", Binary<kAdd>},
      {"Sub", Binary<kSub>},
      {"Mul", Binary<kMul>},
      {"Div", Binary<kDiv>},
      {"MatMul", MatMul},
      {"Gemm", Gemm},
      {"Softmax", Softmax},
      {"LogSoftmax", LogSoftmax},
      {"Gather", Gather},
      {"Concat", Concat},
      {"Slice", Slice},
      {"Squeeze", NewShape<Squeezed>},
      {"Unsqueeze", NewShape<Unsqueezed>},
      {"Reshape", NewShape<Reshaped>},
      {"Transpose", Transpose},
      {"Constant", Constant},
      {"Shape", ShapeOf},
      {"Expand", Expand},
      {"LSTM", Lstm},
      {"GRU", Gru},
      {"RNN", Rnn},
  };
  return *table;
}

}  // namespace loom::frontends::onnx
