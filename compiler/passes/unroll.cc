// unroll: expands scans, fully ("unroll") or by a factor k ("unroll=4").
//
// Full:
//   %c, %ys = scan length=2 carries(%c0) steps(%xs) { body }
//     ==>  %x0 = slice %xs[0] ; %c1, %y0 = body(%c0, %x0)
//          %x1 = slice %xs[1] ; %c,  %y1 = body(%c1, %x1)
//          %ys = concat(%y0, %y1)
// By k: a scan of length T/k whose body holds k copies of the old one, over steps
// reshaped to [T/k, k, ...]; the T mod k steps left over are unrolled after it.
// Scans with `lengths` are first made explicit (explicit_lengths.h): the freeze of
// finished sequences becomes selects on `t < lengths`, which unroll like any op.
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "compiler/passes/explicit_lengths.h"
#include "compiler/passes/passes.h"
#include "ir/builder.h"
#include "support/status_macros.h"

namespace loom::passes {
namespace {

using ir::Block;
using ir::Builder;
using ir::Op;
using ir::OpCode;
using ir::TensorType;
using ir::Value;

// Element t of x along axis 0, with that axis dropped.
absl::StatusOr<Value*> StepSlice(Builder& b, Value* x, int64_t t) {
  const Shape& shape = x->type().shape;
  std::vector<int64_t> start(shape.size(), 0), limit = shape;
  start[0] = t;
  limit[0] = t + 1;
  ASSIGN_OR_RETURN(Value * s, b.Slice(x, start, limit));
  return b.Reshape(s, Shape(shape.begin() + 1, shape.end()));
}

// Adds a leading axis of size 1.
absl::StatusOr<Value*> Unsqueeze(Builder& b, Value* x) {
  Shape shape = x->type().shape;
  shape.insert(shape.begin(), 1);
  return b.Reshape(x, shape);
}

// One step of the scan body inlined at the builder: returns the new carries and the
// step outputs.
struct StepResult {
  std::vector<Value*> carries, outputs;
};
StepResult InlineStep(Builder& b, const Block& body, int nc, std::vector<Value*> args) {
  std::unordered_map<const Value*, Value*> map;
  for (int i = 0; i < body.num_arguments(); ++i) map[body.argument(i)] = args[i];
  std::vector<Value*> yielded;
  for (const auto& op : body.ops()) {
    if (op->info().has(ir::kTerminator)) {
      for (Value* v : op->operands()) yielded.push_back(map.count(v) ? map.at(v) : v);
    } else {
      b.Insert(ir::CloneOp(*op, map));
    }
  }
  return {{yielded.begin(), yielded.begin() + nc}, {yielded.begin() + nc, yielded.end()}};
}

struct ScanParts {
  int nc;
  std::vector<Value*> carries, steps, invariants;
  int64_t length;
  bool reverse;
};

ScanParts Parts(const Op& scan) {
  ScanParts p;
  auto seg = [&](int k) {
    auto s = scan.Segment(k);
    return std::vector<Value*>(s.begin(), s.end());
  };
  p.carries = seg(0);
  p.steps = seg(1);
  p.invariants = seg(2);
  p.nc = static_cast<int>(p.carries.size());
  p.length = scan.IntAttr("length");
  p.reverse = scan.BoolAttr("reverse");
  return p;
}

// Unrolls steps `ts` (in processing order) from `carries`. Outputs land in outs[t].
absl::Status UnrollSteps(Builder& b, const Op& scan, const ScanParts& p, const std::vector<int64_t>& ts,
                         std::vector<Value*>& carries, std::vector<std::vector<Value*>>& outs) {
  for (int64_t t : ts) {
    std::vector<Value*> args = carries;
    for (Value* s : p.steps) {
      ASSIGN_OR_RETURN(Value * x, StepSlice(b, s, t));
      args.push_back(x);
    }
    args.insert(args.end(), p.invariants.begin(), p.invariants.end());
    StepResult r = InlineStep(b, *scan.region(), p.nc, args);
    carries = r.carries;
    outs[t] = r.outputs;
  }
  return absl::OkStatus();
}

// Stacks per-step outputs outs[t][j] for t in [begin, end) into one value per output.
absl::StatusOr<std::vector<Value*>> Stack(Builder& b, const std::vector<std::vector<Value*>>& outs, int64_t begin,
                                          int64_t end, int num_outputs) {
  std::vector<Value*> stacked;
  for (int j = 0; j < num_outputs; ++j) {
    std::vector<Value*> rows;
    for (int64_t t = begin; t < end; ++t) {
      ASSIGN_OR_RETURN(Value * row, Unsqueeze(b, outs[t][j]));
      rows.push_back(row);
    }
    ASSIGN_OR_RETURN(Value * s, b.Concat(rows, 0));
    stacked.push_back(s);
  }
  return stacked;
}

std::vector<int64_t> Range(int64_t begin, int64_t end, bool reverse) {
  std::vector<int64_t> ts;
  for (int64_t i = begin; i < end; ++i) ts.push_back(i);
  if (reverse) std::reverse(ts.begin(), ts.end());
  return ts;
}

// Replaces `scan` by its T steps, one after another.
absl::Status UnrollFully(Op& scan) {
  ScanParts p = Parts(scan);
  Builder b(scan.parent(), &scan);
  b.set_loc(scan.loc());
  int num_outputs = scan.num_results() - p.nc;
  std::vector<std::vector<Value*>> outs(p.length);
  std::vector<Value*> carries = p.carries;
  RETURN_IF_ERROR(UnrollSteps(b, scan, p, Range(0, p.length, p.reverse), carries, outs));
  std::vector<Value*> results = carries;
  if (p.length == 0) {
    for (int j = 0; j < num_outputs; ++j) {
      const TensorType& t = scan.result(p.nc + j)->type();
      ASSIGN_OR_RETURN(Value * empty, b.Constant(Tensor(t.dtype, t.shape)));
      results.push_back(empty);
    }
  } else {
    ASSIGN_OR_RETURN(std::vector<Value*> stacked, Stack(b, outs, 0, p.length, num_outputs));
    results.insert(results.end(), stacked.begin(), stacked.end());
  }
  for (int i = 0; i < scan.num_results(); ++i) scan.result(i)->ReplaceAllUsesWith(results[i]);
  scan.parent()->Erase(&scan);
  return absl::OkStatus();
}

// Replaces `scan` by a scan over chunks of k steps plus the leftover steps unrolled.
absl::Status UnrollByFactor(Op& scan, int64_t k) {
  ScanParts p = Parts(scan);
  int64_t q = p.length / k, r = p.length % k;
  // The chunked loop covers [lo, lo + q*k); forward leaves the tail, reverse the head.
  int64_t lo = p.reverse ? r : 0, hi = lo + q * k;
  Builder b(scan.parent(), &scan);
  b.set_loc(scan.loc());
  int num_outputs = scan.num_results() - p.nc;

  // Operands of the chunked scan: steps reshaped to [q, k, ...].
  std::vector<Value*> chunk_steps;
  for (Value* s : p.steps) {
    Shape shape = s->type().shape;
    std::vector<int64_t> start(shape.size(), 0), limit = shape;
    start[0] = lo;
    limit[0] = hi;
    ASSIGN_OR_RETURN(Value * part, b.Slice(s, start, limit));
    Shape chunked = shape;
    chunked[0] = k;
    chunked.insert(chunked.begin(), q);
    ASSIGN_OR_RETURN(Value * c, b.Reshape(part, chunked));
    chunk_steps.push_back(c);
  }
  const std::vector<Value*>& invariants = p.invariants;

  // The chunk body: k inlined copies of the old body.
  auto body = std::make_unique<Block>();
  std::vector<Value*> carries;
  for (Value* c : p.carries) carries.push_back(body->AddArgument(c->type(), c->name_hint()));
  std::vector<Value*> chunk_args;
  for (Value* s : chunk_steps) {
    const Shape& shape = s->type().shape;
    chunk_args.push_back(body->AddArgument({s->type().dtype, Shape(shape.begin() + 1, shape.end())}));
  }
  std::vector<Value*> inv_args;
  for (Value* v : invariants) inv_args.push_back(body->AddArgument(v->type(), v->name_hint()));

  Builder ib(body.get());
  ib.set_loc(scan.loc());
  std::vector<std::vector<Value*>> outs(k);
  for (int64_t i : Range(0, k, p.reverse)) {
    std::vector<Value*> args = carries;
    for (Value* chunk : chunk_args) {
      ASSIGN_OR_RETURN(Value * x, StepSlice(ib, chunk, i));
      args.push_back(x);
    }
    args.insert(args.end(), inv_args.begin(), inv_args.end());
    StepResult step = InlineStep(ib, *scan.region(), p.nc, args);
    carries = step.carries;
    outs[i] = step.outputs;
  }
  std::vector<Value*> yielded = carries;
  ASSIGN_OR_RETURN(std::vector<Value*> stacked, Stack(ib, outs, 0, k, num_outputs));
  yielded.insert(yielded.end(), stacked.begin(), stacked.end());
  RETURN_IF_ERROR(ib.Yield(yielded).status());

  std::vector<Value*> operands = p.carries;
  operands.insert(operands.end(), chunk_steps.begin(), chunk_steps.end());
  operands.insert(operands.end(), invariants.begin(), invariants.end());
  ir::AttrMap attrs = {{"length", q}};
  if (p.reverse) attrs["reverse"] = true;
  ASSIGN_OR_RETURN(Op * chunked,
                   b.Create(OpCode::kScan, operands, attrs, std::move(body),
                            {p.nc, static_cast<int>(chunk_steps.size()), static_cast<int>(invariants.size()), 0}));

  // Leftover steps, then the outputs stitched back in time order.
  std::vector<Value*> final_carries;
  for (int c = 0; c < p.nc; ++c) final_carries.push_back(chunked->result(c));
  std::vector<std::vector<Value*>> rest(p.length);
  std::vector<int64_t> leftover = p.reverse ? Range(0, lo, true) : Range(hi, p.length, false);
  RETURN_IF_ERROR(UnrollSteps(b, scan, p, leftover, final_carries, rest));
  std::vector<Value*> results = final_carries;
  for (int j = 0; j < num_outputs; ++j) {
    Shape shape = scan.result(p.nc + j)->type().shape;
    shape[0] = q * k;
    ASSIGN_OR_RETURN(Value * main, b.Reshape(chunked->result(p.nc + j), shape));
    std::vector<Value*> pieces;
    int64_t rest_lo = p.reverse ? 0 : hi, rest_hi = p.reverse ? lo : p.length;
    if (rest_hi > rest_lo) {
      ASSIGN_OR_RETURN(std::vector<Value*> tail, Stack(b, rest, rest_lo, rest_hi, num_outputs));
      pieces = p.reverse ? std::vector<Value*>{tail[j], main} : std::vector<Value*>{main, tail[j]};
    } else {
      pieces = {main};
    }
    ASSIGN_OR_RETURN(Value * all, b.Concat(pieces, 0));
    results.push_back(all);
  }
  for (int i = 0; i < scan.num_results(); ++i) scan.result(i)->ReplaceAllUsesWith(results[i]);
  scan.parent()->Erase(&scan);
  return absl::OkStatus();
}

class Unroll : public Pass {
 public:
  explicit Unroll(int64_t factor) : factor_(factor) {}
  absl::string_view name() const override { return "unroll"; }

  absl::StatusOr<bool> Run(ir::Module& module) override {
    if (factor_ == 1) return false;  // chunks of one step are the scan as it is
    for (const auto& f : module.functions()) RETURN_IF_ERROR(MakeAllLengthsExplicit(f->body()).status());
    // Innermost first: AllBlocks lists outer blocks before inner ones.
    std::vector<Op*> scans;
    for (Block* block : ir::AllBlocks(module)) {
      for (auto& op : block->ops()) {
        if (op->code() == OpCode::kScan) scans.push_back(op.get());
      }
    }
    for (auto it = scans.rbegin(); it != scans.rend(); ++it) {
      Op& scan = **it;
      int64_t length = scan.IntAttr("length");
      if (factor_ == 0 || factor_ >= length) {
        RETURN_IF_ERROR(UnrollFully(scan));
      } else {
        RETURN_IF_ERROR(UnrollByFactor(scan, factor_));
      }
    }
    return !scans.empty();
  }

 private:
  int64_t factor_;  // 0: fully
};

}  // namespace

absl::StatusOr<std::unique_ptr<Pass>> CreateUnrollPass(absl::string_view options) {
  int64_t factor = 0;
  if (!options.empty() && options != "full" && (!absl::SimpleAtoi(options, &factor) || factor < 1)) {
    return absl::InvalidArgumentError(absl::StrCat("unroll takes 'full' or a factor >= 1, got '", options, "'"));
  }
  return std::make_unique<Unroll>(factor);
}

}  // namespace loom::passes
