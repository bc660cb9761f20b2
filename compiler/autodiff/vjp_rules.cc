// The VJP table: one short rule per op, in the order of ops.def. Each reads the primal
// values it needs through ctx.primal and emits the adjoint computation with ctx.b.
#include <numeric>

#include "compiler/autodiff/vjp.h"
#include "support/status_macros.h"

namespace loom::autodiff {
namespace {

using ir::OpCode;
using ir::Value;
using Dys = std::vector<Value*>;
using Dxs = std::vector<Value*>;

Value* X(VjpContext& c, const ir::Op& op, int i) { return c.primal(op.operand(i)); }
Value* Y(VjpContext& c, const ir::Op& op, int i = 0) { return c.primal(op.result(i)); }

absl::StatusOr<Value*> Un(VjpContext& c, OpCode code, Value* a) { return c.b.Build(code, {a}); }
absl::StatusOr<Value*> Bin(VjpContext& c, OpCode code, Value* a, Value* b) { return c.b.Build(code, {a, b}); }
absl::StatusOr<Value*> Const(VjpContext& c, Value* like, double v) {
  return c.b.Splat(like->type().dtype, like->type().shape, v);
}
// select(cond, a, 0)
absl::StatusOr<Value*> Keep(VjpContext& c, Value* cond, Value* a) {
  ASSIGN_OR_RETURN(Value * zero, Const(c, a, 0));
  return c.b.Build(OpCode::kSelect, {cond, a, zero});
}

// ---- Elementwise ----

absl::Status Neg(VjpContext& c, const ir::Op&, const Dys& dy, Dxs& dx) {
  ASSIGN_OR_RETURN(dx[0], Un(c, OpCode::kNeg, dy[0]));
  return absl::OkStatus();
}
absl::Status Abs(VjpContext& c, const ir::Op& op, const Dys& dy, Dxs& dx) {
  // sign(x) * dy, with sign(0) = 0 as PyTorch.
  Value* x = X(c, op, 0);
  ASSIGN_OR_RETURN(Value * zero, Const(c, x, 0));
  ASSIGN_OR_RETURN(Value * pos, c.b.Compare(x, zero, "gt"));
  ASSIGN_OR_RETURN(Value * neg, c.b.Compare(x, zero, "lt"));
  ASSIGN_OR_RETURN(Value * mdy, Un(c, OpCode::kNeg, dy[0]));
  ASSIGN_OR_RETURN(Value * lo, Keep(c, neg, mdy));
  ASSIGN_OR_RETURN(dx[0], c.b.Build(OpCode::kSelect, {pos, dy[0], lo}));
  return absl::OkStatus();
}
absl::Status Relu(VjpContext& c, const ir::Op& op, const Dys& dy, Dxs& dx) {
  Value* x = X(c, op, 0);
  ASSIGN_OR_RETURN(Value * zero, Const(c, x, 0));
  ASSIGN_OR_RETURN(Value * pos, c.b.Compare(x, zero, "gt"));
  ASSIGN_OR_RETURN(dx[0], Keep(c, pos, dy[0]));
  return absl::OkStatus();
}
absl::Status Exp(VjpContext& c, const ir::Op& op, const Dys& dy, Dxs& dx) {
  ASSIGN_OR_RETURN(dx[0], Bin(c, OpCode::kMul, dy[0], Y(c, op)));
  return absl::OkStatus();
}
absl::Status Log(VjpContext& c, const ir::Op& op, const Dys& dy, Dxs& dx) {
  ASSIGN_OR_RETURN(dx[0], Bin(c, OpCode::kDiv, dy[0], X(c, op, 0)));
  return absl::OkStatus();
}
absl::Status Tanh(VjpContext& c, const ir::Op& op, const Dys& dy, Dxs& dx) {
  Value* y = Y(c, op);
  ASSIGN_OR_RETURN(Value * one, Const(c, y, 1));
  ASSIGN_OR_RETURN(Value * y2, Bin(c, OpCode::kMul, y, y));
  ASSIGN_OR_RETURN(Value * d, Bin(c, OpCode::kSub, one, y2));
  ASSIGN_OR_RETURN(dx[0], Bin(c, OpCode::kMul, dy[0], d));
  return absl::OkStatus();
}
absl::Status Sigmoid(VjpContext& c, const ir::Op& op, const Dys& dy, Dxs& dx) {
  Value* y = Y(c, op);
  ASSIGN_OR_RETURN(Value * one, Const(c, y, 1));
  ASSIGN_OR_RETURN(Value * omy, Bin(c, OpCode::kSub, one, y));
  ASSIGN_OR_RETURN(Value * d, Bin(c, OpCode::kMul, y, omy));
  ASSIGN_OR_RETURN(dx[0], Bin(c, OpCode::kMul, dy[0], d));
  return absl::OkStatus();
}
absl::Status Sqrt(VjpContext& c, const ir::Op& op, const Dys& dy, Dxs& dx) {
  Value* y = Y(c, op);
  ASSIGN_OR_RETURN(Value * half, Const(c, y, 0.5));
  ASSIGN_OR_RETURN(Value * h, Bin(c, OpCode::kMul, dy[0], half));
  ASSIGN_OR_RETURN(dx[0], Bin(c, OpCode::kDiv, h, y));
  return absl::OkStatus();
}
absl::Status Rsqrt(VjpContext& c, const ir::Op& op, const Dys& dy, Dxs& dx) {
  // d/dx x^-1/2 = -1/2 · y / x
  Value* y = Y(c, op);
  ASSIGN_OR_RETURN(Value * mhalf, Const(c, y, -0.5));
  ASSIGN_OR_RETURN(Value * yx, Bin(c, OpCode::kDiv, y, X(c, op, 0)));
  ASSIGN_OR_RETURN(Value * d, Bin(c, OpCode::kMul, yx, mhalf));
  ASSIGN_OR_RETURN(dx[0], Bin(c, OpCode::kMul, dy[0], d));
  return absl::OkStatus();
}
absl::Status Cast(VjpContext& c, const ir::Op& op, const Dys& dy, Dxs& dx) {
  // Only float-to-float casts carry a gradient.
  if (!IsFloat(op.operand(0)->type().dtype) || !IsFloat(op.result(0)->type().dtype)) return absl::OkStatus();
  ASSIGN_OR_RETURN(dx[0], c.b.Cast(dy[0], op.operand(0)->type().dtype));
  return absl::OkStatus();
}
absl::Status Add(VjpContext&, const ir::Op&, const Dys& dy, Dxs& dx) {
  dx[0] = dx[1] = dy[0];
  return absl::OkStatus();
}
absl::Status Sub(VjpContext& c, const ir::Op&, const Dys& dy, Dxs& dx) {
  dx[0] = dy[0];
  ASSIGN_OR_RETURN(dx[1], Un(c, OpCode::kNeg, dy[0]));
  return absl::OkStatus();
}
absl::Status Mul(VjpContext& c, const ir::Op& op, const Dys& dy, Dxs& dx) {
  ASSIGN_OR_RETURN(dx[0], Bin(c, OpCode::kMul, dy[0], X(c, op, 1)));
  ASSIGN_OR_RETURN(dx[1], Bin(c, OpCode::kMul, dy[0], X(c, op, 0)));
  return absl::OkStatus();
}
absl::Status Div(VjpContext& c, const ir::Op& op, const Dys& dy, Dxs& dx) {
  Value* b = X(c, op, 1);
  ASSIGN_OR_RETURN(dx[0], Bin(c, OpCode::kDiv, dy[0], b));
  ASSIGN_OR_RETURN(Value * q, Bin(c, OpCode::kDiv, Y(c, op), b));
  ASSIGN_OR_RETURN(Value * m, Bin(c, OpCode::kMul, dy[0], q));
  ASSIGN_OR_RETURN(dx[1], Un(c, OpCode::kNeg, m));
  return absl::OkStatus();
}
// Ties go to the first operand, as the forward picks it: deterministic.
absl::Status MaxMin(VjpContext& c, const ir::Op& op, const Dys& dy, Dxs& dx, const char* dir) {
  ASSIGN_OR_RETURN(Value * first, c.b.Compare(X(c, op, 0), X(c, op, 1), dir));
  ASSIGN_OR_RETURN(dx[0], Keep(c, first, dy[0]));
  ASSIGN_OR_RETURN(Value * zero, Const(c, dy[0], 0));
  ASSIGN_OR_RETURN(dx[1], c.b.Build(OpCode::kSelect, {first, zero, dy[0]}));
  return absl::OkStatus();
}
absl::Status Max(VjpContext& c, const ir::Op& op, const Dys& dy, Dxs& dx) { return MaxMin(c, op, dy, dx, "ge"); }
absl::Status Min(VjpContext& c, const ir::Op& op, const Dys& dy, Dxs& dx) { return MaxMin(c, op, dy, dx, "le"); }
absl::Status Pow(VjpContext& c, const ir::Op& op, const Dys& dy, Dxs& dx) {
  // d/da a^b = b·a^(b-1);  d/db a^b = a^b·log(a)
  Value *a = X(c, op, 0), *b = X(c, op, 1);
  ASSIGN_OR_RETURN(Value * one, Const(c, b, 1));
  ASSIGN_OR_RETURN(Value * bm1, Bin(c, OpCode::kSub, b, one));
  ASSIGN_OR_RETURN(Value * p, Bin(c, OpCode::kPow, a, bm1));
  ASSIGN_OR_RETURN(Value * bp, Bin(c, OpCode::kMul, b, p));
  ASSIGN_OR_RETURN(dx[0], Bin(c, OpCode::kMul, dy[0], bp));
  ASSIGN_OR_RETURN(Value * la, Un(c, OpCode::kLog, a));
  ASSIGN_OR_RETURN(Value * yl, Bin(c, OpCode::kMul, Y(c, op), la));
  ASSIGN_OR_RETURN(dx[1], Bin(c, OpCode::kMul, dy[0], yl));
  return absl::OkStatus();
}
absl::Status Select(VjpContext& c, const ir::Op& op, const Dys& dy, Dxs& dx) {
  Value* cond = X(c, op, 0);
  ASSIGN_OR_RETURN(dx[1], Keep(c, cond, dy[0]));
  ASSIGN_OR_RETURN(Value * zero, Const(c, dy[0], 0));
  ASSIGN_OR_RETURN(dx[2], c.b.Build(OpCode::kSelect, {cond, zero, dy[0]}));
  return absl::OkStatus();
}

// ---- Linear algebra and reductions ----

absl::Status Matmul(VjpContext& c, const ir::Op& op, const Dys& dy, Dxs& dx) {
  // C = op_a(A)·op_b(B): each adjoint is a matmul of dC with the other operand, with the
  // transposes that put it back in the operand's own layout.
  Value *a = X(c, op, 0), *b = X(c, op, 1), *g = dy[0];
  bool ta = op.BoolAttr("transpose_a"), tb = op.BoolAttr("transpose_b");
  auto mm = [&](Value* l, Value* r, bool tl, bool tr) {
    return c.b.Build(OpCode::kMatmul, {l, r}, {{"transpose_a", tl}, {"transpose_b", tr}});
  };
  if (!ta) {
    ASSIGN_OR_RETURN(dx[0], mm(g, b, false, !tb));
  } else {
    ASSIGN_OR_RETURN(dx[0], mm(b, g, tb, true));
  }
  if (!tb) {
    ASSIGN_OR_RETURN(dx[1], mm(a, g, !ta, false));
  } else {
    ASSIGN_OR_RETURN(dx[1], mm(g, a, true, ta));
  }
  return absl::OkStatus();
}

std::vector<int64_t> KeptDims(const ir::Op& op) {
  const auto& axes = op.IntsAttr("axes");
  std::vector<int64_t> kept;
  for (int64_t d = 0; d < op.operand(0)->type().rank(); ++d) {
    if (!std::count(axes.begin(), axes.end(), d)) kept.push_back(d);
  }
  return kept;
}

absl::Status ReduceSum(VjpContext& c, const ir::Op& op, const Dys& dy, Dxs& dx) {
  ASSIGN_OR_RETURN(dx[0], c.b.BroadcastInDim(dy[0], op.operand(0)->type().shape, KeptDims(op)));
  return absl::OkStatus();
}
absl::Status ReduceMax(VjpContext& c, const ir::Op& op, const Dys& dy, Dxs& dx) {
  // Shared evenly between tied maxima (as PyTorch's amax): deterministic.
  Value* x = X(c, op, 0);
  const Shape& shape = x->type().shape;
  std::vector<int64_t> kept = KeptDims(op);
  ASSIGN_OR_RETURN(Value * yb, c.b.BroadcastInDim(Y(c, op), shape, kept));
  ASSIGN_OR_RETURN(Value * hit, c.b.Compare(x, yb, "eq"));
  ASSIGN_OR_RETURN(Value * hitf, c.b.Cast(hit, x->type().dtype));
  ASSIGN_OR_RETURN(Value * count, c.b.Build(OpCode::kReduceSum, {hitf}, {{"axes", op.IntsAttr("axes")}}));
  ASSIGN_OR_RETURN(Value * share, Bin(c, OpCode::kDiv, dy[0], count));
  ASSIGN_OR_RETURN(Value * sb, c.b.BroadcastInDim(share, shape, kept));
  ASSIGN_OR_RETURN(dx[0], Bin(c, OpCode::kMul, sb, hitf));
  return absl::OkStatus();
}

// ---- Data movement ----

absl::Status Reshape(VjpContext& c, const ir::Op& op, const Dys& dy, Dxs& dx) {
  ASSIGN_OR_RETURN(dx[0], c.b.Reshape(dy[0], op.operand(0)->type().shape));
  return absl::OkStatus();
}
absl::Status Transpose(VjpContext& c, const ir::Op& op, const Dys& dy, Dxs& dx) {
  const auto& perm = op.IntsAttr("perm");
  std::vector<int64_t> inverse(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) inverse[perm[i]] = i;
  ASSIGN_OR_RETURN(dx[0], c.b.Build(OpCode::kTranspose, {dy[0]}, {{"perm", inverse}}));
  return absl::OkStatus();
}
absl::Status BroadcastInDim(VjpContext& c, const ir::Op& op, const Dys& dy, Dxs& dx) {
  // Sum over every result dimension that was created or stretched, then reshape back.
  const Shape& in = op.operand(0)->type().shape;
  const Shape& out = op.result(0)->type().shape;
  const auto& dims = op.IntsAttr("dims");
  std::vector<int64_t> axes;
  for (int64_t d = 0; d < static_cast<int64_t>(out.size()); ++d) {
    auto it = std::find(dims.begin(), dims.end(), d);
    if (it == dims.end() || (in[it - dims.begin()] == 1 && out[d] != 1)) axes.push_back(d);
  }
  ASSIGN_OR_RETURN(Value * s, c.b.Build(OpCode::kReduceSum, {dy[0]}, {{"axes", axes}}));
  ASSIGN_OR_RETURN(dx[0], c.b.Reshape(s, in));
  return absl::OkStatus();
}
absl::Status Concat(VjpContext& c, const ir::Op& op, const Dys& dy, Dxs& dx) {
  int64_t axis = op.IntAttr("axis"), offset = 0;
  for (int i = 0; i < op.num_operands(); ++i) {
    const Shape& s = op.operand(i)->type().shape;
    std::vector<int64_t> start(s.size(), 0), limit = op.result(0)->type().shape;
    start[axis] = offset;
    limit[axis] = offset + s[axis];
    ASSIGN_OR_RETURN(dx[i], c.b.Slice(dy[0], start, limit));
    offset += s[axis];
  }
  return absl::OkStatus();
}
// y = Σ_r x_r on every rank, and the loss is Σ_r L_r(y): ∂L/∂x_r = Σ_r ∂L_r/∂y, the
// cotangents summed over the ranks.
absl::Status AllReduce(VjpContext& c, const ir::Op&, const Dys& dy, Dxs& dx) {
  ASSIGN_OR_RETURN(ir::Op * sum, c.b.Create(OpCode::kAllReduce, dy, {}));
  for (size_t i = 0; i < dx.size(); ++i) dx[i] = sum->result(i);
  return absl::OkStatus();
}
absl::Status Slice(VjpContext& c, const ir::Op& op, const Dys& dy, Dxs& dx) {
  const Shape& in = op.operand(0)->type().shape;
  const Shape& out = op.result(0)->type().shape;
  const auto& start = op.IntsAttr("start");
  std::vector<int64_t> strides(in.size(), 1);
  if (op.HasAttr("strides")) strides = op.IntsAttr("strides");
  if (NumElements(out) == 0) {
    ASSIGN_OR_RETURN(dx[0], c.b.Splat(dy[0]->type().dtype, in, 0));
    return absl::OkStatus();
  }
  std::vector<int64_t> low = start, high(in.size()), interior(in.size());
  for (size_t d = 0; d < in.size(); ++d) {
    high[d] = in[d] - (start[d] + (out[d] - 1) * strides[d] + 1);
    interior[d] = strides[d] - 1;
  }
  ASSIGN_OR_RETURN(dx[0], c.b.Build(OpCode::kPad, {dy[0]}, {{"low", low}, {"high", high}, {"interior", interior}}));
  return absl::OkStatus();
}
absl::Status Pad(VjpContext& c, const ir::Op& op, const Dys& dy, Dxs& dx) {
  const Shape& in = op.operand(0)->type().shape;
  const auto& low = op.IntsAttr("low");
  std::vector<int64_t> interior(in.size(), 0);
  if (op.HasAttr("interior")) interior = op.IntsAttr("interior");
  std::vector<int64_t> limit(in.size()), strides(in.size());
  for (size_t d = 0; d < in.size(); ++d) {
    strides[d] = interior[d] + 1;
    limit[d] = low[d] + (in[d] > 0 ? (in[d] - 1) * strides[d] + 1 : 0);
  }
  ASSIGN_OR_RETURN(dx[0], c.b.Build(OpCode::kSlice, {dy[0]}, {{"start", low}, {"limit", limit}, {"strides", strides}}));
  return absl::OkStatus();
}
absl::Status Gather(VjpContext& c, const ir::Op& op, const Dys& dy, Dxs& dx) {
  const ir::TensorType& t = op.operand(0)->type();
  ASSIGN_OR_RETURN(Value * zeros, c.b.Splat(t.dtype, t.shape, 0));
  ASSIGN_OR_RETURN(dx[0], c.b.Build(OpCode::kScatterAdd, {zeros, X(c, op, 1), dy[0]}));
  return absl::OkStatus();
}
absl::Status ScatterAdd(VjpContext& c, const ir::Op& op, const Dys& dy, Dxs& dx) {
  dx[0] = dy[0];
  ASSIGN_OR_RETURN(dx[2], c.b.Build(OpCode::kGather, {dy[0], X(c, op, 1)}));
  return absl::OkStatus();
}

// Ops with no gradient by definition: their operands get none.
absl::Status NoGradient(VjpContext&, const ir::Op&, const Dys&, Dxs&) { return absl::OkStatus(); }

}  // namespace

bool IsNonDifferentiable(OpCode code) { return GetVjp(code) == NoGradient; }

VjpRule GetVjp(OpCode code) {
  switch (code) {
    case OpCode::kNeg: return Neg;
    case OpCode::kAbs: return Abs;
    case OpCode::kRelu: return Relu;
    case OpCode::kExp: return Exp;
    case OpCode::kLog: return Log;
    case OpCode::kTanh: return Tanh;
    case OpCode::kSigmoid: return Sigmoid;
    case OpCode::kSqrt: return Sqrt;
    case OpCode::kRsqrt: return Rsqrt;
    case OpCode::kCast: return Cast;
    case OpCode::kAdd: return Add;
    case OpCode::kSub: return Sub;
    case OpCode::kMul: return Mul;
    case OpCode::kDiv: return Div;
    case OpCode::kMax: return Max;
    case OpCode::kMin: return Min;
    case OpCode::kPow: return Pow;
    case OpCode::kSelect: return Select;
    case OpCode::kMatmul: return Matmul;
    case OpCode::kReduceSum: return ReduceSum;
    case OpCode::kReduceMax: return ReduceMax;
    case OpCode::kReshape: return Reshape;
    case OpCode::kTranspose: return Transpose;
    case OpCode::kBroadcastInDim: return BroadcastInDim;
    case OpCode::kConcat: return Concat;
    case OpCode::kSlice: return Slice;
    case OpCode::kPad: return Pad;
    case OpCode::kGather: return Gather;
    case OpCode::kScatterAdd: return ScatterAdd;
    case OpCode::kAllReduce: return AllReduce;
    // Non-differentiable by definition.
    case OpCode::kCompare:
    case OpCode::kOneHot:
    case OpCode::kIota:
    case OpCode::kConstant:
    case OpCode::kRandomUniform:
    case OpCode::kBernoulli:
    case OpCode::kStopGradient:
    case OpCode::kYield:
    case OpCode::kReturn: return NoGradient;
    // Differentiated by backprop.cc itself (a store's value has no adjoint: it is a result).
    case OpCode::kScan:
    case OpCode::kFusion:
    case OpCode::kLoad:
    case OpCode::kStore: return nullptr;
  }
  return nullptr;
}

}  // namespace loom::autodiff
