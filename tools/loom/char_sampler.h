// Text drawn from a character model compiled for streaming (@step at batch 1), one
// character at a time: for `loom sample` and for `loom train --sample-every`.
#ifndef LOOM_TOOLS_LOOM_CHAR_SAMPLER_H_
#define LOOM_TOOLS_LOOM_CHAR_SAMPLER_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "frontends/model_file.h"
#include "loom/jit.h"
#include "runtime/data/char_corpus.h"

namespace loom::cli {

// Whether the model's output is probabilities (a softmax layer) rather than logits.
bool OutputsProbabilities(const frontends::proto::Model& model);

// Feeds `prime` (every character in `vocab`), then draws `length` characters, handing each
// to `emit` (UTF-8) as it is drawn. Starts from a zero state.
absl::Status SampleChars(CompiledModel& model, const data::CharVocab& vocab, bool probs, const std::u32string& prime,
                         int64_t length, double temperature, uint64_t seed,
                         const std::function<absl::Status(const std::string&)>& emit);

}  // namespace loom::cli

#endif  // LOOM_TOOLS_LOOM_CHAR_SAMPLER_H_
