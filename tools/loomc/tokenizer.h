// The tokenizer a loomc header gets for a text model compiled with --params: the
// checkpoint's vocabulary embedded, and the same splitting loom's loaders do, so a
// program turns raw text into the ids the model was trained on.
#ifndef LOOM_TOOLS_LOOMC_TOKENIZER_H_
#define LOOM_TOOLS_LOOMC_TOKENIZER_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace loom::loomc {

// C++ source for the header: <Model>_Tokenize for a text classifier's words (metadata
// "words"), <Model>_Encode for a character model's alphabet ("vocab"); empty for a
// checkpoint with neither.
absl::StatusOr<std::string> TokenizerSource(const std::string& model_identifier,
                                            const std::map<std::string, std::string>& metadata);

}  // namespace loom::loomc

#endif  // LOOM_TOOLS_LOOMC_TOKENIZER_H_
