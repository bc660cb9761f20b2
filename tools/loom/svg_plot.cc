#include "tools/loom/svg_plot.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace loom::cli {
namespace {

constexpr double kWidth = 720, kHeight = 360, kLeft = 80, kRight = 170, kTop = 40, kBottom = 50;
const char* const kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};

std::string Escape(const std::string& s) {
  return absl::StrReplaceAll(s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}});
}

bool Plottable(double y, bool log_y) { return std::isfinite(y) && (!log_y || y > 0); }

// About five round tick values covering [lo, hi].
std::vector<double> Ticks(double lo, double hi) {
  double step = std::pow(10, std::floor(std::log10((hi - lo) / 5)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if ((hi - lo) / (step * m) <= 6) {
      step *= m;
      break;
    }
  }
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push_back(t);
  return ticks;
}

// A log axis (in log10 units, widened to whole decades): a tick at every decade, or at
// every k-th when there are more than 20.
std::vector<double> Decades(double lo, double hi) {
  double every = std::max(1.0, std::ceil((hi - lo) / 20));
  std::vector<double> ticks;
  for (double t = lo; t <= hi + 1e-9; t += every) ticks.push_back(t);
  return ticks;
}

std::string RenderChart(const Chart& c, double y0) {
  double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
  for (const Series& s : c.series) {
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!Plottable(s.y[i], c.log_y)) continue;
      double y = c.log_y ? std::log10(s.y[i]) : s.y[i];
      xmin = std::min(xmin, s.x[i]), xmax = std::max(xmax, s.x[i]);
      ymin = std::min(ymin, y), ymax = std::max(ymax, y);
    }
  }
  std::string svg = absl::StrFormat("<text x=\"%g\" y=\"%g\" font-size=\"16\" font-weight=\"bold\">%s</text>\n", kLeft,
                                    y0 + 24, Escape(c.title));
  if (!std::isfinite(xmin)) return svg + absl::StrFormat("<text x=\"%g\" y=\"%g\">no data</text>\n", kLeft, y0 + 80);
  if (xmax == xmin) xmax = xmin + 1;
  if (c.log_y) ymin = std::floor(ymin), ymax = std::ceil(ymax);
  if (ymax == ymin) ymax = ymin + 1, ymin -= 1;
  double pw = kWidth - kLeft - kRight, ph = kHeight - kTop - kBottom, top = y0 + kTop;
  auto px = [&](double x) { return kLeft + (x - xmin) / (xmax - xmin) * pw; };
  auto py = [&](double y) { return top + ph - (y - ymin) / (ymax - ymin) * ph; };
  absl::StrAppendFormat(&svg, "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" stroke=\"#444\"/>\n",
                        kLeft, top, pw, ph);
  for (double t : Ticks(xmin, xmax)) {
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                          "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">%g</text>\n",
                          px(t), top, px(t), top + ph, px(t), top + ph + 16, t);
  }
  for (double t : c.log_y ? Decades(ymin, ymax) : Ticks(ymin, ymax)) {
    std::string label = c.log_y ? absl::StrFormat("1e%g", t) : absl::StrFormat("%g", t);
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                          "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%s</text>\n",
                          kLeft, py(t), kLeft + pw, py(t), kLeft - 6, py(t) + 4, label);
  }
  absl::StrAppendFormat(&svg, "<text x=\"%g\" y=\"%g\" font-size=\"12\" text-anchor=\"middle\">%s</text>\n",
                        kLeft + pw / 2, top + ph + 38, Escape(c.x_label));
  absl::StrAppendFormat(&svg,
                        "<text x=\"%g\" y=\"%g\" font-size=\"12\" text-anchor=\"middle\" "
                        "transform=\"rotate(-90 %g %g)\">%s</text>\n",
                        kLeft - 58, top + ph / 2, kLeft - 58, top + ph / 2,
                        Escape(c.y_label + (c.log_y ? " (log scale)" : "")));
  for (size_t k = 0; k < c.series.size(); ++k) {
    const Series& s = c.series[k];
    const char* colour = kColours[k % std::size(kColours)];
    std::string points, dots;
    int count = 0;
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!Plottable(s.y[i], c.log_y)) continue;
      double x = px(s.x[i]), y = py(c.log_y ? std::log10(s.y[i]) : s.y[i]);
      absl::StrAppendFormat(&points, "%.1f,%.1f ", x, y);
      absl::StrAppendFormat(&dots, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>", x, y, colour);
      ++count;
    }
    if (count < 50) svg += dots + "\n";  // few points (a validation per epoch): mark each
    absl::StrAppendFormat(&svg, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"/>\n", points,
                          colour);
    double ly = top + 16 + 18 * k;
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"%s\" stroke-width=\"3\"/>"
                          "<text x=\"%g\" y=\"%g\" font-size=\"12\">%s</text>\n",
                          kLeft + pw + 12, ly, kLeft + pw + 32, ly, colour, kLeft + pw + 38, ly + 4, Escape(s.name));
  }
  return svg;
}

}  // namespace

std::string RenderSvg(const std::vector<Chart>& charts) {
  std::string body;
  for (size_t i = 0; i < charts.size(); ++i) body += RenderChart(charts[i], i * kHeight);
  return absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" font-family=\"sans-serif\">\n"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n%s</svg>\n",
      kWidth, kHeight * charts.size(), body);
}

}  // namespace loom::cli
