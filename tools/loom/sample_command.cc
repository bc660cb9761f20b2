// loom sample CKPT: text from a trained character model. The checkpoint carries the
// model description and its alphabet; the model runs as a stream, one character per
// step: first the --prime text, then each sampled character fed back.
#include <cmath>
#include <csignal>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "loom/checkpoint.h"
#include "loom/jit.h"
#include "runtime/data/char_corpus.h"
#include "runtime/data/utf8.h"
#include "runtime/sampling.h"
#include "support/status_macros.h"
#include "tools/loom/commands.h"
#include "tools/loom/threads.h"

namespace loom::cli {
namespace {

absl::Status Sample(const Args& args) {
  ASSIGN_OR_RETURN(int threads, ThreadsOption(args));
  const std::string& path = args.positional[0];
  ASSIGN_OR_RETURN(Checkpoint c, LoadCheckpoint(path));
  if (!c.metadata.count("vocab") || !c.metadata.count("model")) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a character model's checkpoint from loom train"));
  }
  ASSIGN_OR_RETURN(data::CharVocab vocab, data::CharVocab::Parse(c.metadata.at("vocab")));
  ASSIGN_OR_RETURN(frontends::ModelFile file, frontends::ParseModelText(c.metadata.at("model"), path + " (model)"));
  ASSIGN_OR_RETURN(int64_t length, args.GetInt("--length", 500));
  if (length < 0) return absl::InvalidArgumentError(absl::StrCat("--length must be 0 or more, got ", length));
  ASSIGN_OR_RETURN(int64_t seed, args.GetInt("--seed", 1));
  double temperature = 1.0;
  if (args.Has("--temperature") && (!absl::SimpleAtod(args.Get("--temperature"), &temperature) || !(temperature > 0) ||
                                    !std::isfinite(temperature))) {
    return absl::InvalidArgumentError("--temperature takes a positive number");
  }
  std::string prime_text = args.Get("--prime", "\n");
  ASSIGN_OR_RETURN(std::u32string prime, data::DecodeUtf8(prime_text, "--prime"));
  if (prime.empty()) return absl::InvalidArgumentError("--prime must not be empty");
  for (char32_t ch : prime) {
    if (vocab.Id(ch) < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--prime: '", data::EncodeUtf8(ch), "' is not in the model's vocabulary"));
    }
  }
  ASSIGN_OR_RETURN(auto jit, Jit::Create({.pipeline = args.Get("--pipeline", "default"), .threads = threads}));
  ASSIGN_OR_RETURN(auto model,
                   jit->Compile(nn::Model(file), {.batch = 1, .vocab = vocab.size(), .streaming = true}, 1));
  RETURN_IF_ERROR(model->LoadCheckpoint(c, path));  // the file read once, above
  model->ResetState();
  bool probs = false;
  for (const auto& layer : file.model.layer()) probs |= layer.name() == file.model.output(0) && layer.has_softmax();
  loom_sampling::Uniform uniform(static_cast<uint64_t>(seed));
  // Written as it is sampled: any length runs in constant memory, and shows progress. A
  // reader that stops early (| head) ends the run with an error, not SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  std::cout << prime_text;
  int64_t next = -1;
  for (int64_t i = 0; i < static_cast<int64_t>(prime.size()) + length - 1; ++i) {
    int64_t id = i < static_cast<int64_t>(prime.size()) ? vocab.Id(prime[i]) : next;
    Tensor x(DType::kI64, {1, 1});
    x.values<int64_t>()[0] = id;
    ASSIGN_OR_RETURN(std::vector<Tensor> y, model->Step({x}));
    next = loom_sampling::Draw(y[0].values<float>().data(), vocab.size(), probs, temperature, uniform);
    if (i + 1 >= static_cast<int64_t>(prime.size())) std::cout << data::EncodeUtf8(vocab.Char(next)) << std::flush;
    if (!std::cout) return absl::DataLossError("cannot write the sample to standard output");
  }
  std::cout << "\n";
  return absl::OkStatus();
}

}  // namespace

int SampleCommand(const Args& args) {
  absl::Status s = Sample(args);
  return s.ok() ? 0 : Fail(s);
}

}  // namespace loom::cli
