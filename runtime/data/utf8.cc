#include "runtime/data/utf8.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace loom::data {

absl::StatusOr<std::u32string> DecodeUtf8(absl::string_view bytes, absl::string_view file) {
  std::u32string out;
  out.reserve(bytes.size());
  int64_t line = 1, col = 1;
  for (size_t i = 0; i < bytes.size();) {
    unsigned char b = bytes[i];
    int n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
    char32_t c = n == 1 ? b : n == 2 ? b & 0x1F : n == 3 ? b & 0x0F : b & 0x07;
    bool ok = n > 0 && i + n <= bytes.size();
    for (int k = 1; ok && k < n; ++k) {
      unsigned char cb = bytes[i + k];
      ok = (cb >> 6) == 0x2;
      c = (c << 6) | (cb & 0x3F);
    }
    static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    ok = ok && c >= kMin[n] && c <= 0x10FFFF && !(c >= 0xD800 && c <= 0xDFFF);
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s:%d:%d: invalid UTF-8 (byte 0x%02X)", file, line, col, static_cast<int>(b)));
    }
    out.push_back(c);
    i += n;
    if (c == U'\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return out;
}

std::string EncodeUtf8(char32_t c) {
  std::string s;
  if (c < 0x80) {
    s += static_cast<char>(c);
  } else if (c < 0x800) {
    s += static_cast<char>(0xC0 | (c >> 6));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    s += static_cast<char>(0xE0 | (c >> 12));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (c >> 18));
    s += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  }
  return s;
}

std::string EncodeUtf8(const std::u32string& s) {
  std::string out;
  for (char32_t c : s) out += EncodeUtf8(c);
  return out;
}

absl::StatusOr<std::string> ReadDataFile(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": is a directory, not a data file"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open the data file"));
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string bytes = ss.str();
  // A byte-order mark (Windows editors write one) is not data: "\uFEFF0" is no label.
  if (absl::StartsWith(bytes, "\xEF\xBB\xBF")) bytes.erase(0, 3);
  if (bytes.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": the data file is empty"));
  return bytes;
}

}  // namespace loom::data
