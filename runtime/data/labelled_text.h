// Labelled text: one example per line, "LABEL<TAB>TEXT" with LABEL 0 or 1 — binary text
// classification (spam/ham, sentiment). Words are lower-cased runs of letters and
// digits; the vocabulary keeps the most frequent words, capped at the model's embedding
// size, with two reserved ids: 0 pads, 1 stands for a word outside the vocabulary.
#ifndef LOOM_RUNTIME_DATA_LABELLED_TEXT_H_
#define LOOM_RUNTIME_DATA_LABELLED_TEXT_H_

#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"

namespace loom::data {

// The words of a text as the loader splits them: lower-cased runs of ASCII letters and
// digits, and of anything beyond ASCII.
std::vector<std::string> Words(const std::u32string& text);

struct LabelledExample {
  std::vector<std::string> words;
  float label;
};

absl::StatusOr<std::vector<LabelledExample>> LoadLabelledText(const std::string& path);
// The same from the file's bytes (`name` for messages).
absl::StatusOr<std::vector<LabelledExample>> ParseLabelledText(absl::string_view bytes, const std::string& name);

class WordVocab {
 public:
  static constexpr int64_t kPad = 0, kUnknown = 1;
  // The max_size - 2 most frequent words of `examples` (ties in first-seen order).
  static WordVocab Build(const std::vector<LabelledExample>& examples, int64_t max_size);
  // From Serialize()'s form: one word per line, from id 2 on.
  static WordVocab Parse(const std::string& serialized);
  std::string Serialize() const;

  int64_t size() const { return static_cast<int64_t>(words_.size()) + 2; }
  // The first `length` words' ids, padded at the front (so a classifier reading the
  // last hidden state sees the text last).
  std::vector<int64_t> Encode(const std::vector<std::string>& words, int64_t length) const;

 private:
  std::vector<std::string> words_;
  std::unordered_map<std::string, int64_t> ids_;
};

}  // namespace loom::data

#endif  // LOOM_RUNTIME_DATA_LABELLED_TEXT_H_
