#include <iostream>

#include "frontends/summary.h"
#include "ir/printer.h"
#include "tools/loom/commands.h"

namespace loom::cli {

int SummaryCommand(const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = ParseArgs(argv, {"--batch", "--vocab"}, {"--ir"});
  if (!args.ok()) return Fail(args.status());
  if (args->positional.size() != 1) {
    return Fail(absl::InvalidArgumentError("usage: loom summary MODEL.pbtxt [--batch N] [--vocab N] [--ir]"));
  }
  absl::StatusOr<LoadedModel> m = LoadModel(args->positional[0], *args);
  if (!m.ok()) return Fail(m.status());
  if (args->Has("--ir")) {
    std::cout << ir::Print(*m->module);
  } else {
    std::cout << frontends::Summarize(m->file.model, *m->module, m->value_types);
  }
  return 0;
}

}  // namespace loom::cli
