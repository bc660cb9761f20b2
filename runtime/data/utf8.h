// UTF-8 text as code points, with the position of the first invalid byte: data files
// are read by people, so a bad one is named by line and column.
#ifndef LOOM_RUNTIME_DATA_UTF8_H_
#define LOOM_RUNTIME_DATA_UTF8_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace loom::data {

// Decodes `bytes`; an invalid sequence (bad lead or continuation byte, overlong form,
// surrogate, beyond U+10FFFF, truncated) is "FILE:LINE:COL: invalid UTF-8 ...".
absl::StatusOr<std::u32string> DecodeUtf8(absl::string_view bytes, absl::string_view file);
std::string EncodeUtf8(char32_t c);
std::string EncodeUtf8(const std::u32string& s);

// The whole file, or an error naming it (missing, unreadable, empty).
absl::StatusOr<std::string> ReadDataFile(const std::string& path);

}  // namespace loom::data

#endif  // LOOM_RUNTIME_DATA_UTF8_H_
