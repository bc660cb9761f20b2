#include <iostream>

#include "frontends/summary.h"
#include "ir/printer.h"
#include "tools/loom/commands.h"

namespace loom::cli {

int SummaryCommand(const Args& args) {
  absl::StatusOr<LoadedModel> m = LoadModel(args.positional[0], args);
  if (!m.ok()) return Fail(m.status());
  if (args.Has("--ir")) {
    std::cout << ir::Print(*m->module);
  } else {
    std::cout << frontends::Summarize(m->file.model, *m->module, m->value_types);
  }
  return 0;
}

}  // namespace loom::cli
