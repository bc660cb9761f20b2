// Composite layers as builder functions over core ops: what PyTorch's functional API
// computes, spelled in Loom IR. Shapes are checked by the builder; a mismatch comes back
// as a Status naming the op and both types.
#ifndef LOOM_FRONTENDS_COMPOSITES_H_
#define LOOM_FRONTENDS_COMPOSITES_H_

#include <optional>

#include "absl/status/statusor.h"
#include "ir/builder.h"

namespace loom::frontends {

using ir::Builder;
using ir::Value;

// y = x · Wᵀ + b over the last axis of x (any rank >= 1); W is [out, in]; b may be null.
absl::StatusOr<Value*> Linear(Builder& b, Value* x, Value* weight, Value* bias);
// x + bias broadcast over the leading axes (bias is [x's last dim]).
absl::StatusOr<Value*> AddBias(Builder& b, Value* x, Value* bias);
// Softmax / log-softmax along `axis`, shifted by the maximum for stability.
absl::StatusOr<Value*> Softmax(Builder& b, Value* x, int64_t axis);
absl::StatusOr<Value*> LogSoftmax(Builder& b, Value* x, int64_t axis);
// Inverted dropout: keeps each element with probability 1-p and scales it by 1/(1-p).
// With `rows` (x's batch axis, and where its rows start in a data-parallel run's whole
// batch), each row's mask is the one it has in the whole batch (ir/random_draws.h).
struct BatchRows {
  int64_t axis = 0, offset = 0;
};
absl::StatusOr<Value*> Dropout(Builder& b, Value* x, double p, int64_t seed, Value* counter,
                               std::optional<BatchRows> rows);
// x with one index of `axis` picked and the axis dropped.
absl::StatusOr<Value*> SelectIndex(Builder& b, Value* x, int64_t axis, int64_t index);
// Reduces x along `axis` and broadcasts the result back to x's shape.
absl::StatusOr<Value*> ReduceKeep(Builder& b, ir::OpCode reduce, Value* x, int64_t axis);

// One step of PyTorch's cells; biases may be null (bias=False).
absl::StatusOr<Value*> RnnCell(Builder& b, Value* x, Value* h, Value* w_ih, Value* w_hh, Value* b_ih, Value* b_hh,
                               bool relu);
struct LstmState {
  Value* h;
  Value* c;
};
absl::StatusOr<LstmState> LstmCell(Builder& b, Value* x, LstmState s, Value* w_ih, Value* w_hh, Value* b_ih,
                                   Value* b_hh);
absl::StatusOr<Value*> GruCell(Builder& b, Value* x, Value* h, Value* w_ih, Value* w_hh, Value* b_ih, Value* b_hh);

// Losses, reduced to a scalar. `weights` (same shape as the per-element loss, or null)
// masks padded positions; "mean" divides by their sum (or the count). On one rank of a
// data-parallel run (`ranks` > 1) the loss is this rank's share of the whole batch's:
// the mean divides by the whole batch's count (the weights summed over the ranks by
// all_reduce), so that the ranks' losses and gradients add up to the whole batch's.
struct Reduction {
  bool mean = true;
  int64_t ranks = 1;
};
absl::StatusOr<Value*> CrossEntropy(Builder& b, Value* logits, Value* target, Value* weights, Reduction reduction);
absl::StatusOr<Value*> BceWithLogits(Builder& b, Value* logits, Value* target, Value* weights, Reduction reduction);
absl::StatusOr<Value*> Mse(Builder& b, Value* x, Value* target, Value* weights, Reduction reduction);

}  // namespace loom::frontends

#endif  // LOOM_FRONTENDS_COMPOSITES_H_
