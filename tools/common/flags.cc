#include "tools/common/flags.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

namespace loom::flags {
namespace cl = llvm::cl;

std::string Spelt(const std::string& name) { return (name.size() == 1 ? "-" : "--") + name; }

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

absl::StatusOr<double> Args::GetDouble(const std::string& flag, double dflt) const {
  auto it = flags.find(flag);
  if (it == flags.end()) return dflt;
  double v;
  if (!absl::SimpleAtod(it->second, &v) || !std::isfinite(v)) {
    return absl::InvalidArgumentError(absl::StrCat(flag, " takes a finite number, got '", it->second, "'"));
  }
  return v;
}

std::vector<std::string> Args::GetAll(const std::string& flag) const {
  std::vector<std::string> values;
  for (const auto& [f, v] : in_order) {
    if (f == flag) values.push_back(v);
  }
  return values;
}

namespace {

// Every command has these; Parse answers them before anything else is checked.
const Flag kHelp{.name = "help", .help = "this text"};
const Flag kVersion{.name = "version", .help = "this tool's and LLVM's versions"};
const Flag kListOptions{.name = "list-options", .help = "the options this command accepts, one per line"};

constexpr size_t kHelpColumn = 28, kHelpWidth = 100;

// `text` flowed into lines of at most `width` characters, broken at spaces; a line that
// starts with a space (a table) is kept as it is.
std::vector<std::string> Wrap(const std::string& text, size_t width) {
  std::vector<std::string> out;
  std::string current;
  auto flush = [&] {
    if (!current.empty()) out.push_back(current);
    current.clear();
  };
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(line, " ")) {
      flush();
      out.emplace_back(line);
      continue;
    }
    for (absl::string_view word : absl::StrSplit(line, ' ', absl::SkipEmpty())) {
      if (!current.empty() && current.size() + 1 + word.size() > width) flush();
      absl::StrAppend(&current, current.empty() ? "" : " ", word);
    }
  }
  flush();
  return out;
}

// llvm::cl's options for one command, made for one Parse.
struct Registered {
  const Command* command;
  cl::SubCommand* sub;
  std::vector<std::pair<const Flag*, std::unique_ptr<cl::Option>>> options;
  std::unique_ptr<cl::list<std::string>> positional;
};

std::unique_ptr<cl::Option> Register(const Flag& f, cl::SubCommand& sub) {
  if (f.value.empty()) return std::make_unique<cl::opt<bool>>(llvm::StringRef(f.name), cl::desc(f.help), cl::sub(sub));
  if (f.repeated || f.optional_value) {
    auto list = std::make_unique<cl::list<std::string>>(llvm::StringRef(f.name), cl::desc(f.help),
                                                        cl::value_desc(f.value), cl::sub(sub));
    if (f.optional_value) list->setValueExpectedFlag(cl::ValueOptional);
    return list;
  }
  auto opt = std::make_unique<cl::opt<std::string>>(llvm::StringRef(f.name), cl::desc(f.help), cl::value_desc(f.value),
                                                    cl::sub(sub));
  if (f.prefix) opt->setFormattingFlag(cl::Prefix);
  return opt;
}

// The occurrences of one option: (position on the command line, value).
std::vector<std::pair<unsigned, std::string>> Occurrences(const Flag& f, cl::Option& o) {
  std::vector<std::pair<unsigned, std::string>> found;
  if (o.getNumOccurrences() == 0) return found;
  if (f.value.empty()) {
    auto& b = static_cast<cl::opt<bool>&>(o);
    if (b) found.push_back({b.getPosition(), "true"});
  } else if (f.repeated || f.optional_value) {
    auto& list = static_cast<cl::list<std::string>&>(o);
    for (unsigned i = 0; i < list.size(); ++i) found.push_back({list.getPosition(i), list[i]});
  } else {
    auto& s = static_cast<cl::opt<std::string>&>(o);
    found.push_back({s.getPosition(), s.getValue()});
  }
  return found;
}

// llvm::cl's messages start with the program's name and end with advice to run --help;
// ours say "NAME: error: ..." and name the command's help.
std::string Reword(const std::string& tool, const std::string& llvm_message) {
  std::string out;
  for (absl::string_view line : absl::StrSplit(llvm_message, '\n', absl::SkipEmpty())) {
    absl::string_view text = line;
    if (absl::StartsWith(text, tool + ": ")) text.remove_prefix(tool.size() + 2);
    if (size_t try_at = text.find("  Try: "); try_at != absl::string_view::npos) text = text.substr(0, try_at);
    while (!text.empty() && (text.back() == '.' || text.back() == '!')) text.remove_suffix(1);
    if (!text.empty()) absl::StrAppend(&out, out.empty() ? "" : "; ", text);
  }
  return out;
}

// Standard error redirected to a temporary file while this lives.
class CapturedStderr {
 public:
  CapturedStderr() : file_(std::tmpfile()) {
    llvm::errs().flush();
    std::fflush(stderr);
    if (file_ != nullptr) {
      saved_ = dup(2);
      if (saved_ >= 0) dup2(fileno(file_), 2);
    }
  }
  ~CapturedStderr() {
    Restore();
    if (file_ != nullptr) std::fclose(file_);
  }
  std::string Text() {
    Restore();
    std::string text;
    if (file_ == nullptr) return text;
    std::rewind(file_);
    char buffer[4096];
    for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, file_)) > 0;) text.append(buffer, n);
    return text;
  }

 private:
  void Restore() {
    if (saved_ < 0) return;
    llvm::errs().flush();
    dup2(saved_, 2);
    close(saved_);
    saved_ = -1;
  }
  std::FILE* file_;
  int saved_ = -1;
};

}  // namespace

Tool::Tool(std::string name, std::string overview, std::vector<Command> commands, std::string epilogue)
    : name_(std::move(name)),
      overview_(std::move(overview)),
      epilogue_(std::move(epilogue)),
      commands_(std::move(commands)) {}

std::string Tool::Epilogue() const {
  return absl::StrCat("\n", epilogue_,
                      "Exit codes: 0 done, 1 an error in the input, 2 a usage error, 130 interrupted.\n");
}

int Tool::Fail(const absl::Status& status) const {
  absl::string_view m = status.message();
  bool positioned = absl::StrContains(m, ": error: ") || absl::StartsWith(m, "error: ");
  std::cerr << (positioned ? "" : name_ + ": error: ") << m << "\n";
  return kUserError;
}

int Tool::UsageError(const std::string& message) const {
  std::cerr << name_ << ": error: " << message << "\n";
  return kUsage;
}

std::string Tool::Help(const Command* command) const {
  bool subcommands = !(commands_.size() == 1 && commands_[0].name.empty());
  std::string out;
  if (command == nullptr) {  // the tool's, listing its commands
    absl::StrAppend(&out, "usage: ", name_, " COMMAND [options]   (", name_, " COMMAND --help: its options)\n\n",
                    overview_, "\nCommands:\n");
    for (const Command& c : commands_) {
      std::string head = absl::StrCat("  ", c.name, " ", c.args);
      absl::StrAppend(&out, head, "\n      ", c.summary, "\n");
    }
    absl::StrAppend(&out, "\nOptions:\n  --help                    this text\n  --version                 ",
                    kVersion.help, "\n");
    absl::StrAppend(&out, Epilogue());
    return out;
  }
  std::string prog = subcommands ? absl::StrCat(name_, " ", command->name) : name_;
  absl::StrAppend(&out, "usage: ", prog, " ", command->args, command->args.empty() ? "" : " ", "[options]\n\n");
  if (!command->description.empty()) absl::StrAppend(&out, command->description, "\n");
  absl::StrAppend(&out, "Options:\n");
  std::vector<const Flag*> all;
  for (const Flag& f : command->flags) all.push_back(&f);
  for (const Flag* f : {&kHelp, &kVersion, &kListOptions}) all.push_back(f);
  for (const Flag* f : all) {
    std::string head = absl::StrCat("  ", Spelt(f->name));
    if (!f->value.empty()) {
      absl::StrAppend(&head,
                      f->prefix             ? ""
                      : f->optional_value   ? "[="
                      : f->name.size() == 1 ? " "
                                            : "=",
                      f->value, f->optional_value ? "]" : "");
    }
    if (f->repeated && !f->optional_value) absl::StrAppend(&head, " ...");
    std::string text(absl::StripTrailingAsciiWhitespace(f->help));
    if (!f->dflt.empty())
      absl::StrAppend(&text, absl::StrContains(text, "\n ") ? "\n" : " ", "(default: ", f->dflt, ")");
    // The text in a column of its own, under a head too long to share its first line.
    std::vector<std::string> lines = Wrap(text, kHelpWidth - kHelpColumn);
    if (head.size() + 2 > kHelpColumn) {
      absl::StrAppend(&out, head, "\n");
      head.clear();
    }
    head.resize(kHelpColumn, ' ');
    absl::StrAppend(&out, head, absl::StrJoin(lines, "\n" + std::string(kHelpColumn, ' ')), "\n");
  }
  absl::StrAppend(&out, Epilogue());
  return out;
}

std::variant<Args, int> Tool::Parse(int argc, const char* const* argv) const {
  bool subcommands = !(commands_.size() == 1 && commands_[0].name.empty());
  if (argc < 2) {  // no arguments at all: how to use the tool
    std::cerr << Help(subcommands ? nullptr : &commands_[0]);
    return kUsage;
  }
  // LLVM's own options (its passes' debugging switches) are not this tool's: they would
  // clash with ours (--print-after-all) and are not documented here. A first parse makes
  // llvm::cl register those it adds lazily (--help, --version, --color, ...), so that the
  // reset removes them too.
  const char* nothing[] = {name_.c_str()};
  cl::ParseCommandLineOptions(1, nothing, "", &llvm::nulls());
  cl::ResetCommandLineParser();
  std::vector<std::unique_ptr<cl::SubCommand>> subs;
  std::vector<Registered> registered;
  for (const Command& c : commands_) {
    cl::SubCommand* sub = &cl::SubCommand::getTopLevel();
    if (subcommands) sub = subs.emplace_back(std::make_unique<cl::SubCommand>(c.name, c.summary)).get();
    Registered& r = registered.emplace_back(Registered{&c, sub, {}, nullptr});
    for (const Flag& f : c.flags) r.options.emplace_back(&f, Register(f, *sub));
    for (const Flag* f : {&kHelp, &kVersion, &kListOptions}) r.options.emplace_back(f, Register(*f, *sub));
    r.positional = std::make_unique<cl::list<std::string>>(cl::Positional, cl::sub(*sub));
  }
  std::vector<std::unique_ptr<cl::Option>> top;  // a tool with subcommands: its own help
  std::unique_ptr<cl::list<std::string>> top_positional;
  if (subcommands) {
    for (const Flag* f : {&kHelp, &kVersion}) top.push_back(Register(*f, cl::SubCommand::getTopLevel()));
    top_positional = std::make_unique<cl::list<std::string>>(cl::Positional, cl::sub(cl::SubCommand::getTopLevel()));
  }

  std::vector<const char*> args(argv, argv + argc);
  args[0] = name_.c_str();
  std::string errors;
  llvm::raw_string_ostream errs(errors);
  bool parsed;
  {
    // Some of llvm::cl's messages go to llvm::errs() whatever stream it is given: they
    // are caught here, to be reworded with the rest.
    CapturedStderr captured;
    parsed = cl::ParseCommandLineOptions(argc, args.data(), "", &errs);
    errors += captured.Text();
  }
  errs.flush();

  auto done = [&](std::variant<Args, int> result) {
    cl::ResetCommandLineParser();  // before the options it points to go
    return result;
  };
  const Registered* active = nullptr;
  for (const Registered& r : registered) {
    if (!subcommands || *r.sub) active = &r;
  }
  std::string help_hint =
      absl::StrCat(" (", name_, active && subcommands ? " " + active->command->name : "", " --help)");
  if (!parsed) return done(UsageError(Reword(name_, errors) + help_hint));

  auto given = [](const std::unique_ptr<cl::Option>& o) { return o->getNumOccurrences() > 0; };
  if (active == nullptr) {  // no subcommand named
    if (given(top[1])) {
      std::cout << name_ << " " << LOOM_VERSION << " (LLVM " << LOOM_LLVM_VERSION << ")\n";
      return done(kOk);
    }
    if (given(top[0])) {
      std::cout << Help(nullptr);
      return done(kOk);
    }
    std::cerr << name_ << ": error: unknown command '" << (*top_positional)[0] << "'\n\n" << Help(nullptr);
    return done(kUsage);
  }
  const Command& command = *active->command;
  size_t own = active->options.size() - 3;  // help, version, list-options come last
  if (given(active->options[own].second)) {
    std::cout << Help(&command);
    return done(kOk);
  }
  if (given(active->options[own + 1].second)) {
    std::cout << name_ << " " << LOOM_VERSION << " (LLVM " << LOOM_LLVM_VERSION << ")\n";
    return done(kOk);
  }
  if (given(active->options[own + 2].second)) {
    // What llvm::cl accepts for this command, not what Help lists: tests compare them.
    std::vector<std::string> names;
    for (const auto& entry : active->sub->OptionsMap) names.push_back(Spelt(entry.getKey().str()));
    std::sort(names.begin(), names.end());
    for (const std::string& n : names) std::cout << n << "\n";
    return done(kOk);
  }

  Args result;
  result.command = command.name;
  result.positional.assign(active->positional->begin(), active->positional->end());
  std::vector<std::tuple<unsigned, std::string, std::string>> order;
  for (size_t i = 0; i < own; ++i) {
    const auto& [flag, option] = active->options[i];
    if (!flag->repeated && !flag->optional_value && option->getNumOccurrences() > 1) {
      return done(UsageError(absl::StrCat(Spelt(flag->name), " is given twice")));
    }
    for (auto& [position, value] : Occurrences(*flag, *option)) {
      result.flags[Spelt(flag->name)] = value;
      order.emplace_back(position, Spelt(flag->name), value);
    }
  }
  std::sort(order.begin(), order.end());
  for (auto& [position, flag, value] : order) result.in_order.emplace_back(flag, value);

  for (const Flag& f : command.flags) {
    if (f.required && !result.Has(Spelt(f.name))) {
      return done(UsageError(absl::StrCat(Spelt(f.name), " ", f.value, " is required", help_hint)));
    }
  }
  int n = static_cast<int>(result.positional.size());
  if (n < command.min_args || n > command.max_args) {
    std::string prog = subcommands ? absl::StrCat(name_, " ", command.name) : name_;
    return done(UsageError(absl::StrCat("usage: ", prog, " ", command.args, help_hint)));
  }
  return done(std::move(result));
}

}  // namespace loom::flags
