// The vocabulary size a training run's checkpoint metadata holds: its character alphabet
// ("vocab") or its word list ("words", plus the padding and unknown ids); 0 when none.
// What the model's -1 layer sizes were bound to when it was trained.
#ifndef LOOM_RUNTIME_DATA_VOCABULARY_SIZE_H_
#define LOOM_RUNTIME_DATA_VOCABULARY_SIZE_H_

#include <cstdint>
#include <map>
#include <string>

namespace loom::data {

int64_t VocabularySize(const std::map<std::string, std::string>& metadata);

}  // namespace loom::data

#endif  // LOOM_RUNTIME_DATA_VOCABULARY_SIZE_H_
