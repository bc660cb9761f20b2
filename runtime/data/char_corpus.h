// A character corpus: any UTF-8 text as ids over its own alphabet (the distinct code
// points, in code-point order). The alphabet travels in the checkpoint, so a sample
// decodes with the vocabulary the model was trained on.
#ifndef LOOM_RUNTIME_DATA_CHAR_CORPUS_H_
#define LOOM_RUNTIME_DATA_CHAR_CORPUS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace loom::data {

class CharVocab {
 public:
  static CharVocab FromText(const std::u32string& text);
  // From Serialize()'s form: the alphabet as UTF-8.
  static absl::StatusOr<CharVocab> Parse(const std::string& serialized);
  std::string Serialize() const;

  int64_t size() const { return static_cast<int64_t>(chars_.size()); }
  // -1 for a character outside the alphabet.
  int64_t Id(char32_t c) const;
  char32_t Char(int64_t id) const { return chars_[id]; }

 private:
  std::u32string chars_;  // sorted
};

struct CharCorpus {
  CharVocab vocab;
  std::vector<int64_t> ids;  // the text
};

absl::StatusOr<CharCorpus> LoadCharCorpus(const std::string& path);
// The same from the file's bytes (`name` for messages).
absl::StatusOr<CharCorpus> ParseCharCorpus(absl::string_view bytes, const std::string& name);

}  // namespace loom::data

#endif  // LOOM_RUNTIME_DATA_CHAR_CORPUS_H_
