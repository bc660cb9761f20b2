#include "runtime/data/vocabulary_size.h"

#include "runtime/data/char_corpus.h"
#include "runtime/data/labelled_text.h"

namespace loom::data {

int64_t VocabularySize(const std::map<std::string, std::string>& metadata) {
  if (auto it = metadata.find("vocab"); it != metadata.end()) {
    auto v = CharVocab::Parse(it->second);
    return v.ok() ? v->size() : 0;
  }
  if (auto it = metadata.find("words"); it != metadata.end()) return WordVocab::Parse(it->second).size();
  return 0;
}

}  // namespace loom::data
