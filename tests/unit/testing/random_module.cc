#include "tests/unit/testing/random_module.h"

#include <cmath>
#include <random>

#include "absl/strings/str_cat.h"
#include "ir/builder.h"
#include "ir/verifier.h"
#include "support/philox.h"
#include "support/status_macros.h"

namespace loom::testing {
namespace {

using ir::Block;
using ir::Builder;
using ir::OpCode;
using ir::TensorType;
using ir::Value;

class Generator {
 public:
  Generator(uint64_t seed, RandomModuleOptions options) : rng_(seed), options_(options) {}

  absl::StatusOr<std::unique_ptr<ir::Module>> Run() {
    auto module = std::make_unique<ir::Module>("random");
    ir::Global w{"w", true, {DType::kF32, RandomShape(1, 2)}, {ir::Initializer::Kind::kUniform, -1, 1}, {}};
    module->AddGlobal(w);
    ir::Function* f = module->AddFunction("main");
    std::vector<Value*> pool;
    int num_inputs = Uniform(1, 3);
    for (int i = 0; i < num_inputs; ++i) {
      pool.push_back(f->body().AddArgument({DType::kF32, RandomShape(0, 3)}, absl::StrCat("in", i)));
    }
    Builder b(&f->body());
    ASSIGN_OR_RETURN(Value * wv, b.Build(OpCode::kLoad, {}, {{"global", ir::SymbolRef{"w"}}}));
    pool.push_back(wv);
    for (int i = 0; i < options_.num_ops; ++i) RETURN_IF_ERROR(Step(b, pool, options_.allow_regions));
    // A state global written from the pool, so stores meet every pass.
    Value* stored = Pick(pool);
    module->AddGlobal({"s", false, stored->type(), {ir::Initializer::Kind::kZeros, 0, 0}, {}});
    RETURN_IF_ERROR(b.Create(OpCode::kStore, {stored}, {{"global", ir::SymbolRef{"s"}}}).status());
    ASSIGN_OR_RETURN(Value * reloaded, b.Build(OpCode::kLoad, {}, {{"global", ir::SymbolRef{"s"}}}));
    pool.push_back(reloaded);
    std::vector<Value*> results;
    int num_results = Uniform(1, 3);
    for (int i = 0; i < num_results; ++i)
      results.push_back(pool[pool.size() - 1 - Uniform(0, std::min<int>(4, pool.size() - 1))]);
    std::vector<TensorType> types;
    for (Value* v : results) types.push_back(v->type());
    f->set_result_types(types);
    RETURN_IF_ERROR(b.Return(results).status());
    RETURN_IF_ERROR(ir::Verify(*module));
    return module;
  }

 private:
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Coin() { return Uniform(0, 1) == 1; }
  Value* Pick(const std::vector<Value*>& pool) { return pool[Uniform(0, pool.size() - 1)]; }

  Shape RandomShape(int min_rank, int max_rank) {
    Shape s(Uniform(min_rank, max_rank));
    for (int64_t& d : s) d = Uniform(0, 9) == 0 ? 0 : Uniform(1, 3);  // size-0 now and then
    return s;
  }

  Tensor RandomTensor(DType dtype, const Shape& shape, int int_bound = 3) {
    Tensor t(dtype, shape);
    std::uniform_real_distribution<double> real(-2, 2);
    for (int64_t i = 0; i < t.num_elements(); ++i) {
      t.SetDouble(i, IsFloat(dtype) ? real(rng_) : Uniform(0, int_bound - 1));
    }
    return t;
  }

  // A value of exactly `type`: one from the pool when there is one, else a constant.
  absl::StatusOr<Value*> OfType(Builder& b, std::vector<Value*>& pool, const TensorType& type) {
    std::vector<Value*> matches;
    for (Value* v : pool) {
      if (v->type() == type) matches.push_back(v);
    }
    if (!matches.empty() && Uniform(0, 3) > 0) return Pick(matches);
    return b.Constant(RandomTensor(type.dtype, type.shape));
  }

  // Attempts one random op; adds its results to the pool.
  absl::Status Step(Builder& b, std::vector<Value*>& pool, bool regions) {
    Value* x = Pick(pool);
    const TensorType& t = x->type();
    int rank = static_cast<int>(t.rank());
    auto add = [&](absl::StatusOr<Value*> v) -> absl::Status {
      RETURN_IF_ERROR(v.status());
      pool.push_back(*v);
      return absl::OkStatus();
    };
    static constexpr OpCode kUnary[] = {OpCode::kNeg,   OpCode::kAbs,         OpCode::kRelu,    OpCode::kExp,
                                        OpCode::kLog,   OpCode::kTanh,        OpCode::kSigmoid, OpCode::kSqrt,
                                        OpCode::kRsqrt, OpCode::kStopGradient};
    static constexpr OpCode kBinary[] = {OpCode::kAdd, OpCode::kSub, OpCode::kMul, OpCode::kDiv,
                                         OpCode::kMax, OpCode::kMin, OpCode::kPow};
    static const char* kDirs[] = {"eq", "ne", "lt", "le", "gt", "ge"};
    switch (Uniform(0, regions ? 21 : 19)) {
      case 0:
      case 1: return add(b.Build(kUnary[Uniform(0, 9)], {x}));
      case 2:
      case 3: {
        ASSIGN_OR_RETURN(Value * y, OfType(b, pool, t));
        return add(b.Build(kBinary[Uniform(0, 6)], {x, y}));
      }
      case 4: {
        ASSIGN_OR_RETURN(Value * y, OfType(b, pool, t));
        ASSIGN_OR_RETURN(Value * c, b.Compare(x, y, kDirs[Uniform(0, 5)]));
        return add(b.Build(OpCode::kSelect, {c, x, y}));
      }
      case 5: {
        DType via = Coin() ? DType::kI32 : DType::kF64;
        ASSIGN_OR_RETURN(Value * c, b.Cast(x, via));
        return add(b.Cast(c, DType::kF32));
      }
      case 6: {
        if (rank != 2) return absl::OkStatus();
        bool ta = Coin(), tb = Coin();
        int64_t k = t.shape[ta ? 0 : 1];
        Shape bs = tb ? Shape{Uniform(1, 3), k} : Shape{k, Uniform(1, 3)};
        ASSIGN_OR_RETURN(Value * y, OfType(b, pool, {DType::kF32, bs}));
        return add(b.Build(OpCode::kMatmul, {x, y}, {{"transpose_a", ta}, {"transpose_b", tb}}));
      }
      case 7: {
        std::vector<int64_t> axes;
        for (int d = 0; d < rank; ++d) {
          if (Coin()) axes.push_back(d);
        }
        return add(b.Build(Coin() ? OpCode::kReduceSum : OpCode::kReduceMax, {x}, {{"axes", axes}}));
      }
      case 8: {
        Shape s = Coin() ? Shape{t.num_elements()} : Shape{1, t.num_elements(), 1};
        return add(b.Reshape(x, s));
      }
      case 9: {
        std::vector<int64_t> perm(rank);
        for (int d = 0; d < rank; ++d) perm[d] = d;
        std::shuffle(perm.begin(), perm.end(), rng_);
        return add(b.Build(OpCode::kTranspose, {x}, {{"perm", perm}}));
      }
      case 10: {
        int at = Uniform(0, rank);
        Shape s = t.shape;
        s.insert(s.begin() + at, Uniform(1, 2));
        std::vector<int64_t> dims;
        for (int d = 0; d <= rank; ++d) {
          if (d != at) dims.push_back(d);
        }
        return add(b.BroadcastInDim(x, s, dims));
      }
      case 11: {
        if (rank == 0) return absl::OkStatus();
        ASSIGN_OR_RETURN(Value * y, OfType(b, pool, t));
        return add(b.Concat({x, y}, Uniform(0, rank - 1)));
      }
      case 12: {
        std::vector<int64_t> start(rank), limit(rank), strides(rank);
        for (int d = 0; d < rank; ++d) {
          start[d] = Uniform(0, t.shape[d]);
          limit[d] = Uniform(start[d], t.shape[d]);
          strides[d] = Uniform(1, 2);
        }
        ASSIGN_OR_RETURN(Value * sl,
                         b.Build(OpCode::kSlice, {x}, {{"start", start}, {"limit", limit}, {"strides", strides}}));
        pool.push_back(sl);
        std::vector<int64_t> low(rank), high(rank), interior(rank);
        for (int d = 0; d < rank; ++d) {
          low[d] = Uniform(0, 1);
          high[d] = Uniform(0, 2);
          interior[d] = Uniform(0, 1);
        }
        return add(b.Build(OpCode::kPad, {sl}, {{"low", low}, {"high", high}, {"interior", interior}}));
      }
      case 13: {
        if (rank == 0 || t.shape[0] == 0) return absl::OkStatus();
        ASSIGN_OR_RETURN(Value * ids,
                         b.Constant(RandomTensor(Coin() ? DType::kI32 : DType::kI64, RandomShape(0, 2), t.shape[0])));
        ASSIGN_OR_RETURN(Value * rows, b.Build(OpCode::kGather, {x, ids}));
        pool.push_back(rows);
        return add(b.Build(OpCode::kScatterAdd, {x, ids, rows}));
      }
      case 14: {
        ASSIGN_OR_RETURN(Value * ids, b.Constant(RandomTensor(DType::kI32, RandomShape(0, 2), 4)));
        return add(b.Build(OpCode::kOneHot, {ids}, {{"depth", int64_t{3}}, {"dtype", DType::kF32}}));
      }
      case 15: {
        Shape s = RandomShape(1, 3);
        return add(b.Build(OpCode::kIota, {},
                           {{"shape", s}, {"dim", int64_t(Uniform(0, s.size() - 1))}, {"dtype", DType::kF32}}));
      }
      case 16: {
        ASSIGN_OR_RETURN(Value * ctr, b.Constant(Tensor::Scalar<int64_t>(Uniform(0, 5))));
        int64_t seed = Uniform(0, 99);
        ASSIGN_OR_RETURN(
            Value * u,
            b.Build(OpCode::kRandomUniform, {ctr},
                    {{"seed", seed}, {"shape", t.shape}, {"dtype", DType::kF32}, {"low", -1.0}, {"high", 1.0}}));
        ir::AttrMap keep_attrs = {{"seed", int64_t{7}}, {"shape", t.shape}, {"p", 0.5}};
        if (!t.shape.empty()) {
          // A data-parallel rank's draws (ir/random_draws.h), from the seed already drawn.
          keep_attrs["batch_axis"] = seed % static_cast<int64_t>(t.shape.size());
          keep_attrs["batch_offset"] = seed % 5;
        }
        ASSIGN_OR_RETURN(Value * keep, b.Build(OpCode::kBernoulli, {ctr}, keep_attrs));
        pool.push_back(u);
        return add(b.Build(OpCode::kSelect, {keep, x, u}));
      }
      case 17: return add(b.Constant(RandomTensor(DType::kF32, RandomShape(0, 2))));
      case 18:
      case 19: {
        // The same op twice, so cse has something to merge.
        ASSIGN_OR_RETURN(Value * u1, b.Build(OpCode::kTanh, {x}));
        ASSIGN_OR_RETURN(Value * u2, b.Build(OpCode::kTanh, {x}));
        return add(b.Build(OpCode::kAdd, {u1, u2}));
      }
      case 20: return Scan(b, pool);
      case 21: return Fusion(b, pool);
    }
    return absl::OkStatus();
  }

  // carries (the carry, batch first), steps (dim 0 = T), an invariant; with lengths now
  // and then; reverse now and then; a random body.
  absl::Status Scan(Builder& b, std::vector<Value*>& pool) {
    int64_t T = Uniform(0, 4), B = Uniform(1, 3), D = Uniform(1, 3);
    TensorType carry_t{DType::kF32, {B, D}};
    ASSIGN_OR_RETURN(Value * carry, OfType(b, pool, carry_t));
    ASSIGN_OR_RETURN(Value * steps, OfType(b, pool, {DType::kF32, {T, B, D}}));
    Value* inv = Pick(pool);
    auto body = std::make_unique<Block>();
    std::vector<Value*> inner = {body->AddArgument(carry_t, "c"), body->AddArgument({DType::kF32, {B, D}}, "x"),
                                 body->AddArgument(inv->type(), "inv")};
    Builder ib(body.get());
    for (int i = 0; i < options_.body_ops; ++i) RETURN_IF_ERROR(Step(ib, inner, false));
    ASSIGN_OR_RETURN(Value * next, OfType(ib, inner, carry_t));
    ASSIGN_OR_RETURN(Value * mixed, ib.Build(OpCode::kAdd, {inner[1], next}));
    ASSIGN_OR_RETURN(Value * squashed, ib.Build(OpCode::kTanh, {mixed}));
    ASSIGN_OR_RETURN(Value * out, OfType(ib, inner, carry_t));
    RETURN_IF_ERROR(ib.Yield({squashed, out}).status());
    std::vector<Value*> operands = {carry, steps, inv};
    int nl = 0;
    if (Coin()) {
      ASSIGN_OR_RETURN(Value * lengths, b.Constant(RandomTensor(DType::kI32, {B}, T + 1)));
      operands.push_back(lengths);
      nl = 1;
    }
    ir::AttrMap attrs = {{"length", T}};
    if (Coin()) attrs["reverse"] = true;
    ASSIGN_OR_RETURN(ir::Op * scan, b.Create(OpCode::kScan, operands, attrs, std::move(body), {1, 1, 1, nl}));
    pool.push_back(scan->result(0));
    pool.push_back(scan->result(1));
    return absl::OkStatus();
  }

  absl::Status Fusion(Builder& b, std::vector<Value*>& pool) {
    Value* x = Pick(pool);
    ASSIGN_OR_RETURN(Value * y, OfType(b, pool, x->type()));
    auto body = std::make_unique<Block>();
    Value* a = body->AddArgument(x->type());
    Value* c = body->AddArgument(y->type());
    Builder ib(body.get());
    ASSIGN_OR_RETURN(Value * s, ib.Build(OpCode::kMul, {a, c}));
    ASSIGN_OR_RETURN(Value * t, ib.Build(OpCode::kSigmoid, {s}));
    ASSIGN_OR_RETURN(Value * u, ib.Build(OpCode::kSub, {t, a}));
    RETURN_IF_ERROR(ib.Yield({u, t}).status());
    ASSIGN_OR_RETURN(ir::Op * fusion, b.Create(OpCode::kFusion, {x, y}, {}, std::move(body)));
    pool.push_back(fusion->result(0));
    pool.push_back(fusion->result(1));
    return absl::OkStatus();
  }

  std::mt19937_64 rng_;
  RandomModuleOptions options_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ir::Module>> RandomModule(uint64_t seed, RandomModuleOptions options) {
  return Generator(seed, options).Run();
}

std::vector<Tensor> RandomInputs(const ir::Function& f, uint64_t seed) {
  std::vector<Tensor> inputs;
  uint64_t which = 0;
  for (const TensorType& t : f.input_types()) {
    Tensor x(t.dtype, t.shape);
    for (int64_t i = 0; i < x.num_elements(); ++i) {
      double u = UniformDouble(RandomBits(seed, which, i));
      x.SetDouble(i, IsFloat(t.dtype) ? 4 * u - 2 : std::floor(3 * u));
    }
    inputs.push_back(std::move(x));
    ++which;
  }
  return inputs;
}

bool SameValues(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  for (int64_t i = 0; i < a.num_elements(); ++i) {
    double x = a.GetDouble(i), y = b.GetDouble(i);
    if (!(x == y || (std::isnan(x) && std::isnan(y)))) return false;
  }
  return true;
}

}  // namespace loom::testing
