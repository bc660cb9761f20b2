// loom classify CKPT "some text" ... | --file FILE: a trained text classifier (a
// bce_with_logits model over token ids, from loom train on labelled text or loom params
// import --vocab) on raw text, tokenized as its training data was, with the checkpoint's
// vocabulary. Prints, per text, the label, the probability of label 1, and the text.
#include <cmath>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "loom/checkpoint.h"
#include "loom/jit.h"
#include "runtime/data/labelled_text.h"
#include "runtime/data/utf8.h"
#include "support/files.h"
#include "support/status_macros.h"
#include "tools/loom/commands.h"
#include "tools/loom/session.h"
#include "tools/loom/threads.h"

namespace loom::cli {
namespace {

// Texts are classified this many at a time (the compiled batch; the last is padded).
constexpr int64_t kBatch = 32;

absl::Status Classify(const Args& args) {
  const std::string& path = args.positional[0];
  std::vector<std::string> texts(args.positional.begin() + 1, args.positional.end());
  if (args.Has("--file")) {
    ASSIGN_OR_RETURN(std::string bytes, ReadFile(args.Get("--file")));
    for (absl::string_view line : absl::StrSplit(bytes, '\n', absl::SkipEmpty())) texts.emplace_back(line);
  }
  if (texts.empty()) return absl::InvalidArgumentError("nothing to classify: give texts, or --file FILE");
  ASSIGN_OR_RETURN(int threads, ThreadsOption(args));
  ASSIGN_OR_RETURN(Checkpoint c, LoadCheckpoint(path));
  if (!c.metadata.count("words") || !c.metadata.count("model")) {
    return absl::InvalidArgumentError(absl::StrCat(
        path,
        ": no vocabulary of words (a checkpoint from loom train on labelled text has one; attach one to an "
        "imported model with loom params import --vocab FILE)"));
  }
  ASSIGN_OR_RETURN(frontends::ModelFile file, frontends::ParseModelText(c.metadata.at("model"), path + " (model)"));
  const frontends::proto::Model& m = file.model;
  if (!m.loss().bce_with_logits() || m.input_size() != 2 || m.input(0).dtype() != frontends::proto::I64 ||
      m.input(0).shape_size() != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a text classifier (token ids [batch, length] in, bce_with_logits)"));
  }
  data::WordVocab words = data::WordVocab::Parse(c.metadata.at("words"));
  int64_t length = m.input(0).shape(1);
  int64_t batch = std::min<int64_t>(kBatch, static_cast<int64_t>(texts.size()));
  ASSIGN_OR_RETURN(auto jit, Jit::Create({.pipeline = args.Get("--pipeline", "default"), .threads = threads}));
  ASSIGN_OR_RETURN(auto model, jit->Compile(nn::Model(file), {.batch = batch, .vocab = words.size()}, 1));
  RETURN_IF_ERROR(model->LoadCheckpoint(c, path));
  for (size_t first = 0; first < texts.size(); first += batch) {
    Tensor ids(DType::kI64, {batch, length});  // rows past the texts stay padding
    for (int64_t b = 0; b < batch && first + b < texts.size(); ++b) {
      ASSIGN_OR_RETURN(std::u32string text, data::DecodeUtf8(texts[first + b], absl::StrCat("text ", first + b + 1)));
      std::vector<int64_t> row = words.Encode(data::Words(text), length);
      std::copy(row.begin(), row.end(), ids.values<int64_t>().begin() + b * length);
    }
    ASSIGN_OR_RETURN(std::vector<Tensor> out, model->Forward({ids}));
    for (int64_t b = 0; b < batch && first + b < texts.size(); ++b) {
      double p = 1 / (1 + std::exp(-out[0].GetDouble(b)));
      std::cout << absl::StrFormat("%d\t%.4f\t%s\n", p > 0.5 ? 1 : 0, p, texts[first + b]);
    }
  }
  return absl::OkStatus();
}

}  // namespace

int ClassifyCommand(const Args& args) {
  absl::Status s = Classify(args);
  return s.ok() ? 0 : Fail(s);
}

}  // namespace loom::cli
