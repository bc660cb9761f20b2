#include "runtime/data/char_corpus.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "runtime/data/utf8.h"
#include "support/status_macros.h"

namespace loom::data {

CharVocab CharVocab::FromText(const std::u32string& text) {
  CharVocab v;
  v.chars_ = text;
  std::sort(v.chars_.begin(), v.chars_.end());
  v.chars_.erase(std::unique(v.chars_.begin(), v.chars_.end()), v.chars_.end());
  return v;
}

absl::StatusOr<CharVocab> CharVocab::Parse(const std::string& serialized) {
  ASSIGN_OR_RETURN(std::u32string chars, DecodeUtf8(serialized, "checkpoint vocabulary"));
  CharVocab v = FromText(chars);
  if (v.chars_ != chars) return absl::DataLossError("the checkpoint's vocabulary is not a sorted alphabet");
  return v;
}

std::string CharVocab::Serialize() const { return EncodeUtf8(chars_); }

int64_t CharVocab::Id(char32_t c) const {
  auto it = std::lower_bound(chars_.begin(), chars_.end(), c);
  return it != chars_.end() && *it == c ? it - chars_.begin() : -1;
}

absl::StatusOr<CharCorpus> LoadCharCorpus(const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, ReadDataFile(path));
  return ParseCharCorpus(bytes, path);
}

absl::StatusOr<CharCorpus> ParseCharCorpus(absl::string_view bytes, const std::string& path) {
  ASSIGN_OR_RETURN(std::u32string text, DecodeUtf8(bytes, path));
  CharCorpus corpus{CharVocab::FromText(text), {}};
  if (corpus.vocab.size() < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": a character corpus needs at least two distinct characters"));
  }
  corpus.ids.reserve(text.size());
  for (char32_t c : text) corpus.ids.push_back(corpus.vocab.Id(c));
  return corpus;
}

}  // namespace loom::data
