#include "tests/unit/testing/golden.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "gtest/gtest.h"
#include "runtime/npy.h"

namespace loom::testing {

std::string GoldenDir() { return LOOM_SOURCE_DIR "/tests/golden"; }

std::vector<std::string> GoldenCases(bool training) {
  std::vector<std::string> cases;
  for (const auto& e : std::filesystem::directory_iterator(GoldenDir())) {
    std::string name = e.path().filename();
    if ((name.rfind("train_", 0) == 0) == training) cases.push_back(name);
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

void ExpectCloseToNpy(const Tensor& got, const std::string& npy, double rel, const std::string& what) {
  auto want = ReadNpy(npy);
  ASSERT_TRUE(want.ok()) << want.status();
  ASSERT_EQ(got.shape(), want->shape()) << what;
  for (int64_t i = 0; i < want->num_elements(); ++i) {
    double g = got.GetDouble(i), w = want->GetDouble(i);
    ASSERT_LE(std::abs(g - w), rel * std::abs(w) + 1e-6) << what << "[" << i << "]: " << g << " vs " << w;
  }
}

}  // namespace loom::testing
