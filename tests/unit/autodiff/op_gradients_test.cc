// Every differentiable op's VJP against central finite differences in f64, on random
// shapes: loss = sum(op(params...) * c) for a random constant c. The last tests check
// that every op of the table has a rule or is marked non-differentiable, and that every
// rule is checked here.
#include <random>
#include <set>

#include "compiler/autodiff/vjp.h"
#include "gtest/gtest.h"
#include "ir/builder.h"
#include "ir/op_info.h"
#include "ir/printer.h"
#include "support/status_macros.h"
#include "tests/unit/testing/gradient_check.h"

namespace loom::testing {
namespace {

using ir::Builder;
using ir::OpCode;
using ir::Value;

// Builds a module: params are declared on demand, the case builds its op, and the loss
// is sum(result * constant).
class CaseBuilder {
 public:
  explicit CaseBuilder(uint64_t seed) : rng_(seed), module_("grad"), f_(module_.AddFunction("loss")), b_(&f_->body()) {}

  int64_t Dim(int lo = 1, int hi = 4) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  absl::StatusOr<Value*> Param(Shape shape, double lo = -1, double hi = 1) {
    std::string name = "p" + std::to_string(params_++);
    module_.AddGlobal({name, true, {DType::kF64, shape}, {ir::Initializer::Kind::kUniform, lo, hi}, {}});
    return b_.Build(OpCode::kLoad, {}, {{"global", ir::SymbolRef{name}}});
  }
  absl::StatusOr<Value*> Ints(Shape shape, int64_t bound) {
    Tensor t(DType::kI64, shape);
    for (int64_t i = 0; i < t.num_elements(); ++i)
      t.values<int64_t>()[i] = std::uniform_int_distribution<int64_t>(0, bound - 1)(rng_);
    return b_.Constant(t);
  }
  Builder& b() { return b_; }

  absl::StatusOr<ir::Module*> Finish(Value* result) {
    Tensor c(DType::kF64, result->type().shape);
    std::uniform_real_distribution<double> u(-1, 1);
    for (int64_t i = 0; i < c.num_elements(); ++i) c.values<double>()[i] = u(rng_);
    ASSIGN_OR_RETURN(Value * cv, b_.Constant(c));
    Value* r = result;
    if (r->type().dtype != DType::kF64) {
      ASSIGN_OR_RETURN(r, b_.Cast(r, DType::kF64));
    }
    ASSIGN_OR_RETURN(Value * m, b_.Build(OpCode::kMul, {r, cv}));
    std::vector<int64_t> axes(m->type().rank());
    for (size_t i = 0; i < axes.size(); ++i) axes[i] = i;
    ASSIGN_OR_RETURN(Value * loss, b_.Build(OpCode::kReduceSum, {m}, {{"axes", axes}}));
    f_->set_result_types({loss->type()});
    RETURN_IF_ERROR(b_.Return({loss}).status());
    return &module_;
  }

 private:
  std::mt19937_64 rng_;
  ir::Module module_;
  ir::Function* f_;
  Builder b_;
  int params_ = 0;
};

using Build = std::function<absl::StatusOr<Value*>(CaseBuilder&)>;
struct Case {
  std::string name;
  OpCode code;
  Build build;
  double eps = 1e-6;  // finite-difference step
  double tol = 1e-7;  // on |ad - fd| / (|ad| + |fd| + 1)
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

Build Unary(OpCode code, double lo = -1, double hi = 1) {
  return [=](CaseBuilder& c) -> absl::StatusOr<Value*> {
    ASSIGN_OR_RETURN(Value * x, c.Param({c.Dim(), c.Dim()}, lo, hi));
    return c.b().Build(code, {x});
  };
}
Build Binary(OpCode code, double lo = -1, double hi = 1) {
  return [=](CaseBuilder& c) -> absl::StatusOr<Value*> {
    Shape s = {c.Dim(), c.Dim(), c.Dim(1, 2)};
    ASSIGN_OR_RETURN(Value * x, c.Param(s, lo, hi));
    ASSIGN_OR_RETURN(Value * y, c.Param(s, lo, hi));
    return c.b().Build(code, {x, y});
  };
}

std::vector<Case> Cases() {
  std::vector<Case> cases = {
      {"neg", OpCode::kNeg, Unary(OpCode::kNeg)},
      {"abs", OpCode::kAbs, Unary(OpCode::kAbs)},
      {"relu", OpCode::kRelu, Unary(OpCode::kRelu)},
      {"exp", OpCode::kExp, Unary(OpCode::kExp)},
      {"log", OpCode::kLog, Unary(OpCode::kLog, 0.5, 2)},
      {"tanh", OpCode::kTanh, Unary(OpCode::kTanh)},
      {"sigmoid", OpCode::kSigmoid, Unary(OpCode::kSigmoid)},
      {"sqrt", OpCode::kSqrt, Unary(OpCode::kSqrt, 0.5, 2)},
      {"rsqrt", OpCode::kRsqrt, Unary(OpCode::kRsqrt, 0.5, 2)},
      {"add", OpCode::kAdd, Binary(OpCode::kAdd)},
      {"sub", OpCode::kSub, Binary(OpCode::kSub)},
      {"mul", OpCode::kMul, Binary(OpCode::kMul)},
      {"div", OpCode::kDiv, Binary(OpCode::kDiv, 0.5, 2)},
      {"max", OpCode::kMax, Binary(OpCode::kMax)},
      {"min", OpCode::kMin, Binary(OpCode::kMin)},
      {"pow", OpCode::kPow, Binary(OpCode::kPow, 0.5, 2)},
      {"cast_roundtrip", OpCode::kCast,
       [](CaseBuilder& c) -> absl::StatusOr<Value*> {
         // f64 -> f32 -> f64: a large step, so f32 rounding (~6e-8) stays small beside it.
         ASSIGN_OR_RETURN(Value * x, c.Param({c.Dim()}));
         ASSIGN_OR_RETURN(Value * y, c.b().Cast(x, DType::kF32));
         return c.b().Cast(y, DType::kF64);
       },
       1e-2, 1e-5},
      {"select", OpCode::kSelect,
       [](CaseBuilder& c) -> absl::StatusOr<Value*> {
         Shape s = {c.Dim(), c.Dim()};
         ASSIGN_OR_RETURN(Value * x, c.Param(s));
         ASSIGN_OR_RETURN(Value * y, c.Param(s));
         ASSIGN_OR_RETURN(Value * z, c.b().Splat(DType::kF64, s, 0.1));
         ASSIGN_OR_RETURN(Value * cond, c.b().Compare(x, z, "gt"));
         return c.b().Build(OpCode::kSelect, {cond, x, y});
       }},
      {"reduce_sum", OpCode::kReduceSum,
       [](CaseBuilder& c) -> absl::StatusOr<Value*> {
         ASSIGN_OR_RETURN(Value * x, c.Param({c.Dim(), c.Dim(), c.Dim()}));
         return c.b().Build(OpCode::kReduceSum, {x}, {{"axes", std::vector<int64_t>{0, 2}}});
       }},
      {"reduce_max", OpCode::kReduceMax,
       [](CaseBuilder& c) -> absl::StatusOr<Value*> {
         ASSIGN_OR_RETURN(Value * x, c.Param({c.Dim(), c.Dim(2, 4)}));
         return c.b().Build(OpCode::kReduceMax, {x}, {{"axes", std::vector<int64_t>{1}}});
       }},
      {"reshape", OpCode::kReshape,
       [](CaseBuilder& c) -> absl::StatusOr<Value*> {
         int64_t a = c.Dim(), b = c.Dim();
         ASSIGN_OR_RETURN(Value * x, c.Param({a, b}));
         return c.b().Reshape(x, {b, 1, a});
       }},
      {"transpose", OpCode::kTranspose,
       [](CaseBuilder& c) -> absl::StatusOr<Value*> {
         ASSIGN_OR_RETURN(Value * x, c.Param({c.Dim(), c.Dim(), c.Dim()}));
         return c.b().Build(OpCode::kTranspose, {x}, {{"perm", std::vector<int64_t>{2, 0, 1}}});
       }},
      {"broadcast_in_dim", OpCode::kBroadcastInDim,
       [](CaseBuilder& c) -> absl::StatusOr<Value*> {
         int64_t a = c.Dim();
         ASSIGN_OR_RETURN(Value * x, c.Param({a, 1}));
         return c.b().BroadcastInDim(x, {c.Dim(), a, 3}, {1, 2});
       }},
      {"concat", OpCode::kConcat,
       [](CaseBuilder& c) -> absl::StatusOr<Value*> {
         int64_t a = c.Dim();
         ASSIGN_OR_RETURN(Value * x, c.Param({a, c.Dim()}));
         ASSIGN_OR_RETURN(Value * y, c.Param({a, c.Dim()}));
         return c.b().Concat({x, y, x}, 1);
       }},
      // One rank: the identity, and its rule the identity too (the two ranks' gradients
      // are tests/unit/api/data_parallel_test.cc's).
      {"all_reduce", OpCode::kAllReduce,
       [](CaseBuilder& c) -> absl::StatusOr<Value*> {
         Shape s = {c.Dim(), c.Dim()};
         ASSIGN_OR_RETURN(Value * x, c.Param(s));
         ASSIGN_OR_RETURN(Value * y, c.Param(s));
         ASSIGN_OR_RETURN(Value * xy, c.b().Build(OpCode::kMul, {x, y}));
         ASSIGN_OR_RETURN(ir::Op * sum, c.b().Create(OpCode::kAllReduce, {xy, y}));
         return c.b().Build(OpCode::kSub, {sum->result(0), sum->result(1)});
       }},
      {"slice", OpCode::kSlice,
       [](CaseBuilder& c) -> absl::StatusOr<Value*> {
         ASSIGN_OR_RETURN(Value * x, c.Param({c.Dim(3, 6), c.Dim(2, 4)}));
         return c.b().Build(OpCode::kSlice, {x},
                            {{"start", std::vector<int64_t>{1, 0}},
                             {"limit", std::vector<int64_t>{3, 2}},
                             {"strides", std::vector<int64_t>{2, 1}}});
       }},
      {"pad", OpCode::kPad,
       [](CaseBuilder& c) -> absl::StatusOr<Value*> {
         ASSIGN_OR_RETURN(Value * x, c.Param({c.Dim(), c.Dim()}));
         return c.b().Build(OpCode::kPad, {x},
                            {{"low", std::vector<int64_t>{1, 0}},
                             {"high", std::vector<int64_t>{0, 2}},
                             {"interior", std::vector<int64_t>{1, 0}}});
       }},
      {"gather", OpCode::kGather,
       [](CaseBuilder& c) -> absl::StatusOr<Value*> {
         int64_t rows = c.Dim(2, 5);
         ASSIGN_OR_RETURN(Value * table, c.Param({rows, c.Dim()}));
         ASSIGN_OR_RETURN(Value * ids, c.Ints({c.Dim(), c.Dim()}, rows));  // repeats likely
         return c.b().Build(OpCode::kGather, {table, ids});
       }},
      {"scatter_add", OpCode::kScatterAdd,
       [](CaseBuilder& c) -> absl::StatusOr<Value*> {
         int64_t rows = c.Dim(2, 5), width = c.Dim(), n = c.Dim();
         ASSIGN_OR_RETURN(Value * base, c.Param({rows, width}));
         ASSIGN_OR_RETURN(Value * ids, c.Ints({n}, rows));
         ASSIGN_OR_RETURN(Value * upd, c.Param({n, width}));
         return c.b().Build(OpCode::kScatterAdd, {base, ids, upd});
       }},
  };
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      cases.push_back({std::string("matmul") + (ta ? "_ta" : "") + (tb ? "_tb" : ""), OpCode::kMatmul,
                       [=](CaseBuilder& c) -> absl::StatusOr<Value*> {
                         int64_t m = c.Dim(), k = c.Dim(), n = c.Dim();
                         ASSIGN_OR_RETURN(Value * a, c.Param(ta ? Shape{k, m} : Shape{m, k}));
                         ASSIGN_OR_RETURN(Value * b, c.Param(tb ? Shape{n, k} : Shape{k, n}));
                         return c.b().Build(OpCode::kMatmul, {a, b}, {{"transpose_a", ta}, {"transpose_b", tb}});
                       }});
    }
  }
  cases.push_back({"matmul_batched", OpCode::kMatmul, [](CaseBuilder& c) -> absl::StatusOr<Value*> {
                     int64_t bt = c.Dim(1, 3), m = c.Dim(), k = c.Dim(), n = c.Dim();
                     ASSIGN_OR_RETURN(Value * a, c.Param({bt, m, k}));
                     ASSIGN_OR_RETURN(Value * b, c.Param({bt, n, k}));
                     return c.b().Build(OpCode::kMatmul, {a, b}, {{"transpose_b", true}});
                   }});
  return cases;
}

class OpGradientTest : public ::testing::TestWithParam<Case> {};

TEST_P(OpGradientTest, MatchesFiniteDifferences) {
  for (uint64_t seed = 0; seed < 5; ++seed) {
    CaseBuilder cb(seed * 31 + 7);
    auto result = GetParam().build(cb);
    ASSERT_TRUE(result.ok()) << result.status();
    auto module = cb.Finish(*result);
    ASSERT_TRUE(module.ok()) << module.status();
    auto check = CheckGradients(**module, {}, seed, 1 << 30, GetParam().eps);
    ASSERT_TRUE(check.ok()) << check.status() << "\n" << ir::Print(**module);
    EXPECT_GT(check->checked, 0);
    EXPECT_LT(check->worst, GetParam().tol) << check->worst_where << "\n" << ir::Print(**module);
  }
}

INSTANTIATE_TEST_SUITE_P(AllRules, OpGradientTest, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param.name; });

TEST(OpGradientTest, EveryOpHasARuleOrIsMarkedNonDifferentiable) {
  const std::set<OpCode> handled_by_backprop = {OpCode::kScan, OpCode::kFusion, OpCode::kLoad, OpCode::kStore};
  for (int i = 0; i < ir::kNumOpCodes; ++i) {
    auto code = static_cast<OpCode>(i);
    bool has_rule = autodiff::GetVjp(code) != nullptr && !autodiff::IsNonDifferentiable(code);
    bool marked = autodiff::IsNonDifferentiable(code) || handled_by_backprop.count(code);
    EXPECT_NE(has_rule, marked) << ir::OpName(code) << ": exactly one of a VJP rule or a non-differentiable mark";
  }
}

TEST(OpGradientTest, EveryRuleIsCheckedHere) {
  std::set<OpCode> checked;
  for (const Case& c : Cases()) checked.insert(c.code);
  for (int i = 0; i < ir::kNumOpCodes; ++i) {
    auto code = static_cast<OpCode>(i);
    if (autodiff::GetVjp(code) != nullptr && !autodiff::IsNonDifferentiable(code)) {
      EXPECT_TRUE(checked.count(code)) << ir::OpName(code);
    }
  }
}

}  // namespace
}  // namespace loom::testing
