// Serving one compiled model from many threads (loom::Session): eight threads, each
// with its own session (one of them running its calls on two threads of the pool),
// beside calls on the model itself, give exactly the results the model gives serially
// — the SentimentLSTM's forward and a streaming LSTM's steps. The test command also
// runs this binary under ThreadSanitizer.
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "loom/jit.h"

namespace loom {
namespace {

constexpr int kCallers = 8, kCalls = 4;

bool SameBits(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::memcmp(a.raw_data(), b.raw_data(), a.byte_size()) == 0;
}

// Caller c's call k: its own tokens.
Tensor Tokens(int c, int k) {
  Tensor t(DType::kI64, {4, 50});
  for (int64_t i = 0; i < t.num_elements(); ++i) t.values<int64_t>()[i] = (i * 7919 + c * 131 + k * 17) % 10000;
  return t;
}
Tensor Frame(int c, int k) {
  Tensor t(DType::kF32, {1, 1, 64});
  for (int64_t i = 0; i < t.num_elements(); ++i)
    t.values<float>()[i] = 0.01f * static_cast<float>((i + c * 5 + k) % 23 - 11);
  return t;
}

class ServingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto jit = Jit::Create({.threads = 2});
    ASSERT_TRUE(jit.ok()) << jit.status();
    jit_ = std::move(*jit);
  }
  std::unique_ptr<Jit> jit_;
};

TEST_F(ServingTest, ManySessionsOfOneModelGiveTheSerialResults) {
  auto file = nn::Model::Load(LOOM_SOURCE_DIR "/examples/sentiment_lstm.pbtxt");
  ASSERT_TRUE(file.ok()) << file.status();
  auto model = jit_->Compile(*file, {.batch = 4}, /*seed=*/1);
  ASSERT_TRUE(model.ok()) << model.status();
  std::vector<std::vector<Tensor>> want(kCallers);
  for (int c = 0; c < kCallers; ++c) {
    for (int k = 0; k < kCalls; ++k) {
      auto y = (*model)->Forward({Tokens(c, k)});
      ASSERT_TRUE(y.ok()) << y.status();
      want[c].push_back((*y)[0]);
    }
  }
  std::vector<std::unique_ptr<Session>> sessions;
  for (int c = 0; c < kCallers; ++c) {
    auto s = (*model)->NewSession(/*threads=*/c == 0 ? 2 : 1);
    ASSERT_TRUE(s.ok()) << s.status();
    sessions.push_back(std::move(*s));
  }
  std::vector<int> wrong(kCallers + 1, 0);
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      for (int k = 0; k < kCalls; ++k) {
        auto y = sessions[c]->Forward({Tokens(c, k)});
        wrong[c] += !y.ok() || !SameBits((*y)[0], want[c][k]);
      }
    });
  }
  for (int k = 0; k < kCalls; ++k) {  // the model itself, meanwhile
    auto y = (*model)->Forward({Tokens(0, k)});
    wrong[kCallers] += !y.ok() || !SameBits((*y)[0], want[0][k]);
  }
  for (std::thread& t : callers) t.join();
  for (int c = 0; c <= kCallers; ++c) EXPECT_EQ(wrong[c], 0) << "caller " << c;

  // Sessions read the parameters: the model will not change them under them.
  Tensor labels(DType::kF32, {4, 1});
  EXPECT_EQ((*model)->TrainStep({Tokens(0, 0), labels}).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*model)->SetParameter("fc.bias", Tensor(DType::kF32, {1})).code(), absl::StatusCode::kFailedPrecondition);
  sessions.clear();
  EXPECT_TRUE((*model)->TrainStep({Tokens(0, 0), labels}).ok());
  EXPECT_FALSE((*model)->NewSession(0).ok());
}

// Each session streams its own sequence: its state is its own.
TEST_F(ServingTest, StreamingSessionsKeepTheirOwnState) {
  nn::Model m("Streaming");
  auto x = m.Input("x", DType::kF32, {-1, 1, 64});
  m.Output(m.LSTM("lstm", x, 64, 128, {.num_layers = 2, .batch_first = true}).output);
  auto model = jit_->Compile(m, {.batch = 1, .streaming = true}, /*seed=*/2);
  ASSERT_TRUE(model.ok()) << model.status();
  std::vector<std::vector<Tensor>> want(kCallers);
  for (int c = 0; c < kCallers; ++c) {
    (*model)->ResetState();
    for (int k = 0; k < 3 * kCalls; ++k) {
      auto y = (*model)->Step({Frame(c, k)});
      ASSERT_TRUE(y.ok()) << y.status();
      want[c].push_back((*y)[0]);
    }
  }
  std::vector<int> wrong(kCallers, 0);
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      auto s = (*model)->NewSession();
      if (!s.ok()) return void(wrong[c] = -1);
      for (int round = 0; round < 2; ++round) {
        (*s)->ResetState();
        for (int k = 0; k < 3 * kCalls; ++k) {
          auto y = (*s)->Step({Frame(c, k)});
          wrong[c] += !y.ok() || !SameBits((*y)[0], want[c][k]);
        }
      }
    });
  }
  for (std::thread& t : callers) t.join();
  for (int c = 0; c < kCallers; ++c) EXPECT_EQ(wrong[c], 0) << "caller " << c;
}

}  // namespace
}  // namespace loom
