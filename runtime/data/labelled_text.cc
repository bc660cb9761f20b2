#include "runtime/data/labelled_text.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "runtime/data/utf8.h"
#include "support/status_macros.h"

namespace loom::data {

std::vector<std::string> Words(const std::u32string& text) {
  std::vector<std::string> words;
  std::u32string word;
  auto flush = [&] {
    if (!word.empty()) words.push_back(EncodeUtf8(word));
    word.clear();
  };
  for (char32_t c : text) {
    bool ascii_alnum = c < 0x80 && std::isalnum(static_cast<int>(c));
    if (ascii_alnum || c >= 0x80) {
      word.push_back(c < 0x80 ? static_cast<char32_t>(std::tolower(static_cast<int>(c))) : c);
    } else {
      flush();
    }
  }
  flush();
  return words;
}

absl::StatusOr<std::vector<LabelledExample>> LoadLabelledText(const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, ReadDataFile(path));
  return ParseLabelledText(bytes, path);
}

absl::StatusOr<std::vector<LabelledExample>> ParseLabelledText(absl::string_view bytes, const std::string& path) {
  RETURN_IF_ERROR(DecodeUtf8(bytes, path).status());
  std::vector<LabelledExample> examples;
  int64_t line_number = 0;
  for (absl::string_view line : absl::StrSplit(bytes, '\n')) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    size_t tab = line.find('\t');
    if (tab == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", line_number, ": expected LABEL<TAB>TEXT, found no tab"));
    }
    if (line.find('\t', tab + 1) != absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", line_number, ": expected LABEL<TAB>TEXT, found a third column (another tab)"));
    }
    absl::string_view label = line.substr(0, tab);
    if (label != "0" && label != "1") {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", line_number, ": the label must be 0 or 1, got '", label, "'"));
    }
    ASSIGN_OR_RETURN(std::u32string text, DecodeUtf8(line.substr(tab + 1), path));
    examples.push_back({Words(text), label == "1" ? 1.0f : 0.0f});
  }
  if (examples.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no examples"));
  return examples;
}

WordVocab WordVocab::Build(const std::vector<LabelledExample>& examples, int64_t max_size) {
  std::unordered_map<std::string, int64_t> count, first;
  std::vector<std::string> order;
  for (const LabelledExample& e : examples) {
    for (const std::string& w : e.words) {
      if (count[w]++ == 0) {
        first[w] = static_cast<int64_t>(order.size());
        order.push_back(w);
      }
    }
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](const std::string& a, const std::string& b) { return count[a] > count[b]; });
  order.resize(std::min<int64_t>(order.size(), std::max<int64_t>(0, max_size - 2)));
  return Parse(absl::StrJoin(order, "\n"));
}

WordVocab WordVocab::Parse(const std::string& serialized) {
  WordVocab v;
  if (!serialized.empty()) v.words_ = absl::StrSplit(serialized, '\n');
  for (size_t i = 0; i < v.words_.size(); ++i) v.ids_[v.words_[i]] = static_cast<int64_t>(i) + 2;
  return v;
}

std::string WordVocab::Serialize() const { return absl::StrJoin(words_, "\n"); }

std::vector<int64_t> WordVocab::Encode(const std::vector<std::string>& words, int64_t length) const {
  int64_t n = std::min<int64_t>(length, words.size());
  std::vector<int64_t> ids(length - n, kPad);
  for (int64_t i = 0; i < n; ++i) {
    auto it = ids_.find(words[i]);
    ids.push_back(it == ids_.end() ? kUnknown : it->second);
  }
  return ids;
}

}  // namespace loom::data
