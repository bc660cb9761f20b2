// Checkpoints round-trip every dtype, and bad files are refused with the reason.
#include "runtime/checkpoint.h"

#include "gtest/gtest.h"
#include "runtime/checkpoint.pb.h"
#include "runtime/npy.h"

#include <sys/stat.h>

namespace loom {
namespace {

Checkpoint Sample() {
  Checkpoint c;
  c.model = "M";
  c.tensors.emplace_back("w", Tensor::FromVector<float>({2, 2}, {1, 2, 3, 4}));
  c.tensors.emplace_back("step", Tensor::Scalar<int64_t>(7));
  c.tensors.emplace_back("mask", Tensor::FromVector<bool>({3}, {true, false, true}));
  c.metadata["vocab"] = "abc";
  return c;
}

TEST(CheckpointTest, RoundTrips) {
  std::string path = ::testing::TempDir() + "/ckpt_test.ckpt";
  ASSERT_TRUE(SaveCheckpoint(path, Sample()).ok());
  auto back = LoadCheckpoint(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->model, "M");
  ASSERT_EQ(back->tensors.size(), 3u);
  Checkpoint want = Sample();
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(back->tensors[i].first, want.tensors[i].first);
    EXPECT_TRUE(back->tensors[i].second.BitwiseEqual(want.tensors[i].second));
  }
  EXPECT_EQ(back->metadata.at("vocab"), "abc");
  EXPECT_NE(back->Find("step"), nullptr);
  EXPECT_EQ(back->Find("nope"), nullptr);
}

TEST(CheckpointTest, RefusesTruncatedAndForeignFiles) {
  std::string bytes = EncodeCheckpoint(Sample());
  auto truncated = DecodeCheckpoint(bytes.substr(0, bytes.size() - 5), "c.ckpt");
  EXPECT_EQ(truncated.status().message(), "c.ckpt: not a Loom checkpoint (or truncated)");
  runtime::proto::Checkpoint future;
  future.ParseFromString(bytes);
  future.set_format_version(9);
  auto newer = DecodeCheckpoint(future.SerializeAsString(), "c.ckpt");
  EXPECT_EQ(newer.status().message(), "c.ckpt: checkpoint format version 9, this Loom reads version 1");
  future.set_format_version(1);
  future.mutable_tensors(0)->set_data("abc");
  auto short_data = DecodeCheckpoint(future.SerializeAsString(), "c.ckpt");
  EXPECT_EQ(short_data.status().message(), "c.ckpt: tensor w has 3 bytes for f32[2,2]");
  // Found by fuzzing: a 4 TiB shape with 3 bytes is refused before it is allocated.
  future.mutable_tensors(0)->clear_shape();
  future.mutable_tensors(0)->add_shape(int64_t{1} << 20);
  future.mutable_tensors(0)->add_shape(int64_t{1} << 20);
  auto huge = DecodeCheckpoint(future.SerializeAsString(), "c.ckpt");
  EXPECT_EQ(huge.status().message(), "c.ckpt: tensor w has 3 bytes for f32[1048576,1048576]");
}

TEST(CheckpointTest, FailedWriteKeepsTheOldFile) {
  std::string path = ::testing::TempDir() + "/ckpt_keep.ckpt";
  ASSERT_TRUE(SaveCheckpoint(path, Sample()).ok());
  // A directory where the temporary file would go makes the write fail.
  std::string tmp = path + ".tmp";
  ASSERT_EQ(mkdir(tmp.c_str(), 0700), 0);
  EXPECT_FALSE(SaveCheckpoint(path, Checkpoint{}).ok());
  auto back = LoadCheckpoint(path);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->tensors.size(), 3u);
  rmdir(tmp.c_str());
}

}  // namespace
}  // namespace loom
