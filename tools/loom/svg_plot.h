// Line charts as standalone SVG files, for `loom plot` and `loom gradflow`: axes with
// ticks, one colour per series, a legend, and a logarithmic y axis when asked.
#ifndef LOOM_TOOLS_LOOM_SVG_PLOT_H_
#define LOOM_TOOLS_LOOM_SVG_PLOT_H_

#include <string>
#include <vector>

namespace loom::cli {

struct Series {
  std::string name;
  std::vector<double> x, y;  // points with a non-finite (or, on a log axis, non-positive) y are skipped
};

struct Chart {
  std::string title, x_label, y_label;
  bool log_y = false;
  std::vector<Series> series;
};

// Several charts stacked vertically in one SVG document.
std::string RenderSvg(const std::vector<Chart>& charts);

}  // namespace loom::cli

#endif  // LOOM_TOOLS_LOOM_SVG_PLOT_H_
