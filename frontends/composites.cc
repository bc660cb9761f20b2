#include "frontends/composites.h"

#include <numeric>

#include "support/status_macros.h"

namespace loom::frontends {
namespace {

using ir::OpCode;

const Shape& ShapeOf(Value* v) { return v->type().shape; }
DType DTypeOfValue(Value* v) { return v->type().dtype; }

absl::StatusOr<Value*> Op1(Builder& b, OpCode code, Value* x) { return b.Build(code, {x}); }
absl::StatusOr<Value*> Op2(Builder& b, OpCode code, Value* x, Value* y) { return b.Build(code, {x, y}); }
absl::StatusOr<Value*> Scalar(Builder& b, Value* like, double v) {
  return b.Splat(DTypeOfValue(like), ShapeOf(like), v);
}

// Sum of every element, as a scalar.
absl::StatusOr<Value*> SumAll(Builder& b, Value* x) {
  std::vector<int64_t> axes(ShapeOf(x).size());
  std::iota(axes.begin(), axes.end(), 0);
  return b.Build(OpCode::kReduceSum, {x}, {{"axes", axes}});
}

absl::StatusOr<Value*> Reduce(Builder& b, Value* per_element, Value* weights, Reduction r) {
  Value* x = per_element;
  if (weights) {
    ASSIGN_OR_RETURN(x, Op2(b, OpCode::kMul, x, weights));
  }
  ASSIGN_OR_RETURN(Value * total, SumAll(b, x));
  if (!r.mean) return total;
  Value* count;
  if (weights) {
    ASSIGN_OR_RETURN(count, SumAll(b, weights));
    if (r.ranks > 1) {
      // Data, not a function of the parameters: no gradient (nor a backward message).
      ASSIGN_OR_RETURN(ir::Op * sum, b.Create(OpCode::kAllReduce, {count}, {}));
      ASSIGN_OR_RETURN(count, b.Build(OpCode::kStopGradient, {sum->result(0)}));
    }
  } else {
    double n = static_cast<double>(NumElements(ShapeOf(x))) * static_cast<double>(r.ranks);
    ASSIGN_OR_RETURN(count, b.Splat(DTypeOfValue(x), {}, n));
  }
  return Op2(b, OpCode::kDiv, total, count);
}

}  // namespace

absl::StatusOr<Value*> AddBias(Builder& b, Value* x, Value* bias) {
  const Shape& s = ShapeOf(x);
  ASSIGN_OR_RETURN(Value * bb, b.BroadcastInDim(bias, s, {static_cast<int64_t>(s.size()) - 1}));
  return Op2(b, OpCode::kAdd, x, bb);
}

absl::StatusOr<Value*> Linear(Builder& b, Value* x, Value* weight, Value* bias) {
  Shape s = ShapeOf(x);
  int64_t in = s.back(), out = ShapeOf(weight)[0];
  Value* x2 = x;
  if (s.size() != 2) {
    ASSIGN_OR_RETURN(x2, b.Reshape(x, {NumElements(s) / std::max<int64_t>(in, 1), in}));
  }
  ASSIGN_OR_RETURN(Value * y, b.Build(OpCode::kMatmul, {x2, weight}, {{"transpose_b", true}}));
  if (bias) {
    ASSIGN_OR_RETURN(y, AddBias(b, y, bias));
  }
  if (s.size() == 2) return y;
  s.back() = out;
  return b.Reshape(y, s);
}

absl::StatusOr<Value*> ReduceKeep(Builder& b, OpCode reduce, Value* x, int64_t axis) {
  const Shape& s = ShapeOf(x);
  ASSIGN_OR_RETURN(Value * r, b.Build(reduce, {x}, {{"axes", std::vector<int64_t>{axis}}}));
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < static_cast<int64_t>(s.size()); ++d) {
    if (d != axis) dims.push_back(d);
  }
  return b.BroadcastInDim(r, s, dims);
}

absl::StatusOr<Value*> LogSoftmax(Builder& b, Value* x, int64_t axis) {
  ASSIGN_OR_RETURN(Value * m, ReduceKeep(b, OpCode::kReduceMax, x, axis));
  ASSIGN_OR_RETURN(Value * shifted, Op2(b, OpCode::kSub, x, m));
  ASSIGN_OR_RETURN(Value * e, Op1(b, OpCode::kExp, shifted));
  ASSIGN_OR_RETURN(Value * s, ReduceKeep(b, OpCode::kReduceSum, e, axis));
  ASSIGN_OR_RETURN(Value * ls, Op1(b, OpCode::kLog, s));
  return Op2(b, OpCode::kSub, shifted, ls);
}

absl::StatusOr<Value*> Softmax(Builder& b, Value* x, int64_t axis) {
  ASSIGN_OR_RETURN(Value * m, ReduceKeep(b, OpCode::kReduceMax, x, axis));
  ASSIGN_OR_RETURN(Value * shifted, Op2(b, OpCode::kSub, x, m));
  ASSIGN_OR_RETURN(Value * e, Op1(b, OpCode::kExp, shifted));
  ASSIGN_OR_RETURN(Value * s, ReduceKeep(b, OpCode::kReduceSum, e, axis));
  return Op2(b, OpCode::kDiv, e, s);
}

absl::StatusOr<Value*> Dropout(Builder& b, Value* x, double p, int64_t seed, Value* counter,
                               std::optional<BatchRows> rows) {
  if (p <= 0) return x;
  ir::AttrMap attrs = {{"seed", seed}, {"shape", ShapeOf(x)}, {"p", 1.0 - p}};
  if (rows) {
    attrs["batch_axis"] = rows->axis;
    if (rows->offset != 0) attrs["batch_offset"] = rows->offset;
  }
  ASSIGN_OR_RETURN(Value * keep, b.Build(OpCode::kBernoulli, {counter}, attrs));
  ASSIGN_OR_RETURN(Value * scale, Scalar(b, x, p >= 1 ? 0.0 : 1.0 / (1.0 - p)));
  ASSIGN_OR_RETURN(Value * scaled, Op2(b, OpCode::kMul, x, scale));
  ASSIGN_OR_RETURN(Value * zero, Scalar(b, x, 0));
  return b.Build(OpCode::kSelect, {keep, scaled, zero});
}

absl::StatusOr<Value*> SelectIndex(Builder& b, Value* x, int64_t axis, int64_t index) {
  Shape s = ShapeOf(x);
  std::vector<int64_t> start(s.size(), 0), limit = s;
  start[axis] = index;
  limit[axis] = index + 1;
  ASSIGN_OR_RETURN(Value * sl, b.Slice(x, start, limit));
  s.erase(s.begin() + axis);
  return b.Reshape(sl, s);
}

namespace {

// x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh, the gate pre-activations of every PyTorch cell.
absl::StatusOr<Value*> Gates(Builder& b, Value* x, Value* h, Value* w_ih, Value* w_hh, Value* b_ih, Value* b_hh) {
  ASSIGN_OR_RETURN(Value * gx, Linear(b, x, w_ih, b_ih));
  ASSIGN_OR_RETURN(Value * gh, Linear(b, h, w_hh, b_hh));
  return Op2(b, OpCode::kAdd, gx, gh);
}

// Chunk k of n along the last axis.
absl::StatusOr<Value*> Chunk(Builder& b, Value* x, int k, int n) {
  const Shape& s = ShapeOf(x);
  int64_t width = s.back() / n;
  std::vector<int64_t> start(s.size(), 0), limit = s;
  start.back() = k * width;
  limit.back() = (k + 1) * width;
  return b.Slice(x, start, limit);
}

}  // namespace

absl::StatusOr<Value*> RnnCell(Builder& b, Value* x, Value* h, Value* w_ih, Value* w_hh, Value* b_ih, Value* b_hh,
                               bool relu) {
  ASSIGN_OR_RETURN(Value * g, Gates(b, x, h, w_ih, w_hh, b_ih, b_hh));
  return Op1(b, relu ? OpCode::kRelu : OpCode::kTanh, g);
}

absl::StatusOr<LstmState> LstmCell(Builder& b, Value* x, LstmState s, Value* w_ih, Value* w_hh, Value* b_ih,
                                   Value* b_hh) {
  ASSIGN_OR_RETURN(Value * g, Gates(b, x, s.h, w_ih, w_hh, b_ih, b_hh));
  Value* chunks[4];
  for (int k = 0; k < 4; ++k) {
    ASSIGN_OR_RETURN(chunks[k], Chunk(b, g, k, 4));
  }
  ASSIGN_OR_RETURN(Value * i, Op1(b, OpCode::kSigmoid, chunks[0]));
  ASSIGN_OR_RETURN(Value * f, Op1(b, OpCode::kSigmoid, chunks[1]));
  ASSIGN_OR_RETURN(Value * gg, Op1(b, OpCode::kTanh, chunks[2]));
  ASSIGN_OR_RETURN(Value * o, Op1(b, OpCode::kSigmoid, chunks[3]));
  ASSIGN_OR_RETURN(Value * fc, Op2(b, OpCode::kMul, f, s.c));
  ASSIGN_OR_RETURN(Value * ig, Op2(b, OpCode::kMul, i, gg));
  ASSIGN_OR_RETURN(Value * c, Op2(b, OpCode::kAdd, fc, ig));
  ASSIGN_OR_RETURN(Value * tc, Op1(b, OpCode::kTanh, c));
  ASSIGN_OR_RETURN(Value * h, Op2(b, OpCode::kMul, o, tc));
  return LstmState{h, c};
}

absl::StatusOr<Value*> GruCell(Builder& b, Value* x, Value* h, Value* w_ih, Value* w_hh, Value* b_ih, Value* b_hh) {
  // r and z see both projections summed; n applies r to the hidden projection only.
  ASSIGN_OR_RETURN(Value * gx, Linear(b, x, w_ih, b_ih));
  ASSIGN_OR_RETURN(Value * gh, Linear(b, h, w_hh, b_hh));
  Value *xr, *xz, *xn, *hr, *hz, *hn;
  ASSIGN_OR_RETURN(xr, Chunk(b, gx, 0, 3));
  ASSIGN_OR_RETURN(xz, Chunk(b, gx, 1, 3));
  ASSIGN_OR_RETURN(xn, Chunk(b, gx, 2, 3));
  ASSIGN_OR_RETURN(hr, Chunk(b, gh, 0, 3));
  ASSIGN_OR_RETURN(hz, Chunk(b, gh, 1, 3));
  ASSIGN_OR_RETURN(hn, Chunk(b, gh, 2, 3));
  ASSIGN_OR_RETURN(Value * rs, Op2(b, OpCode::kAdd, xr, hr));
  ASSIGN_OR_RETURN(Value * r, Op1(b, OpCode::kSigmoid, rs));
  ASSIGN_OR_RETURN(Value * zs, Op2(b, OpCode::kAdd, xz, hz));
  ASSIGN_OR_RETURN(Value * z, Op1(b, OpCode::kSigmoid, zs));
  ASSIGN_OR_RETURN(Value * rhn, Op2(b, OpCode::kMul, r, hn));
  ASSIGN_OR_RETURN(Value * ns, Op2(b, OpCode::kAdd, xn, rhn));
  ASSIGN_OR_RETURN(Value * n, Op1(b, OpCode::kTanh, ns));
  // h' = (1 - z) * n + z * h = n + z * (h - n)
  ASSIGN_OR_RETURN(Value * d, Op2(b, OpCode::kSub, h, n));
  ASSIGN_OR_RETURN(Value * zd, Op2(b, OpCode::kMul, z, d));
  return Op2(b, OpCode::kAdd, n, zd);
}

absl::StatusOr<Value*> CrossEntropy(Builder& b, Value* logits, Value* target, Value* weights, Reduction reduction) {
  int64_t axis = static_cast<int64_t>(ShapeOf(logits).size()) - 1;
  ASSIGN_OR_RETURN(Value * logp, LogSoftmax(b, logits, axis));
  ASSIGN_OR_RETURN(Value * onehot, b.Build(OpCode::kOneHot, {target},
                                           {{"depth", ShapeOf(logits).back()}, {"dtype", DTypeOfValue(logits)}}));
  ASSIGN_OR_RETURN(Value * picked, Op2(b, OpCode::kMul, onehot, logp));
  ASSIGN_OR_RETURN(Value * ll, b.Build(OpCode::kReduceSum, {picked}, {{"axes", std::vector<int64_t>{axis}}}));
  ASSIGN_OR_RETURN(Value * nll, Op1(b, OpCode::kNeg, ll));
  return Reduce(b, nll, weights, reduction);
}

absl::StatusOr<Value*> BceWithLogits(Builder& b, Value* x, Value* y, Value* weights, Reduction reduction) {
  // max(x, 0) - x*y + log(1 + exp(-|x|)): PyTorch's stable form.
  ASSIGN_OR_RETURN(Value * zero, Scalar(b, x, 0));
  ASSIGN_OR_RETURN(Value * one, Scalar(b, x, 1));
  ASSIGN_OR_RETURN(Value * relu, Op2(b, OpCode::kMax, x, zero));
  ASSIGN_OR_RETURN(Value * xy, Op2(b, OpCode::kMul, x, y));
  ASSIGN_OR_RETURN(Value * ax, Op1(b, OpCode::kAbs, x));
  ASSIGN_OR_RETURN(Value * nax, Op1(b, OpCode::kNeg, ax));
  ASSIGN_OR_RETURN(Value * e, Op1(b, OpCode::kExp, nax));
  ASSIGN_OR_RETURN(Value * ope, Op2(b, OpCode::kAdd, one, e));
  ASSIGN_OR_RETURN(Value * l, Op1(b, OpCode::kLog, ope));
  ASSIGN_OR_RETURN(Value * a, Op2(b, OpCode::kSub, relu, xy));
  ASSIGN_OR_RETURN(Value * per, Op2(b, OpCode::kAdd, a, l));
  return Reduce(b, per, weights, reduction);
}

absl::StatusOr<Value*> Mse(Builder& b, Value* x, Value* y, Value* weights, Reduction reduction) {
  ASSIGN_OR_RETURN(Value * d, Op2(b, OpCode::kSub, x, y));
  ASSIGN_OR_RETURN(Value * sq, Op2(b, OpCode::kMul, d, d));
  return Reduce(b, sq, weights, reduction);
}

}  // namespace loom::frontends
