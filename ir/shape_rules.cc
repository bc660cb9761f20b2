#include "ir/shape_rules.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ir/ir.h"
#include "support/status_macros.h"

namespace loom::ir {
namespace {

using Types = std::vector<TensorType>;

template <typename... Args>
absl::Status Bad(const Op& op, const Args&... args) {
  return absl::InvalidArgumentError(absl::StrCat("'", op.name(), "' ", args...));
}

std::string Ty(const Value* v) { return v->type().ToString(); }
std::string Ints(const std::vector<int64_t>& v) { return absl::StrCat("[", absl::StrJoin(v, ", "), "]"); }

absl::Status CheckShape(const Op& op, const Shape& shape, absl::string_view what) {
  for (int64_t d : shape) {
    if (d < 0) return Bad(op, what, " has a negative dimension: ", Ints(shape));
  }
  if (NumElements(shape) > kMaxElements) {
    return Bad(op, what, " ", Ints(shape), " has ", ExactElementCount(shape), " elements, more than 2^40");
  }
  return absl::OkStatus();
}

absl::StatusOr<Types> SameAsOperand(const Op& op, bool (*ok)(DType), absl::string_view want) {
  const TensorType& t = op.operand(0)->type();
  if (!ok(t.dtype)) return Bad(op, "expects ", want, " operand, got ", t.ToString());
  return Types{t};
}

absl::StatusOr<Types> Binary(const Op& op, bool (*ok)(DType), absl::string_view want) {
  const TensorType& a = op.operand(0)->type();
  const TensorType& b = op.operand(1)->type();
  if (a != b) {
    return Bad(op, "operand types differ: ", a.ToString(), " and ", b.ToString());
  }
  if (!ok(a.dtype)) return Bad(op, "expects ", want, " operands, got ", a.ToString());
  return Types{a};
}

bool AnyDType(DType) { return true; }

absl::Status CheckAxis(const Op& op, int64_t axis, int64_t rank, absl::string_view what) {
  if (axis < 0 || axis >= rank) {
    return Bad(op, what, " ", axis, " is out of range for rank ", rank);
  }
  return absl::OkStatus();
}

// A random op's counter operand, shape, and batch axis (see RandomDraws).
absl::Status CheckDraws(const Op& op) {
  const TensorType& c = op.operand(0)->type();
  if (!IsInteger(c.dtype) || c.rank() != 0) {
    return Bad(op, "expects an integer scalar counter, got ", c.ToString());
  }
  const auto& shape = op.IntsAttr("shape");
  RETURN_IF_ERROR(CheckShape(op, shape, "shape"));
  int64_t axis = op.HasAttr("batch_axis") ? op.IntAttr("batch_axis") : 0;
  int64_t offset = op.HasAttr("batch_offset") ? op.IntAttr("batch_offset") : 0;
  if (axis < 0 || (op.HasAttr("batch_axis") && axis >= static_cast<int64_t>(shape.size()))) {
    return Bad(op, "batch_axis ", axis, " is not an axis of ", Ints(shape));
  }
  // The whole batch's draws are numbered in 64 bits: offsets past 2^40 rows are refused.
  if (offset < 0 || offset > (int64_t{1} << 40)) return Bad(op, "batch_offset must be in [0, 2^40], got ", offset);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Types> InferUnaryNumeric(const Op& op) { return SameAsOperand(op, IsNumeric, "a numeric"); }
absl::StatusOr<Types> InferUnaryFloat(const Op& op) { return SameAsOperand(op, IsFloat, "a floating-point"); }
absl::StatusOr<Types> InferUnaryAny(const Op& op) { return SameAsOperand(op, AnyDType, "any"); }

absl::StatusOr<Types> InferCast(const Op& op) { return Types{{op.Attr<DType>("dtype"), op.operand(0)->type().shape}}; }

absl::StatusOr<Types> InferBinaryNumeric(const Op& op) { return Binary(op, IsNumeric, "numeric"); }
absl::StatusOr<Types> InferBinaryFloat(const Op& op) { return Binary(op, IsFloat, "floating-point"); }

absl::StatusOr<Types> InferCompare(const Op& op) {
  static const std::set<std::string> kDirections = {"eq", "ne", "lt", "le", "gt", "ge"};
  const std::string& dir = op.Attr<std::string>("direction");
  if (!kDirections.count(dir)) {
    return Bad(op, "direction must be one of eq, ne, lt, le, gt, ge; got \"", dir, "\"");
  }
  ASSIGN_OR_RETURN(Types t, Binary(op, AnyDType, "any"));
  return Types{{DType::kI1, t[0].shape}};
}

absl::StatusOr<Types> InferSelect(const Op& op) {
  const TensorType& c = op.operand(0)->type();
  const TensorType& a = op.operand(1)->type();
  const TensorType& b = op.operand(2)->type();
  if (c.dtype != DType::kI1) return Bad(op, "condition must be i1, got ", c.ToString());
  if (a != b) return Bad(op, "branch types differ: ", a.ToString(), " and ", b.ToString());
  if (c.shape != a.shape) {
    return Bad(op, "condition shape ", c.ToString(), " does not match ", a.ToString());
  }
  return Types{a};
}

absl::StatusOr<Types> InferMatmul(const Op& op) {
  const TensorType& a = op.operand(0)->type();
  const TensorType& b = op.operand(1)->type();
  auto both = absl::StrCat(a.ToString(), " and ", b.ToString());
  if (a.dtype != b.dtype || !IsNumeric(a.dtype)) {
    return Bad(op, "expects numeric operands of one dtype, got ", both);
  }
  if (a.rank() != b.rank() || (a.rank() != 2 && a.rank() != 3)) {
    return Bad(op, "expects two rank-2 or two rank-3 operands, got ", both);
  }
  int64_t r = a.rank();
  bool ta = op.BoolAttr("transpose_a"), tb = op.BoolAttr("transpose_b");
  int64_t m = a.shape[r - (ta ? 1 : 2)], ka = a.shape[r - (ta ? 2 : 1)];
  int64_t kb = b.shape[r - (tb ? 1 : 2)], n = b.shape[r - (tb ? 2 : 1)];
  if (ka != kb) return Bad(op, "contracting dimensions differ (", ka, " vs ", kb, "): ", both);
  if (r == 3 && a.shape[0] != b.shape[0]) return Bad(op, "batch dimensions differ: ", both);
  Shape out = r == 3 ? Shape{a.shape[0], m, n} : Shape{m, n};
  return Types{{a.dtype, out}};
}

absl::StatusOr<Types> InferReduce(const Op& op) {
  const TensorType& t = op.operand(0)->type();
  const auto& axes = op.IntsAttr("axes");
  if (!IsNumeric(t.dtype)) return Bad(op, "expects a numeric operand, got ", t.ToString());
  for (size_t i = 0; i < axes.size(); ++i) {
    RETURN_IF_ERROR(CheckAxis(op, axes[i], t.rank(), "axis"));
    if (i > 0 && axes[i] <= axes[i - 1]) {
      return Bad(op, "axes must be strictly increasing, got ", Ints(axes));
    }
  }
  Shape out;
  for (int64_t d = 0; d < t.rank(); ++d) {
    if (!std::count(axes.begin(), axes.end(), d)) out.push_back(t.shape[d]);
  }
  return Types{{t.dtype, out}};
}

absl::StatusOr<Types> InferReshape(const Op& op) {
  const TensorType& t = op.operand(0)->type();
  const auto& shape = op.IntsAttr("shape");
  RETURN_IF_ERROR(CheckShape(op, shape, "shape"));
  if (NumElements(shape) != t.num_elements()) {
    return Bad(op, "cannot reshape ", t.ToString(), " to ", Ints(shape), ": element counts differ");
  }
  return Types{{t.dtype, shape}};
}

absl::StatusOr<Types> InferTranspose(const Op& op) {
  const TensorType& t = op.operand(0)->type();
  const auto& perm = op.IntsAttr("perm");
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  bool is_perm = static_cast<int64_t>(perm.size()) == t.rank();
  for (size_t i = 0; is_perm && i < sorted.size(); ++i) is_perm = sorted[i] == int64_t(i);
  if (!is_perm) {
    return Bad(op, "perm ", Ints(perm), " is not a permutation of the dimensions of ", t.ToString());
  }
  Shape out;
  for (int64_t p : perm) out.push_back(t.shape[p]);
  return Types{{t.dtype, out}};
}

absl::StatusOr<Types> InferBroadcastInDim(const Op& op) {
  const TensorType& t = op.operand(0)->type();
  const auto& shape = op.IntsAttr("shape");
  const auto& dims = op.IntsAttr("dims");
  RETURN_IF_ERROR(CheckShape(op, shape, "shape"));
  if (static_cast<int64_t>(dims.size()) != t.rank()) {
    return Bad(op, "dims ", Ints(dims), " must name one result dimension for each of the ", t.rank(), " dimensions of ",
               t.ToString());
  }
  for (size_t i = 0; i < dims.size(); ++i) {
    RETURN_IF_ERROR(CheckAxis(op, dims[i], shape.size(), "dimension"));
    if (i > 0 && dims[i] <= dims[i - 1]) {
      return Bad(op, "dims must be strictly increasing, got ", Ints(dims));
    }
    if (t.shape[i] != 1 && t.shape[i] != shape[dims[i]]) {
      return Bad(op, "cannot broadcast ", t.ToString(), " to ", Ints(shape), " with dims ", Ints(dims));
    }
  }
  return Types{{t.dtype, shape}};
}

absl::StatusOr<Types> InferConcat(const Op& op) {
  if (op.num_operands() == 0) return Bad(op, "needs at least one operand");
  TensorType out = op.operand(0)->type();
  int64_t axis = op.IntAttr("axis");
  RETURN_IF_ERROR(CheckAxis(op, axis, out.rank(), "axis"));
  for (int i = 1; i < op.num_operands(); ++i) {
    const TensorType& t = op.operand(i)->type();
    bool ok = t.dtype == out.dtype && t.rank() == out.rank();
    for (int64_t d = 0; ok && d < t.rank(); ++d) ok = d == axis || t.shape[d] == out.shape[d];
    if (!ok) {
      return Bad(op, "operand ", i, " of type ", t.ToString(), " does not match ", op.operand(0)->type().ToString(),
                 " outside axis ", axis);
    }
    out.shape[axis] += t.shape[axis];
  }
  return Types{out};
}

absl::StatusOr<Types> InferSlice(const Op& op) {
  const TensorType& t = op.operand(0)->type();
  const auto& start = op.IntsAttr("start");
  const auto& limit = op.IntsAttr("limit");
  std::vector<int64_t> strides(t.rank(), 1);
  if (op.HasAttr("strides")) strides = op.IntsAttr("strides");
  if (static_cast<int64_t>(start.size()) != t.rank() || static_cast<int64_t>(limit.size()) != t.rank() ||
      static_cast<int64_t>(strides.size()) != t.rank()) {
    return Bad(op, "start, limit and strides need one entry per dimension of ", t.ToString());
  }
  Shape out;
  for (int64_t d = 0; d < t.rank(); ++d) {
    if (strides[d] < 1) return Bad(op, "strides must be positive, got ", Ints(strides));
    if (start[d] < 0 || start[d] > limit[d] || limit[d] > t.shape[d]) {
      return Bad(op, "slice ", Ints(start), " to ", Ints(limit), " by ", Ints(strides), " is out of bounds for ",
                 t.ToString());
    }
    out.push_back((limit[d] - start[d] + strides[d] - 1) / strides[d]);
  }
  return Types{{t.dtype, out}};
}

absl::StatusOr<Types> InferPad(const Op& op) {
  const TensorType& t = op.operand(0)->type();
  const auto& low = op.IntsAttr("low");
  const auto& high = op.IntsAttr("high");
  std::vector<int64_t> interior(t.rank(), 0);
  if (op.HasAttr("interior")) interior = op.IntsAttr("interior");
  if (static_cast<int64_t>(low.size()) != t.rank() || static_cast<int64_t>(high.size()) != t.rank() ||
      static_cast<int64_t>(interior.size()) != t.rank()) {
    return Bad(op, "low, high and interior need one entry per dimension of ", t.ToString());
  }
  Shape out;
  for (int64_t d = 0; d < t.rank(); ++d) {
    if (low[d] < 0 || high[d] < 0 || interior[d] < 0) {
      return Bad(op, "padding must not be negative: low ", Ints(low), ", high ", Ints(high), ", interior ",
                 Ints(interior));
    }
    int64_t n = t.shape[d];
    out.push_back(low[d] + high[d] + n + (n > 0 ? (n - 1) * interior[d] : 0));
  }
  return Types{{t.dtype, out}};
}

absl::StatusOr<Types> InferGather(const Op& op) {
  const TensorType& table = op.operand(0)->type();
  const TensorType& ids = op.operand(1)->type();
  if (table.rank() < 1) return Bad(op, "table must have rank >= 1, got ", table.ToString());
  if (!IsInteger(ids.dtype)) return Bad(op, "indices must be integers, got ", ids.ToString());
  Shape out = ids.shape;
  out.insert(out.end(), table.shape.begin() + 1, table.shape.end());
  return Types{{table.dtype, out}};
}

absl::StatusOr<Types> InferScatterAdd(const Op& op) {
  const TensorType& base = op.operand(0)->type();
  const TensorType& ids = op.operand(1)->type();
  const TensorType& upd = op.operand(2)->type();
  if (base.rank() < 1 || !IsNumeric(base.dtype)) {
    return Bad(op, "base must be numeric with rank >= 1, got ", base.ToString());
  }
  if (!IsInteger(ids.dtype)) return Bad(op, "indices must be integers, got ", ids.ToString());
  Shape want = ids.shape;
  want.insert(want.end(), base.shape.begin() + 1, base.shape.end());
  if (upd.dtype != base.dtype || upd.shape != want) {
    return Bad(op, "updates must be ", TensorType{base.dtype, want}.ToString(), " for base ", base.ToString(),
               " and indices ", ids.ToString(), ", got ", upd.ToString());
  }
  return Types{base};
}

absl::StatusOr<Types> InferOneHot(const Op& op) {
  const TensorType& ids = op.operand(0)->type();
  if (!IsInteger(ids.dtype)) return Bad(op, "indices must be integers, got ", ids.ToString());
  int64_t depth = op.IntAttr("depth");
  if (depth < 0) return Bad(op, "depth must be >= 0, got ", depth);
  Shape out = ids.shape;
  out.push_back(depth);
  return Types{{op.Attr<DType>("dtype"), out}};
}

absl::StatusOr<Types> InferIota(const Op& op) {
  const auto& shape = op.IntsAttr("shape");
  RETURN_IF_ERROR(CheckShape(op, shape, "shape"));
  RETURN_IF_ERROR(CheckAxis(op, op.IntAttr("dim"), shape.size(), "dim"));
  DType dtype = op.Attr<DType>("dtype");
  if (!IsNumeric(dtype)) return Bad(op, "dtype must be numeric");
  return Types{{dtype, shape}};
}

absl::StatusOr<Types> InferConstant(const Op& op) { return Types{TypeOf(op.Attr<Tensor>("value"))}; }

absl::StatusOr<Types> InferRandomUniform(const Op& op) {
  RETURN_IF_ERROR(CheckDraws(op));
  const auto& shape = op.IntsAttr("shape");
  DType dtype = op.Attr<DType>("dtype");
  if (!IsFloat(dtype)) return Bad(op, "dtype must be f32 or f64");
  if (!(op.FloatAttr("low", 0.0) <= op.FloatAttr("high", 1.0))) {
    return Bad(op, "needs low <= high");
  }
  return Types{{dtype, shape}};
}

absl::StatusOr<Types> InferBernoulli(const Op& op) {
  RETURN_IF_ERROR(CheckDraws(op));
  const auto& shape = op.IntsAttr("shape");
  double p = op.FloatAttr("p", 0.5);
  if (!(p >= 0.0 && p <= 1.0)) return Bad(op, "p must be in [0, 1], got ", p);
  return Types{{DType::kI1, shape}};
}

namespace {
absl::StatusOr<const Global*> FindGlobalOf(const Op& op) {
  const std::string& name = op.Attr<SymbolRef>("global").name;
  Function* f = op.parent_function();
  if (f == nullptr) return Bad(op, "is not inside a function");
  if (op.parent() != &f->body()) {
    return Bad(op, "must be at the top level of a function (regions take globals as operands)");
  }
  const Global* g = f->module()->FindGlobal(name);
  if (g == nullptr) return Bad(op, "refers to unknown global @", name);
  return g;
}
}  // namespace

absl::StatusOr<Types> InferLoad(const Op& op) {
  ASSIGN_OR_RETURN(const Global* g, FindGlobalOf(op));
  return Types{g->type};
}

absl::StatusOr<Types> InferStore(const Op& op) {
  ASSIGN_OR_RETURN(const Global* g, FindGlobalOf(op));
  if (op.operand(0)->type() != g->type) {
    return Bad(op, "stores ", Ty(op.operand(0)), " into @", g->name, " of type ", g->type.ToString());
  }
  return Types{};
}

absl::StatusOr<Types> InferAllReduce(const Op& op) {
  Function* f = op.parent_function();
  if (f == nullptr || op.parent() != &f->body()) return Bad(op, "must be at the top level of a function");
  if (op.num_operands() == 0) return Bad(op, "needs at least one operand");
  Types types;
  for (const Value* v : op.operands()) {
    // One message per bucket: one element type.
    if (!IsFloat(v->type().dtype) || v->type().dtype != op.operand(0)->type().dtype) {
      return Bad(op, "sums float operands of one element type, got ", Ty(op.operand(0)), " and ", Ty(v));
    }
    types.push_back(v->type());
  }
  return types;
}

absl::StatusOr<Types> InferScan(const Op& op) {
  auto carries = op.Segment(0), steps = op.Segment(1), invariants = op.Segment(2);
  auto lengths = op.Segment(3);
  int64_t length = op.IntAttr("length");
  if (length < 0) return Bad(op, "length must be >= 0, got ", length);
  Types body_args;
  for (Value* c : carries) body_args.push_back(c->type());
  for (Value* s : steps) {
    const TensorType& t = s->type();
    if (t.rank() < 1 || t.shape[0] != length) {
      return Bad(op, "per-step input ", t.ToString(), " must have leading dimension ", length);
    }
    body_args.push_back({t.dtype, Shape(t.shape.begin() + 1, t.shape.end())});
  }
  for (Value* v : invariants) body_args.push_back(v->type());

  Block* body = op.region();
  if (body == nullptr) return Bad(op, "needs a body region");
  if (body->num_arguments() != static_cast<int>(body_args.size())) {
    return Bad(op, "body takes ", body->num_arguments(), " arguments, expected ", body_args.size(),
               " (carries, step slices, invariants)");
  }
  for (int i = 0; i < body->num_arguments(); ++i) {
    if (body->argument(i)->type() != body_args[i]) {
      return Bad(op, "body argument ", i, " is ", Ty(body->argument(i)), ", expected ", body_args[i].ToString());
    }
  }
  Op* yield = body->terminator();
  if (yield == nullptr || yield->code() != OpCode::kYield) {
    return Bad(op, "body must end in 'yield'");
  }
  if (yield->num_operands() < static_cast<int>(carries.size())) {
    return Bad(op, "body yields ", yield->num_operands(), " values, fewer than its ", carries.size(), " carries");
  }
  Types results;
  for (size_t i = 0; i < carries.size(); ++i) {
    if (yield->operand(i)->type() != carries[i]->type()) {
      return Bad(op, "body yields ", Ty(yield->operand(i)), " for carry ", i, " of type ", Ty(carries[i]));
    }
    results.push_back(carries[i]->type());
  }
  for (int i = carries.size(); i < yield->num_operands(); ++i) {
    TensorType t = yield->operand(i)->type();
    t.shape.insert(t.shape.begin(), length);
    results.push_back(t);
  }
  if (!lengths.empty()) {
    const TensorType& l = lengths[0]->type();
    if (!IsInteger(l.dtype) || l.rank() != 1) {
      return Bad(op, "lengths must be a rank-1 integer tensor, got ", l.ToString());
    }
    for (int i = 0; i < yield->num_operands(); ++i) {
      const TensorType& t = yield->operand(i)->type();
      if (t.rank() < 1 || t.shape[0] != l.shape[0]) {
        return Bad(op, "with lengths ", l.ToString(), " every carry and output needs batch ", "dimension ", l.shape[0],
                   " first, got ", t.ToString());
      }
    }
  }
  return results;
}

absl::StatusOr<Types> InferFusion(const Op& op) {
  Block* body = op.region();
  if (body == nullptr) return Bad(op, "needs a body region");
  if (body->num_arguments() != op.num_operands()) {
    return Bad(op, "body takes ", body->num_arguments(), " arguments for ", op.num_operands(), " operands");
  }
  Op* yield = body->terminator();
  if (yield == nullptr || yield->code() != OpCode::kYield || yield->num_operands() == 0) {
    return Bad(op, "body must end in 'yield' with at least one value");
  }
  // Every body value has the fused shape; an argument of another shape may only be
  // read through indexing ops (a slice of it, a broadcast of a slice of it), whose
  // intermediate results may have any shape as long as only indexing ops read them.
  const Shape& shape = yield->operand(0)->type().shape;
  auto only_indexed = [](const Value* v) {
    for (const Use& use : v->uses()) {
      if (!use.user->info().has(kIndexing)) return false;
    }
    return true;
  };
  for (int i = 0; i < op.num_operands(); ++i) {
    if (body->argument(i)->type() != op.operand(i)->type()) {
      return Bad(op, "body argument ", i, " is ", Ty(body->argument(i)), " for operand ", Ty(op.operand(i)));
    }
    if (op.operand(i)->type().shape != shape && !only_indexed(body->argument(i))) {
      return Bad(op, "operand ", Ty(op.operand(i)), " does not have the fused shape ", ShapeToString(shape),
                 " and is not only read through indexing ops");
    }
  }
  for (const auto& inner : body->ops()) {
    bool indexing = inner->info().has(kIndexing);
    bool elementwise =
        inner->info().has(kElementwise) || inner->code() == OpCode::kConstant || inner->code() == OpCode::kYield;
    if (!elementwise && !indexing) {
      return Bad(op, "body may hold only elementwise and indexing ops, found '", inner->name(), "'");
    }
    const Op* source = indexing ? inner->operand(0)->defining_op() : nullptr;
    if (source != nullptr && !source->info().has(kIndexing)) {
      return Bad(op, "'", inner->name(), "' in a body may only read a body argument or another indexing op");
    }
    for (Value* r : inner->results()) {
      if (r->type().shape != shape && !(indexing && only_indexed(r))) {
        return Bad(op, "body value ", Ty(r), " does not have the fused shape ", ShapeToString(shape));
      }
    }
  }
  Types results;
  for (Value* v : yield->operands()) results.push_back(v->type());
  return results;
}

absl::StatusOr<Types> InferTerminator(const Op&) { return Types{}; }

}  // namespace loom::ir
