// The op table is complete: every op has a name that parses back, a well-formed
// attribute signature, a shape rule (its verifier) and an interpreter kernel. Later
// stages add their columns (VJP rule, LLVM emitter) here.
#include "gtest/gtest.h"
#include "ir/interpreter_kernels.h"
#include "ir/op_info.h"

namespace loom::ir {
namespace {

TEST(OpTableTest, EveryOpHasEveryColumn) {
  for (int i = 0; i < kNumOpCodes; ++i) {
    auto code = static_cast<OpCode>(i);
    const OpInfo& info = GetOpInfo(code);
    SCOPED_TRACE(std::string(info.name));
    EXPECT_EQ(info.code, code);
    EXPECT_EQ(ParseOpCode(info.name), code);
    EXPECT_NE(info.infer, nullptr) << "no shape rule";
    EXPECT_NE(GetKernel(code), nullptr) << "no interpreter kernel";
    for (const AttrSpec& a : info.attrs) EXPECT_FALSE(a.name.empty());
    if (info.has(kRegion)) {
      EXPECT_FALSE(info.has(kElementwise));
    }
  }
}

TEST(OpTableTest, AttributeSignaturesParse) {
  const OpInfo& matmul = GetOpInfo(OpCode::kMatmul);
  ASSERT_EQ(matmul.attrs.size(), 3u);  // transpose_a, transpose_b, with_next
  EXPECT_EQ(matmul.attrs[0].name, "transpose_a");
  EXPECT_EQ(matmul.attrs[0].kind, AttrKind::kBool);
  EXPECT_TRUE(matmul.attrs[0].optional);
  const OpInfo& scan = GetOpInfo(OpCode::kScan);
  ASSERT_EQ(scan.segments.size(), 4u);
  EXPECT_EQ(scan.segments[3].name, "lengths");
  EXPECT_TRUE(scan.segments[3].optional);
  EXPECT_FALSE(scan.segments[0].optional);
  EXPECT_EQ(GetOpInfo(OpCode::kConstant).attrs[0].kind, AttrKind::kTensor);
}

TEST(OpTableTest, UnknownNameDoesNotParse) { EXPECT_FALSE(ParseOpCode("matmull").has_value()); }

}  // namespace
}  // namespace loom::ir
