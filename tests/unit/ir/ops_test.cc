// Interpreter values for every op, against hand-computed expectations, including rank-0,
// size-1 and size-0 shapes. The last test checks that every op of the table has a case.
#include <cmath>
#include <set>

#include "gtest/gtest.h"
#include "ir/parser.h"
#include "tests/unit/testing/ir_test_util.h"

namespace loom::testing {
namespace {

struct Case {
  std::string name;
  std::string module;
  std::vector<Tensor> inputs;
  std::vector<Tensor> expected;
  double tol = 0;  // relative, for transcendental results
};

// One-op modules: %r = OP %x [, %y] {ATTRS} : RESULT.
std::string Unary(const std::string& op, const std::string& in, const std::string& out, const std::string& attrs = "") {
  return MainModule(
      "%x: " + in, out,
      "    %r = " + op + " %x" + (attrs.empty() ? "" : " {" + attrs + "}") + " : " + out + "\n    return %r");
}
std::string Binary(const std::string& op, const std::string& in, const std::string& out, const std::string& attrs = "",
                   const std::string& in2 = "") {
  return MainModule(
      "%x: " + in + ", %y: " + (in2.empty() ? in : in2), out,
      "    %r = " + op + " %x, %y" + (attrs.empty() ? "" : " {" + attrs + "}") + " : " + out + "\n    return %r");
}

const float kE = std::exp(1.0f);

std::vector<Case> Cases() {
  Tensor a = F({3}, {1, 2, 3}), b = F({3}, {4, -1, 0.5});
  return {
      {"neg", Unary("neg", "f32[3]", "f32[3]"), {F({3}, {1, -2, 0})}, {F({3}, {-1, 2, -0.0f})}},
      {"neg_i64_rank0", Unary("neg", "i64[]", "i64[]"), {L({}, {5})}, {L({}, {-5})}},
      {"abs", Unary("abs", "f32[3]", "f32[3]"), {F({3}, {-1.5, 2, 0})}, {F({3}, {1.5, 2, 0})}},
      {"relu", Unary("relu", "f32[3]", "f32[3]"), {F({3}, {-1, 0.5, 0})}, {F({3}, {0, 0.5, 0})}},
      {"exp", Unary("exp", "f32[2]", "f32[2]"), {F({2}, {0, 1})}, {F({2}, {1, kE})}, 1e-7},
      {"log", Unary("log", "f32[2]", "f32[2]"), {F({2}, {1, kE * kE})}, {F({2}, {0, 2})}, 1e-6},
      {"tanh", Unary("tanh", "f64[2]", "f64[2]"), {D({2}, {0, 0.5})}, {D({2}, {0, 0.46211715726000974})}, 1e-15},
      {"sigmoid", Unary("sigmoid", "f32[2]", "f32[2]"), {F({2}, {0, 2})}, {F({2}, {0.5, 0.880797078f})}, 1e-6},
      {"sqrt", Unary("sqrt", "f32[2]", "f32[2]"), {F({2}, {4, 2.25})}, {F({2}, {2, 1.5})}},
      {"rsqrt", Unary("rsqrt", "f32[2]", "f32[2]"), {F({2}, {4, 0.25})}, {F({2}, {0.5, 2})}},
      {"cast_saturates",
       Unary("cast", "f32[4]", "i32[4]", "dtype = i32"),
       {F({4}, {1.7f, -1.7f, 3e10f, NAN})},
       {I({4}, {1, -1, 2147483647, 0})}},
      {"cast_to_i1",
       Unary("cast", "f32[3]", "i1[3]", "dtype = i1"),
       {F({3}, {0, -2, 0.5})},
       {B({3}, {false, true, true})}},
      {"stop_gradient", Unary("stop_gradient", "f32[2]", "f32[2]"), {F({2}, {3, 4})}, {F({2}, {3, 4})}},
      {"add", Binary("add", "f32[3]", "f32[3]"), {a, b}, {F({3}, {5, 1, 3.5})}},
      {"sub", Binary("sub", "f32[3]", "f32[3]"), {a, b}, {F({3}, {-3, 3, 2.5})}},
      {"mul", Binary("mul", "f32[3]", "f32[3]"), {a, b}, {F({3}, {4, -2, 1.5})}},
      {"div", Binary("div", "f32[3]", "f32[3]"), {a, b}, {F({3}, {0.25, -2, 6})}},
      {"div_int_truncates", Binary("div", "i32[2]", "i32[2]"), {I({2}, {7, -7}), I({2}, {2, 2})}, {I({2}, {3, -3})}},
      {"max", Binary("max", "f32[3]", "f32[3]"), {a, b}, {F({3}, {4, 2, 3})}},
      {"min", Binary("min", "f32[3]", "f32[3]"), {a, b}, {F({3}, {1, -1, 0.5})}},
      {"pow", Binary("pow", "f32[3]", "f32[3]"), {a, b}, {F({3}, {1, 0.5, 1.7320508f})}, 1e-7},
      {"add_size0", Binary("add", "f32[0,3]", "f32[0,3]"), {F({0, 3}, {}), F({0, 3}, {})}, {F({0, 3}, {})}},
      {"compare_lt",
       Binary("compare", "f32[3]", "i1[3]", "direction = \"lt\""),
       {a, F({3}, {2, 2, 2})},
       {B({3}, {true, false, false})}},
      {"compare_ge",
       Binary("compare", "f32[3]", "i1[3]", "direction = \"ge\""),
       {a, F({3}, {2, 2, 2})},
       {B({3}, {false, true, true})}},
      {"select",
       MainModule("%c: i1[2], %x: f32[2], %y: f32[2]", "f32[2]", "    %r = select %c, %x, %y : f32[2]\n    return %r"),
       {B({2}, {true, false}), F({2}, {1, 2}), F({2}, {3, 4})},
       {F({2}, {1, 4})}},
      {"matmul",
       Binary("matmul", "f32[2,2]", "f32[2,2]"),
       {F({2, 2}, {1, 2, 3, 4}), F({2, 2}, {5, 6, 7, 8})},
       {F({2, 2}, {19, 22, 43, 50})}},
      {"matmul_ta",
       Binary("matmul", "f32[2,2]", "f32[2,2]", "transpose_a = true"),
       {F({2, 2}, {1, 2, 3, 4}), F({2, 2}, {5, 6, 7, 8})},
       {F({2, 2}, {26, 30, 38, 44})}},
      {"matmul_tb",
       Binary("matmul", "f32[2,2]", "f32[2,2]", "transpose_b = true"),
       {F({2, 2}, {1, 2, 3, 4}), F({2, 2}, {5, 6, 7, 8})},
       {F({2, 2}, {17, 23, 39, 53})}},
      {"matmul_rect",
       Binary("matmul", "f32[1,3]", "f32[1,2]", "", "f32[3,2]"),
       {F({1, 3}, {1, 2, 3}), F({3, 2}, {1, 0, 0, 1, 1, 1})},
       {F({1, 2}, {4, 5})}},
      {"matmul_batched",
       Binary("matmul", "f32[2,1,2]", "f32[2,1,1]", "", "f32[2,2,1]"),
       {F({2, 1, 2}, {1, 2, 3, 4}), F({2, 2, 1}, {5, 6, 1, 1})},
       {F({2, 1, 1}, {17, 7})}},
      {"matmul_k0",
       Binary("matmul", "f32[2,0]", "f32[2,3]", "", "f32[0,3]"),
       {F({2, 0}, {}), F({0, 3}, {})},
       {F({2, 3}, {0, 0, 0, 0, 0, 0})}},
      {"reduce_sum_axis1",
       Unary("reduce_sum", "f32[2,3]", "f32[2]", "axes = [1]"),
       {F({2, 3}, {1, 2, 3, 4, 5, 6})},
       {F({2}, {6, 15})}},
      {"reduce_sum_axis0",
       Unary("reduce_sum", "f32[2,3]", "f32[3]", "axes = [0]"),
       {F({2, 3}, {1, 2, 3, 4, 5, 6})},
       {F({3}, {5, 7, 9})}},
      {"reduce_sum_all",
       Unary("reduce_sum", "f32[2,3]", "f32[]", "axes = [0, 1]"),
       {F({2, 3}, {1, 2, 3, 4, 5, 6})},
       {F({}, {21})}},
      {"reduce_max",
       Unary("reduce_max", "f32[2,3]", "f32[2]", "axes = [1]"),
       {F({2, 3}, {1, 9, 3, 4, 5, -6})},
       {F({2}, {9, 5})}},
      {"reduce_max_empty",
       Unary("reduce_max", "f32[2,0]", "f32[2]", "axes = [1]"),
       {F({2, 0}, {})},
       {F({2}, {-INFINITY, -INFINITY})}},
      {"reshape",
       Unary("reshape", "f32[2,3]", "f32[3,2]", "shape = [3, 2]"),
       {F({2, 3}, {1, 2, 3, 4, 5, 6})},
       {F({3, 2}, {1, 2, 3, 4, 5, 6})}},
      {"transpose",
       Unary("transpose", "f32[2,3]", "f32[3,2]", "perm = [1, 0]"),
       {F({2, 3}, {1, 2, 3, 4, 5, 6})},
       {F({3, 2}, {1, 4, 2, 5, 3, 6})}},
      {"transpose_3d",
       Unary("transpose", "f32[1,2,3]", "f32[3,1,2]", "perm = [2, 0, 1]"),
       {F({1, 2, 3}, {1, 2, 3, 4, 5, 6})},
       {F({3, 1, 2}, {1, 4, 2, 5, 3, 6})}},
      {"broadcast_rows",
       Unary("broadcast_in_dim", "f32[2]", "f32[2,2]", "dims = [1], shape = [2, 2]"),
       {F({2}, {1, 2})},
       {F({2, 2}, {1, 2, 1, 2})}},
      {"broadcast_cols",
       Unary("broadcast_in_dim", "f32[2]", "f32[2,2]", "dims = [0], shape = [2, 2]"),
       {F({2}, {1, 2})},
       {F({2, 2}, {1, 1, 2, 2})}},
      {"broadcast_size1",
       Unary("broadcast_in_dim", "f32[1]", "f32[3]", "dims = [0], shape = [3]"),
       {F({1}, {7})},
       {F({3}, {7, 7, 7})}},
      {"broadcast_scalar",
       Unary("broadcast_in_dim", "f32[]", "f32[2,1]", "dims = [], shape = [2, 1]"),
       {F({}, {5})},
       {F({2, 1}, {5, 5})}},
      {"concat",
       Binary("concat", "f32[2,1]", "f32[2,3]", "axis = 1", "f32[2,2]"),
       {F({2, 1}, {1, 2}), F({2, 2}, {3, 4, 5, 6})},
       {F({2, 3}, {1, 3, 4, 2, 5, 6})}},
      {"concat_size0",
       Binary("concat", "f32[0]", "f32[2]", "axis = 0", "f32[2]"),
       {F({0}, {}), F({2}, {1, 2})},
       {F({2}, {1, 2})}},
      {"slice_strided",
       Unary("slice", "f32[6]", "f32[2]", "limit = [5], start = [1], strides = [2]"),
       {F({6}, {0, 1, 2, 3, 4, 5})},
       {F({2}, {1, 3})}},
      {"slice_2d",
       Unary("slice", "f32[2,3]", "f32[1,2]", "limit = [2, 3], start = [1, 1]"),
       {F({2, 3}, {1, 2, 3, 4, 5, 6})},
       {F({1, 2}, {5, 6})}},
      {"pad",
       Unary("pad", "f32[2]", "f32[6]", "high = [1], interior = [2], low = [1]"),
       {F({2}, {1, 2})},
       {F({6}, {0, 1, 0, 0, 2, 0})}},
      {"pad_2d",
       Unary("pad", "f32[1,2]", "f32[2,3]", "high = [1, 0], low = [0, 1]"),
       {F({1, 2}, {1, 2})},
       {F({2, 3}, {0, 1, 2, 0, 0, 0})}},
      {"pad_empty",
       Unary("pad", "f32[0]", "f32[2]", "high = [1], interior = [3], low = [1]"),
       {F({0}, {})},
       {F({2}, {0, 0})}},
      {"gather",
       Binary("gather", "f32[3,2]", "f32[2,2]", "", "i32[2]"),
       {F({3, 2}, {1, 2, 3, 4, 5, 6}), I({2}, {2, 0})},
       {F({2, 2}, {5, 6, 1, 2})}},
      {"scatter_add",
       MainModule("%b: f32[3,2], %i: i64[3], %u: f32[3,2]", "f32[3,2]",
                  "    %r = scatter_add %b, %i, %u : f32[3,2]\n    return %r"),
       {F({3, 2}, {0, 0, 0, 0, 1, 1}), L({3}, {2, 0, 2}), F({3, 2}, {1, 1, 2, 2, 3, 3})},
       {F({3, 2}, {2, 2, 0, 0, 5, 5})}},
      {"one_hot",
       Unary("one_hot", "i32[3]", "f32[3,3]", "depth = 3, dtype = f32"),
       {I({3}, {1, 0, 3})},
       {F({3, 3}, {0, 1, 0, 1, 0, 0, 0, 0, 0})}},
      {"iota",
       MainModule("", "i32[2,3]", "    %r = iota {dim = 1, dtype = i32, shape = [2, 3]} : i32[2,3]\n    return %r"),
       {},
       {I({2, 3}, {0, 1, 2, 0, 1, 2})}},
      {"constant",
       MainModule("", "f32[2]", "    %r = constant {value = dense<f32[2]: 1.5, -2.0>} : f32[2]\n    return %r"),
       {},
       {F({2}, {1.5, -2})}},
      // One process: the identity (several ranks: tests/unit/api/data_parallel_test.cc).
      {"all_reduce_one_rank",
       MainModule("%x: f32[3], %y: f32[3]", "f32[3], f32[3]",
                  "    %r, %s = all_reduce %x, %y : f32[3], f32[3]\n    return %r, %s"),
       {a, b},
       {a, b}},
      {"fusion",
       MainModule("%x: f32[2], %y: f32[2]", "f32[2]",
                  "    %r = fusion %x, %y {\n    ^bb(%a: f32[2], %b: f32[2]):\n      %m = mul %a, %b : f32[2]\n"
                  "      %s = add %m, %a : f32[2]\n      yield %s\n    } : f32[2]\n    return %r"),
       {F({2}, {1, 2}), F({2}, {3, 4})},
       {F({2}, {4, 10})}},
  };
}

class OpsTest : public ::testing::TestWithParam<Case> {};

TEST_P(OpsTest, MatchesHandComputed) {
  const Case& c = GetParam();
  auto got = RunMain(c.module, c.inputs);
  ASSERT_TRUE(got.ok()) << got.status() << "\n" << c.module;
  ASSERT_EQ(got->size(), c.expected.size());
  for (size_t i = 0; i < c.expected.size(); ++i) {
    const Tensor &g = (*got)[i], &e = c.expected[i];
    ASSERT_EQ(g.dtype(), e.dtype());
    ASSERT_EQ(g.shape(), e.shape());
    for (int64_t k = 0; k < e.num_elements(); ++k) {
      double gv = g.GetDouble(k), ev = e.GetDouble(k);
      if (c.tol == 0) {
        EXPECT_EQ(gv, ev) << "element " << k;
        EXPECT_EQ(std::signbit(gv), std::signbit(ev)) << "element " << k;
      } else {
        EXPECT_NEAR(gv, ev, c.tol * std::max(1.0, std::abs(ev))) << "element " << k;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllOps, OpsTest, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param.name; });

// Ops that need more than one op or state to test sit in their own files; this list
// names where.
const std::set<std::string> kTestedElsewhere = {"scan",           "yield",     "return",  // scan_test.cc; every module
                                                "random_uniform", "bernoulli",            // random_test.cc
                                                "load",           "store"};               // globals_test.cc

TEST(OpsTest, EveryOpHasAValueTest) {
  std::set<std::string> covered = kTestedElsewhere;
  for (const Case& c : Cases()) {
    auto m = ir::ParseModule(c.module);
    ASSERT_TRUE(m.ok()) << m.status();
    ir::Walk(**m, [&](ir::Op& op) { covered.insert(std::string(op.name())); });
  }
  for (int i = 0; i < ir::kNumOpCodes; ++i) {
    std::string name(ir::OpName(static_cast<ir::OpCode>(i)));
    EXPECT_TRUE(covered.count(name)) << "no interpreter value test for '" << name << "'";
  }
}

TEST(OpsTest, IntegerDivisionByZeroIsAnError) {
  auto got = RunMain(Binary("div", "i32[1]", "i32[1]"), {I({1}, {1}), I({1}, {0})});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().message(), "test.loom:3:10: error: 'div' integer division by zero");
}

TEST(OpsTest, GatherOutOfRangeIsAnError) {
  auto got =
      RunMain(Binary("gather", "f32[3,2]", "f32[1,2]", "", "i32[1]"), {F({3, 2}, {1, 2, 3, 4, 5, 6}), I({1}, {3})});
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("'gather' index 3 is out of range for a table of 3 rows"), std::string::npos)
      << got.status();
}

}  // namespace
}  // namespace loom::testing
