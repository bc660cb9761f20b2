// The command line of every Loom tool (loom and its subcommands, loomc, loom-opt), parsed
// by LLVM's llvm::cl with one set of rules: `--name=value` and `--name value` (a single
// dash works too, as in LLVM's tools), `--` ends the options, `@FILE` reads arguments
// from FILE, a misspelt option gets a "did you mean". A tool declares its commands and
// options as data (Command, Flag); --help is made from the same data (every option with
// its default), and --list-options prints what llvm::cl registered, so a test can check
// that the two agree.
//
// Exit codes, the same in every tool (Exit): 0 ok, 1 an error in the user's input (a
// file, a value), 2 a usage error (an unknown option, a missing argument), 130
// interrupted (Ctrl-C; 128 + the signal's number for others, as the shell reports it).
#ifndef LOOM_TOOLS_COMMON_FLAGS_H_
#define LOOM_TOOLS_COMMON_FLAGS_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace loom::flags {

enum Exit : int { kOk = 0, kUserError = 1, kUsage = 2 };  // interrupted: 128 + the signal

// One option. `name` is spelt without dashes ("batch", "o"); a one-letter name shows as
// -o, a longer one as --batch.
struct Flag {
  std::string name;
  std::string value;  // what it takes, as help shows it ("N", "PATH"); empty: a switch
  std::string dflt;   // its default as help shows it ("1", "the model's"); empty: none
  std::string help;
  bool repeated = false;        // may be given more than once (values kept in order)
  bool optional_value = false;  // --name alone or --name=value (never --name value)
  bool prefix = false;          // the value follows the name directly: -O2
  bool required = false;        // a usage error when missing
};

// For tables of flags: the same flag, required or repeatable.
inline Flag Required(Flag f) {
  f.required = true;
  return f;
}
inline Flag Repeated(Flag f) {
  f.repeated = true;
  return f;
}

// A subcommand (loom train), or a tool's only command (name empty).
struct Command {
  std::string name;
  std::string args;  // the positional arguments, as the usage line shows them
  int min_args = 0, max_args = 0;
  std::string summary;      // one line, for the tool's list of commands
  std::string description;  // the paragraphs --help prints under the usage line
  std::vector<Flag> flags;
};

// What was given. Flags are keyed as spelt on the command line ("--batch", "-o").
struct Args {
  std::string command;
  std::vector<std::string> positional;
  std::map<std::string, std::string> flags;  // "--ir" -> "true"; "--batch=4" -> "4"
  // Every option given, in command-line order ("--unroll", "4"): for repeated flags and
  // for loom-opt, whose passes run in the order given.
  std::vector<std::pair<std::string, std::string>> in_order;

  bool Has(const std::string& flag) const { return flags.count(flag) > 0; }
  std::string Get(const std::string& flag, const std::string& dflt = "") const;
  absl::StatusOr<int64_t> GetInt(const std::string& flag, int64_t dflt) const;
  absl::StatusOr<double> GetDouble(const std::string& flag, double dflt) const;
  std::vector<std::string> GetAll(const std::string& flag) const;
};

class Tool {
 public:
  // `commands` holds one unnamed command, or the subcommands; `epilogue` ends the tool's
  // --help (and each subcommand's).
  Tool(std::string name, std::string overview, std::vector<Command> commands, std::string epilogue = "");

  // The arguments, or the exit code to return at once: --help and --version (0, after
  // printing them), a usage error (2, after printing it).
  std::variant<Args, int> Parse(int argc, const char* const* argv) const;

  // "NAME: error: MESSAGE" on stderr (a message that starts with its own position,
  // "file:1:2: error: ...", as it is); returns kUserError.
  int Fail(const absl::Status& status) const;
  // The same for a usage error: kUsage.
  int UsageError(const std::string& message) const;

  std::string Help(const Command* command) const;

 private:
  std::string Epilogue() const;  // the tool's, then the exit codes
  std::string name_, overview_, epilogue_;
  std::vector<Command> commands_;
};

// The spelling of a flag's name on the command line: "o" -> "-o", "batch" -> "--batch".
std::string Spelt(const std::string& name);

}  // namespace loom::flags

#endif  // LOOM_TOOLS_COMMON_FLAGS_H_
