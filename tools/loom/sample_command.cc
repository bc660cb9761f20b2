// loom sample CKPT: text from a trained character model. The checkpoint carries the
// model description and its alphabet; the model runs as a stream, one character per
// step: first the --prime text, then each sampled character fed back.
#include <cmath>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "frontends/jit.h"
#include "runtime/checkpoint.h"
#include "runtime/data/char_corpus.h"
#include "runtime/data/utf8.h"
#include "support/status_macros.h"
#include "tools/loom/commands.h"

namespace loom::cli {
namespace {

// Uniform doubles in [0, 1) from SplitMix64: the same sequence on every platform.
class Uniform {
 public:
  explicit Uniform(uint64_t seed) : state_(seed) {}
  double operator()() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return static_cast<double>((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
  }

 private:
  uint64_t state_;
};

// Draws from the model's output row (probabilities, or logits when the model file's
// output is not a softmax) sharpened or flattened by the temperature.
int64_t Draw(const float* row, int64_t v, bool probs, double temperature, Uniform& uniform) {
  std::vector<double> w(v);
  double mx = -INFINITY;
  for (int64_t i = 0; i < v; ++i) {
    w[i] = (probs ? std::log(std::max(static_cast<double>(row[i]), 1e-30)) : row[i]) / temperature;
    mx = std::max(mx, w[i]);
  }
  double sum = 0;
  for (double& x : w) sum += (x = std::exp(x - mx));
  double u = uniform() * sum;
  for (int64_t i = 0; i < v; ++i) {
    if ((u -= w[i]) < 0) return i;
  }
  return v - 1;
}

absl::Status Sample(const Args& args) {
  if (args.positional.size() != 1) {
    return absl::InvalidArgumentError("usage: loom sample CKPT [--prime TEXT] [--length N] [--temperature T] [--seed N]");
  }
  const std::string& path = args.positional[0];
  ASSIGN_OR_RETURN(Checkpoint c, LoadCheckpoint(path));
  if (!c.metadata.count("vocab") || !c.metadata.count("model")) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a character model's checkpoint from loom train"));
  }
  ASSIGN_OR_RETURN(data::CharVocab vocab, data::CharVocab::Parse(c.metadata.at("vocab")));
  ASSIGN_OR_RETURN(frontends::ModelFile file, frontends::ParseModelText(c.metadata.at("model"), path + " (model)"));
  ASSIGN_OR_RETURN(int64_t length, args.GetInt("--length", 500));
  ASSIGN_OR_RETURN(int64_t seed, args.GetInt("--seed", 1));
  double temperature = 1.0;
  if (args.Has("--temperature") && (!absl::SimpleAtod(args.Get("--temperature"), &temperature) || !(temperature > 0))) {
    return absl::InvalidArgumentError("--temperature takes a positive number");
  }
  std::string prime_text = args.Get("--prime", "\n");
  ASSIGN_OR_RETURN(std::u32string prime, data::DecodeUtf8(prime_text, "--prime"));
  if (prime.empty()) return absl::InvalidArgumentError("--prime must not be empty");
  for (char32_t ch : prime) {
    if (vocab.Id(ch) < 0) {
      return absl::InvalidArgumentError(absl::StrCat("--prime: '", data::EncodeUtf8(ch),
                                                     "' is not in the model's vocabulary"));
    }
  }
  ASSIGN_OR_RETURN(auto jit, Jit::Create());
  ASSIGN_OR_RETURN(auto model, jit->Compile(file, {.batch = 1, .vocab = vocab.size(), .streaming = true}, 1));
  RETURN_IF_ERROR(model->LoadCheckpoint(path).status());
  model->ResetState();
  bool probs = false;
  for (const auto& layer : file.model.layer()) probs |= layer.name() == file.model.output(0) && layer.has_softmax();
  Uniform uniform(static_cast<uint64_t>(seed));
  std::string out = prime_text;
  int64_t next = -1;
  for (int64_t i = 0; i < static_cast<int64_t>(prime.size()) + length - 1; ++i) {
    int64_t id = i < static_cast<int64_t>(prime.size()) ? vocab.Id(prime[i]) : next;
    Tensor x(DType::kI64, {1, 1});
    x.values<int64_t>()[0] = id;
    ASSIGN_OR_RETURN(std::vector<Tensor> y, model->Step({x}));
    next = Draw(y[0].values<float>().data(), vocab.size(), probs, temperature, uniform);
    if (i + 1 >= static_cast<int64_t>(prime.size())) out += data::EncodeUtf8(vocab.Char(next));
  }
  std::cout << out << "\n";
  return absl::OkStatus();
}

}  // namespace

int SampleCommand(const std::vector<std::string>& argv) {
  auto args = ParseArgs(argv, {"--prime", "--length", "--temperature", "--seed"}, {});
  if (!args.ok()) return Fail(args.status());
  absl::Status s = Sample(*args);
  return s.ok() ? 0 : Fail(s);
}

}  // namespace loom::cli
