#include "tools/loom/args.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace loom::cli {

std::string Args::Get(const std::string& flag, const std::string& dflt) const {
  auto it = flags.find(flag);
  return it == flags.end() ? dflt : it->second;
}

absl::StatusOr<int64_t> Args::GetInt(const std::string& flag, int64_t dflt) const {
  auto it = flags.find(flag);
  if (it == flags.end()) return dflt;
  int64_t v;
  if (!absl::SimpleAtoi(it->second, &v)) {
    return absl::InvalidArgumentError(absl::StrCat(flag, " takes an integer, got '", it->second, "'"));
  }
  return v;
}

absl::StatusOr<Args> ParseArgs(const std::vector<std::string>& argv, const std::set<std::string>& value_flags,
                               const std::set<std::string>& bool_flags) {
  Args args;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.size() < 2 || a[0] != '-') {
      args.positional.push_back(a);
      continue;
    }
    size_t eq = a.find('=');
    std::string flag = a.substr(0, eq);
    if (args.Has(flag)) return absl::InvalidArgumentError(absl::StrCat(flag, " is given twice"));
    if (value_flags.count(flag)) {
      if (eq != std::string::npos) {
        args.flags[flag] = a.substr(eq + 1);
      } else if (i + 1 < argv.size()) {
        args.flags[flag] = argv[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat(flag, " needs a value"));
      }
    } else if (bool_flags.count(flag) && eq == std::string::npos) {
      args.flags[flag] = "";
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown option '", a, "'"));
    }
  }
  return args;
}

}  // namespace loom::cli
