// The size and nesting limits hold at every entry point: shapes whose products overflow
// int64 (or reach past 2^40 elements) and regions nested past kMaxRegionDepth are refused
// with the true figure, before anything is allocated or recursed into.
#include <string>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "gtest/gtest.h"
#include "ir/builder.h"
#include "ir/ir.pb.h"
#include "ir/parser.h"
#include "ir/serialize.h"
#include "ir/verifier.h"
#include "loom/checkpoint.h"
#include "loom/tensor.h"
#include "runtime/checkpoint.pb.h"
#include "runtime/npy.h"
#include "support/memory.h"

namespace loom {
namespace {

constexpr int64_t k2to32 = int64_t{1} << 32;

TEST(SizeLimitsTest, ElementCountsSaturateInsteadOfWrapping) {
  EXPECT_EQ(NumElements({k2to32, k2to32}), INT64_MAX);          // 2^64 would wrap to 0
  EXPECT_EQ(NumElements({4611686018427387905, 4}), INT64_MAX);  // would wrap to 4
  EXPECT_EQ(NumElements({k2to32, k2to32, 0}), 0);
  EXPECT_EQ(NumElements({3, 5}), 15);
  EXPECT_EQ(ByteSize(DType::kF64, {int64_t{1} << 61}), UINT64_MAX);
  EXPECT_EQ(ByteSize(DType::kF32, {1024, 1024}), 4u << 20);
  EXPECT_EQ(AddBytes(UINT64_MAX - 1, 5), UINT64_MAX);
}

TEST(SizeLimitsTest, RefusalsStateTheTrueCount) {
  EXPECT_EQ(CheckElementCount(DType::kF32, {k2to32, k2to32}, "w").message(),
            "w f32[4294967296,4294967296] has 18446744073709551616 elements, more than 2^40");
  EXPECT_EQ(CheckElementCount(DType::kF32, {k2to32, k2to32, k2to32, k2to32, k2to32}, "w").message(),
            "w f32[4294967296,4294967296,4294967296,4294967296,4294967296] has 1.462e+48 elements, more than 2^40");
  EXPECT_TRUE(CheckElementCount(DType::kF32, {kMaxElements}, "w").ok());
  EXPECT_FALSE(CheckElementCount(DType::kF32, {kMaxElements + 1}, "w").ok());
  EXPECT_FALSE(CheckElementCount(DType::kF32, {-1, 2}, "w").ok());
}

TEST(SizeLimitsTest, TensorRefusesWhatCannotBeAllocated) {
  EXPECT_THROW(Tensor(DType::kF32, {k2to32, k2to32}), AllocationFailure);
  try {
    Tensor t(DType::kF32, {kMaxElements + 1});
    FAIL() << "allocated";
  } catch (const AllocationFailure& e) {
    EXPECT_EQ(e.bytes(), 4 * static_cast<uint64_t>(kMaxElements + 1));
    EXPECT_NE(std::string(e.what()).find("cannot allocate 4398046511108 bytes"), std::string::npos) << e.what();
  }
}

TEST(SizeLimitsTest, TextIrRefusesOverflowingTypes) {
  auto m = ir::ParseModule(
      "module @m { func @f(%x: f32[4294967296,4294967296]) -> (f32[]) {\n"
      "  %c = constant {value = 0.0} : f32[]\n  return %c } }");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("has 18446744073709551616 elements, more than 2^40"), std::string::npos)
      << m.status();
}

TEST(SizeLimitsTest, BuilderRefusesAReshapeThatWraps) {
  ir::Module module("m");
  ir::Function* f = module.AddFunction("f");
  ir::Value* x = f->body().AddArgument({DType::kF32, {4}}, "x");
  ir::Builder b(&f->body());
  auto r = b.Reshape(x, {4611686018427387905, 4});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("18446744073709551620 elements"), std::string::npos) << r.status();
}

TEST(SizeLimitsTest, VerifierRefusesAHugeGlobal) {
  ir::Module module("m");
  module.AddGlobal({"w", true, {DType::kF32, {k2to32, k2to32}}, {}, {}});
  absl::Status s = ir::Verify(module);
  EXPECT_NE(s.message().find("@w f32[4294967296,4294967296] has 18446744073709551616 elements"), std::string::npos)
      << s;
}

TEST(SizeLimitsTest, NpyHeaderWithAnOverflowingShapeIsRefusedBeforeAllocating) {
  std::string bytes = NpyHeader(DType::kF32, {3, 5});
  std::string huge = bytes;
  huge.replace(huge.find("(3, 5)"), 6, "(4294967296, 4294967296)");
  auto t = ParseNpy(huge, "h.npy");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("has 18446744073709551616 elements"), std::string::npos) << t.status();
}

TEST(SizeLimitsTest, CheckpointTensorWithAnOverflowingShapeIsRefused) {
  runtime::proto::Checkpoint pc;
  pc.set_format_version(1);  // no checksum to compute: the shape is what is checked
  runtime::proto::Tensor* t = pc.add_tensors();
  t->set_name("w");
  t->add_shape(k2to32);
  t->add_shape(k2to32);  // 0 elements if the product wrapped, matching the empty data
  auto c = DecodeCheckpoint(pc.SerializeAsString(), "c.ckpt");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("c.ckpt: tensor w f32[4294967296,4294967296] has 18446744073709551616"),
            std::string::npos)
      << c.status();
}

TEST(SizeLimitsTest, BinaryIrConstantWithAnOverflowingTypeIsRefusedBeforeAllocating) {
  ir::proto::Module pm;
  ir::proto::Op* op = pm.add_functions()->mutable_body()->add_ops();
  op->set_name("constant");
  ir::proto::Attribute* a = op->add_attributes();
  a->set_name("value");
  a->mutable_tensor_value()->mutable_type()->add_shape(k2to32);
  a->mutable_tensor_value()->mutable_type()->add_shape(k2to32);
  auto m = ir::DeserializeModule(pm.SerializeAsString());
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("bytes for f32[4294967296,4294967296]"), std::string::npos) << m.status();
}

// `depth` scans, each in the one before.
std::string NestedScans(int depth) {
  std::string text = "module @m { func @f(%c0: f32[]) -> (f32[]) {\n";
  for (int i = 0; i < depth; ++i) {
    text += "%r" + std::to_string(i) + " = scan carries(%c" + std::to_string(i) +
            ") steps() invariants() {length = 1} { ^bb(%c" + std::to_string(i + 1) + ": f32[]):\n";
  }
  text += "yield %c" + std::to_string(depth) + "\n";
  for (int i = depth - 1; i >= 0; --i) {
    text += "} : f32[]\n" + (i > 0 ? "yield %r" + std::to_string(i) + "\n" : "return %r0 } }\n");
  }
  return text;
}

TEST(NestingLimitsTest, WhatIsWrittenAtTheLimitIsReadBack) {
  auto m = ir::ParseModule(NestedScans(ir::kMaxRegionDepth));
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_TRUE(ir::Verify(**m).ok());
  auto back = ir::DeserializeModule(ir::SerializeModule(**m));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(ir::Verify(**back).ok());
}

TEST(NestingLimitsTest, DeeperIsRefusedByEveryReaderAndTheVerifier) {
  auto text = ir::ParseModule(NestedScans(ir::kMaxRegionDepth + 1));
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.status().message().find("regions nested more than 64 deep"), std::string::npos) << text.status();
  // Far deeper text fails the same way, without running out of stack.
  EXPECT_FALSE(ir::ParseModule(NestedScans(20000)).ok());

  // One more level around a module at the limit, built as the binary form.
  auto m = ir::ParseModule(NestedScans(ir::kMaxRegionDepth));
  ASSERT_TRUE(m.ok());
  ir::proto::Module pm;
  std::string bytes = ir::SerializeModule(**m);
  google::protobuf::io::ArrayInputStream array(bytes.data(), static_cast<int>(bytes.size()));
  google::protobuf::io::CodedInputStream input(&array);
  input.SetRecursionLimit(1000);
  ASSERT_TRUE(pm.ParseFromCodedStream(&input));
  ir::proto::Block body = pm.functions(0).body();
  ir::proto::Block* outer = pm.mutable_functions(0)->mutable_body();
  outer->Clear();
  ir::proto::Op* scan = outer->add_ops();
  scan->set_name("scan");
  *scan->mutable_region() = body;
  auto deeper = ir::DeserializeModule(pm.SerializeAsString());
  ASSERT_FALSE(deeper.ok());
  EXPECT_EQ(deeper.status().message(), "binary IR: regions nested more than 64 deep");
}

}  // namespace
}  // namespace loom
