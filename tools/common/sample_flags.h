// The options of sampling text from a character model: `loom sample`'s, and those of the
// programs `loomc --emit=exe` builds from such a model (tools/loomc/exe.cc writes them
// into the program), so that both take and document the same ones.
#ifndef LOOM_TOOLS_COMMON_SAMPLE_FLAGS_H_
#define LOOM_TOOLS_COMMON_SAMPLE_FLAGS_H_

#include <vector>

#include "tools/common/flags.h"

namespace loom::flags {

inline std::vector<Flag> SampleFlags() {
  return {{"prime", "TEXT", "a newline", "the text the sample continues"},
          {"length", "N", "500", "characters to sample"},
          {"temperature", "T", "1", "below 1 more likely characters, above 1 less"},
          {"seed", "N", "1", "the random numbers' seed"}};
}

}  // namespace loom::flags

#endif  // LOOM_TOOLS_COMMON_SAMPLE_FLAGS_H_
