// Checkpoints round-trip every dtype, and bad files are refused with the reason.
#include "loom/checkpoint.h"

#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>
#include <filesystem>

#include "gtest/gtest.h"
#include "runtime/checkpoint.pb.h"
#include "runtime/npy.h"

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
  EXPECT_EQ(newer.status().message(), "c.ckpt: checkpoint format version 9, this Loom reads version 2");
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

TEST(CheckpointTest, FailedWriteKeepsTheOldFileAndLeavesNoTemporary) {
  std::string dir = ::testing::TempDir() + "/ckpt_keep";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string path = dir + "/keep.ckpt";
  ASSERT_TRUE(SaveCheckpoint(path, Sample()).ok());
  // A file-size limit makes the write fail midway (EFBIG), as a full disk would.
  std::signal(SIGXFSZ, SIG_IGN);
  rlimit old;
  getrlimit(RLIMIT_FSIZE, &old);
  rlimit tiny = old;
  tiny.rlim_cur = 16;
  setrlimit(RLIMIT_FSIZE, &tiny);
  absl::Status failed = SaveCheckpoint(path, Sample());
  setrlimit(RLIMIT_FSIZE, &old);
  EXPECT_FALSE(failed.ok());
  auto back = LoadCheckpoint(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->tensors.size(), 3u);
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) files += entry.is_regular_file();
  EXPECT_EQ(files, 1) << "a temporary file was left behind";
}

// Each byte of a checkpoint, changed, is found: by the parser, the version, or the checksum.
TEST(CheckpointTest, AFlippedByteAnywhereIsFound) {
  std::string bytes = EncodeCheckpoint(Sample());
  ASSERT_TRUE(DecodeCheckpoint(bytes, "c.ckpt").ok());
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string damaged = bytes;
    damaged[i] ^= 0x01;
    EXPECT_FALSE(DecodeCheckpoint(damaged, "c.ckpt").ok()) << "byte " << i << " of " << bytes.size();
  }
  runtime::proto::Checkpoint pc;
  ASSERT_TRUE(pc.ParseFromString(bytes));
  pc.mutable_tensors(0)->mutable_data()->at(5) ^= 0x40;
  EXPECT_EQ(DecodeCheckpoint(pc.SerializeAsString(), "c.ckpt").status().message(),
            "c.ckpt: the checkpoint is damaged (its checksum does not match)");
}

TEST(CheckpointTest, VersionOneFilesWithoutAChecksumAreStillRead) {
  runtime::proto::Checkpoint pc;
  ASSERT_TRUE(pc.ParseFromString(EncodeCheckpoint(Sample())));
  pc.set_format_version(1);
  pc.clear_checksum();
  auto back = DecodeCheckpoint(pc.SerializeAsString(), "old.ckpt");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->tensors.size(), 3u);
}

TEST(CheckpointTest, NonUtf8NamesAreRefusedBeforeWriting) {
  std::string path = ::testing::TempDir() + "/ckpt_utf8.ckpt";
  Checkpoint c = Sample();
  c.tensors[0].first = "w\xe9";
  EXPECT_EQ(SaveCheckpoint(path, c).message(), path + ": cannot save: a tensor name is not valid UTF-8");
}

}  // namespace
}  // namespace loom
