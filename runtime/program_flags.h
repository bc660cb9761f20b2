// The command line of the programs `loomc --emit=exe` generates (which embed this file's
// text), by the rules of Loom's own tools (tools/common/flags.h, llvm::cl underneath),
// without LLVM: a program needs only the C++ standard library. `--name=value` and
// `--name value` (a single dash works too), `--` ends the options, --help lists every
// option with its default (exit 0), --version, and "PROGRAM: error: ..." with exit 2 for
// an unknown option, a missing value, an option given twice or the wrong number of
// arguments. Header-only, standard C++ only.
#ifndef LOOM_RUNTIME_PROGRAM_FLAGS_H_
#define LOOM_RUNTIME_PROGRAM_FLAGS_H_

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace loom_flags {

struct Flag {
  const char* name;   // without dashes
  const char* value;  // what it takes, as --help shows it
  const char* dflt;   // its default, as --help shows it
  const char* help;
  std::string* out;  // the value given; untouched when not given
  bool given = false;
};

struct Program {
  const char* name;         // argv[0]
  const char* args;         // the positional arguments, as the usage line shows them
  const char* description;  // what --help says first
  const char* version;      // what --version prints
  int min_args, max_args;
};

inline void PrintHelp(const Program& p, const std::vector<Flag>& flags) {
  std::printf("usage: %s %s%s[options]\n\n%s\nOptions:\n", p.name, p.args, *p.args ? " " : "", p.description);
  for (const Flag& f : flags) {
    std::string head = std::string("  --") + f.name + "=" + f.value;
    head.resize(head.size() + 2 > 28 ? head.size() + 2 : 28, ' ');
    std::printf("%s%s (default: %s)\n", head.c_str(), f.help, f.dflt);
  }
  std::printf("  --help                    this text\n  --version                 this program's origin\n");
}

// Reads argv into `flags` and `positional`. Returns -1 to go on, else the exit code to
// return at once (0 after --help or --version, 2 after a usage error).
inline int Parse(const Program& p, int argc, char** argv, std::vector<Flag>& flags,
                 std::vector<std::string>& positional) {
  auto usage_error = [&](const std::string& message) {
    std::fprintf(stderr, "%s: error: %s (%s --help)\n", p.name, message.c_str(), p.name);
    return 2;
  };
  bool options_end = false;
  for (int i = 1; i < argc; ++i) {
    const char* arg = argv[i];
    if (options_end || arg[0] != '-' || arg[1] == '\0') {
      positional.push_back(arg);
      continue;
    }
    if (std::strcmp(arg, "--") == 0) {
      options_end = true;
      continue;
    }
    std::string name = arg + (arg[1] == '-' ? 2 : 1);
    std::string value;
    size_t eq = name.find('=');
    bool has_value = eq != std::string::npos;
    if (has_value) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (!has_value && name == "help") {
      PrintHelp(p, flags);
      return 0;
    }
    if (!has_value && name == "version") {
      std::printf("%s\n", p.version);
      return 0;
    }
    Flag* flag = nullptr;
    for (Flag& f : flags) {
      if (name == f.name) flag = &f;
    }
    if (flag == nullptr) return usage_error("Unknown command line argument '" + std::string(arg) + "'");
    if (flag->given) return usage_error("--" + name + " is given twice");
    if (!has_value) {
      if (i + 1 >= argc) return usage_error("for the --" + name + " option: requires a value");
      value = argv[++i];
    }
    *flag->out = value;
    flag->given = true;
  }
  int n = static_cast<int>(positional.size());
  if (n < p.min_args || n > p.max_args) return usage_error(std::string("usage: ") + p.name + " " + p.args);
  return -1;
}

// A whole flag value as a number; false if it is not one.
inline bool ToNumber(const std::string& text, long long* out) {
  char* end = nullptr;
  errno = 0;
  *out = std::strtoll(text.c_str(), &end, 10);
  return !text.empty() && *end == '\0' && errno == 0;
}
inline bool ToNumber(const std::string& text, double* out) {
  char* end = nullptr;
  *out = std::strtod(text.c_str(), &end);
  return !text.empty() && *end == '\0' && std::isfinite(*out);
}

}  // namespace loom_flags

#endif  // LOOM_RUNTIME_PROGRAM_FLAGS_H_
