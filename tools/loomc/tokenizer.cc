#include "tools/loomc/tokenizer.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "runtime/data/char_corpus.h"
#include "runtime/data/utf8.h"
#include "support/status_macros.h"
#include "tools/loomc/exe.h"

namespace loom::loomc {
namespace {

// runtime/data/labelled_text.h's Words and WordVocab::Encode, byte by byte: in UTF-8
// every byte of a character beyond ASCII is >= 0x80, so splitting bytes splits characters.
std::string WordsTokenizer(const std::string& m, const std::string& words) {
  std::string table;
  for (absl::string_view w : absl::StrSplit(words, '\n'))
    absl::StrAppend(&table, "      ", Literal(std::string(w)), ",\n");
  return absl::StrCat(
      "// The ids of `text`'s words, as loom's loader and loom classify make them: words are\n"
      "// lower-cased runs of ASCII letters and digits and of bytes beyond ASCII; the first\n"
      "// `length` go into ids, padded with 0 at the front (1: a word outside the vocabulary).\n"
      "inline void ",
      m, "_Tokenize(const char* text, int64_t* ids, int64_t length) {\n",
      "  static const std::unordered_map<std::string, int64_t> kIds = [] {\n"
      "    static const char* const kWords[] = {  // from id 2\n",
      table,
      "    };\n"
      "    std::unordered_map<std::string, int64_t> index;\n"
      "    for (size_t i = 0; i < sizeof kWords / sizeof kWords[0]; ++i) index.emplace(kWords[i], i + 2);\n"
      "    return index;\n"
      "  }();\n"
      "  std::vector<int64_t> found;\n"
      "  std::string word;\n"
      "  auto flush = [&] {\n"
      "    if (word.empty()) return;\n"
      "    auto it = kIds.find(word);\n"
      "    found.push_back(it == kIds.end() ? 1 : it->second);\n"
      "    word.clear();\n"
      "  };\n"
      "  for (const unsigned char* p = reinterpret_cast<const unsigned char*>(text); *p; ++p) {\n"
      "    if (*p >= 0x80 || std::isalnum(*p)) {\n"
      "      word += static_cast<char>(*p < 0x80 ? std::tolower(*p) : *p);\n"
      "    } else {\n"
      "      flush();\n"
      "    }\n"
      "  }\n"
      "  flush();\n"
      "  int64_t n = std::min<int64_t>(length, static_cast<int64_t>(found.size()));\n"
      "  for (int64_t i = 0; i < length - n; ++i) ids[i] = 0;\n"
      "  for (int64_t i = 0; i < n; ++i) ids[length - n + i] = found[i];\n"
      "}\n\n");
}

std::string CharsTokenizer(const std::string& m, const data::CharVocab& vocab) {
  std::string table;
  for (int64_t id = 0; id < vocab.size(); ++id)
    absl::StrAppend(&table, Literal(data::EncodeUtf8(vocab.Char(id))), ", ");
  return absl::StrCat(
      "// The ids of `text`'s characters (UTF-8) in the model's alphabet, at most `max` of them,\n"
      "// into ids; returns how many, or -1 at a character outside the alphabet.\n"
      "inline int64_t ",
      m, "_Encode(const char* text, int64_t* ids, int64_t max) {\n", "  static const char* const kChars[] = {", table,
      "};\n",
      "  int64_t n = 0;\n"
      "  while (*text && n < max) {\n"
      "    int64_t id = -1;\n"
      "    size_t bytes = 0;\n"
      "    for (size_t c = 0; c < sizeof kChars / sizeof kChars[0] && id < 0; ++c) {\n"
      "      bytes = std::strlen(kChars[c]);\n"
      "      if (std::strncmp(text, kChars[c], bytes) == 0) id = static_cast<int64_t>(c);\n"
      "    }\n"
      "    if (id < 0) return -1;\n"
      "    ids[n++] = id;\n"
      "    text += bytes;\n"
      "  }\n"
      "  return n;\n"
      "}\n\n");
}

}  // namespace

absl::StatusOr<std::string> TokenizerSource(const std::string& model_identifier,
                                            const std::map<std::string, std::string>& metadata) {
  if (auto it = metadata.find("words"); it != metadata.end()) return WordsTokenizer(model_identifier, it->second);
  if (auto it = metadata.find("vocab"); it != metadata.end()) {
    ASSIGN_OR_RETURN(data::CharVocab vocab, data::CharVocab::Parse(it->second));
    return CharsTokenizer(model_identifier, vocab);
  }
  return std::string();
}

}  // namespace loom::loomc
