// .npy encode/decode, against bytes NumPy writes, and bad files refused with a reason.
#include "runtime/npy.h"

#include <cstdio>

#include "gtest/gtest.h"
#include "support/files.h"

namespace loom {
namespace {

// numpy.save of np.array([[1, 2, 3], [4, 5, 6]], dtype='<f4'), header as NumPy 1.24 pads it.
std::string NumpyBytes() {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  header.append(128 - 10 - header.size() - 1, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size());
  out += '\0';
  out += header;
  float v[] = {1, 2, 3, 4, 5, 6};
  out.append(reinterpret_cast<const char*>(v), sizeof v);
  return out;
}

TEST(NpyTest, ReadsNumpyOutput) {
  auto t = ParseNpy(NumpyBytes(), "x.npy");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->dtype(), DType::kF32);
  EXPECT_EQ(t->shape(), (Shape{2, 3}));
  EXPECT_EQ(t->values<float>()[5], 6.0f);
}

TEST(NpyTest, RoundTripsEveryDTypeAndRank) {
  for (DType d : kAllDTypes) {
    for (Shape s : {Shape{}, Shape{3}, Shape{2, 0}, Shape{2, 1, 2}}) {
      Tensor t(d, s);
      for (int64_t i = 0; i < t.num_elements(); ++i) t.SetDouble(i, (i % 2) ? 1 : 0);
      std::string bytes = EncodeNpy(t);
      EXPECT_EQ((bytes.size() - t.byte_size()) % 64, 0u);  // data 64-byte aligned
      auto back = ParseNpy(bytes, "t.npy");
      ASSERT_TRUE(back.ok()) << back.status();
      EXPECT_TRUE(back->BitwiseEqual(t)) << DTypeName(d) << ShapeToString(s);
    }
  }
}

TEST(NpyTest, RefusesBadFiles) {
  std::string good = NumpyBytes();
  EXPECT_EQ(ParseNpy("hello", "a.npy").status().message(),
            "a.npy: not a valid .npy file: missing the \\x93NUMPY magic");
  EXPECT_EQ(ParseNpy(good.substr(0, good.size() - 4), "a.npy").status().message(),
            "a.npy: not a valid .npy file: truncated data: 24 bytes expected, 20 present");
  std::string fortran = good;
  fortran.replace(fortran.find("False"), 5, "True ");
  EXPECT_EQ(ParseNpy(fortran, "a.npy").status().message(),
            "a.npy: not a valid .npy file: Fortran-ordered arrays are not supported");
  std::string f16 = good;
  f16.replace(f16.find("<f4"), 3, "<f2");
  EXPECT_EQ(ParseNpy(f16, "a.npy").status().message(),
            "a.npy: not a valid .npy file: unsupported dtype '<f2' (Loom reads <f4 <f8 <i4 <i8 |b1)");
}

TEST(NpyTest, HeaderEndingInAKeyIsAnErrorNotACrash) {
  // Found by fuzzing: the key is the header's last text.
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape':";
  std::string bytes("\x93NUMPY\x01\x00", 8);
  bytes += static_cast<char>(header.size());
  bytes += '\0';
  bytes += header;
  EXPECT_EQ(ParseNpy(bytes, "a.npy").status().message(), "a.npy: malformed .npy header");
}

TEST(NpyTest, WriteIsAtomicAndReportsUnwritablePaths) {
  std::string path = ::testing::TempDir() + "/npy_test.npy";
  Tensor t = Tensor::FromVector<int64_t>({2}, {7, 8});
  ASSERT_TRUE(WriteNpy(path, t).ok());
  auto back = ReadNpy(path);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->BitwiseEqual(t));
  EXPECT_FALSE(ReadFile(path + ".tmp").ok());  // the temporary is gone
  absl::Status s = WriteNpy("/nonexistent-dir/x.npy", t);
  EXPECT_EQ(s.message(), "/nonexistent-dir/x.npy: cannot write: No such file or directory");
  std::remove(path.c_str());
}

}  // namespace
}  // namespace loom
