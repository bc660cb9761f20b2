// loom plot RUN.csv [-o OUT.svg]: the training loss and the validation metric of a run
// (the CSV log loom train writes beside its checkpoint) against the step, as SVG.
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/data/utf8.h"
#include "support/files.h"
#include "support/status_macros.h"
#include "tools/loom/commands.h"
#include "tools/loom/svg_plot.h"

namespace loom::cli {
namespace {

absl::Status Plot(const Args& args) {
  const std::string& path = args.positional[0];
  ASSIGN_OR_RETURN(std::string text, data::ReadDataFile(path));
  std::vector<std::string> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  std::vector<std::string> header = absl::StrSplit(lines[0], ',');
  if (header.size() != 4 || header[0] != "step" || header[2] != "loss") {
    return absl::InvalidArgumentError(absl::StrCat(path, ":1: not a loom train log (step,epoch,loss,val_...)"));
  }
  Series loss{"training loss", {}, {}}, val{header[3], {}, {}};
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> f = absl::StrSplit(lines[i], ',');
    double step, l;
    if (f.size() != 4 || !absl::SimpleAtod(f[0], &step) || !absl::SimpleAtod(f[2], &l)) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", i + 1, ": expected step,epoch,loss,metric"));
    }
    loss.x.push_back(step);
    loss.y.push_back(l);
    double v;
    if (!f[3].empty() && absl::SimpleAtod(f[3], &v)) {
      val.x.push_back(step);
      val.y.push_back(v);
    }
  }
  std::string out = args.Get("-o", path.substr(0, path.rfind('.')) + ".svg");
  RETURN_IF_ERROR(WriteFileAtomically(out, RenderSvg({{"Training loss", "step", "loss", false, {loss}},
                                                      {"Validation", "step", val.name, false, {val}}})));
  std::cout << "wrote " << out << " (" << loss.x.size() << " loss points, " << val.x.size() << " validations)\n";
  return absl::OkStatus();
}

}  // namespace

int PlotCommand(const Args& args) {
  absl::Status s = Plot(args);
  return s.ok() ? 0 : Fail(s);
}

}  // namespace loom::cli
