// File names made from names users choose (a layer's, a parameter's): every byte but
// [A-Za-z0-9_.-] is escaped as %XX, and so is a leading '.', so that no name can leave
// the directory ("../x", "/x"), hide ("."), be empty-looking, carry NUL or non-UTF-8
// bytes into the file system, or collide with another name (the escape is reversible).
#ifndef LOOM_SUPPORT_FILE_NAME_H_
#define LOOM_SUPPORT_FILE_NAME_H_

#include <string>

#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace loom {

inline std::string FileNameFor(absl::string_view name) {
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                 (c == '.' && i > 0);
    out += plain ? std::string(1, static_cast<char>(c)) : absl::StrFormat("%%%02X", c);
  }
  return out.empty() ? "%" : out;
}

}  // namespace loom

#endif  // LOOM_SUPPORT_FILE_NAME_H_
