// Command-line arguments of the loom subcommands: positionals and --flag[=value].
#ifndef LOOM_TOOLS_LOOM_ARGS_H_
#define LOOM_TOOLS_LOOM_ARGS_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace loom::cli {

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> flags;  // "--ir" -> "" ; "--batch=4" -> "4"

  bool Has(const std::string& flag) const { return flags.count(flag) > 0; }
  std::string Get(const std::string& flag, const std::string& dflt = "") const;
  absl::StatusOr<int64_t> GetInt(const std::string& flag, int64_t dflt) const;
};

// `value_flags` take a value ("--batch 4" or "--batch=4"); `bool_flags` take none.
// Anything else starting with '-' is an error naming it.
absl::StatusOr<Args> ParseArgs(const std::vector<std::string>& argv, const std::set<std::string>& value_flags,
                               const std::set<std::string>& bool_flags);

}  // namespace loom::cli

#endif  // LOOM_TOOLS_LOOM_ARGS_H_
