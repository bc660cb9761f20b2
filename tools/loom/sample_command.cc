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
#include "support/status_macros.h"
#include "tools/loom/char_sampler.h"
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
  // Written as it is sampled: any length runs in constant memory, and shows progress. A
  // reader that stops early (| head) ends the run with an error, not SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  std::cout << prime_text;
  RETURN_IF_ERROR(SampleChars(*model, vocab, OutputsProbabilities(file.model), prime, length, temperature,
                              static_cast<uint64_t>(seed), [](const std::string& ch) {
                                std::cout << ch << std::flush;
                                return std::cout ? absl::OkStatus()
                                                 : absl::DataLossError("cannot write the sample to standard output");
                              }));
  std::cout << "\n";
  return absl::OkStatus();
}

}  // namespace

int SampleCommand(const Args& args) {
  absl::Status s = Sample(args);
  return s.ok() ? 0 : Fail(s);
}

}  // namespace loom::cli
