// Progress of a long run: on a terminal one line redrawn in place (bar, step, epoch,
// loss, validation, throughput, ETA); otherwise plain log lines, a few per epoch, that
// read well in a file or CI log.
#ifndef LOOM_TOOLS_LOOM_PROGRESS_H_
#define LOOM_TOOLS_LOOM_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace loom::cli {

class Progress {
 public:
  // `total` steps of this run (from `first` on), of `units` each ("chars"). Not
  // `shown`: prints nothing (a data-parallel run's ranks but the first).
  Progress(int64_t first, int64_t total, int64_t units_per_step, std::string unit, bool shown = true);
  void Step(int64_t step, int64_t epoch, double loss);
  // A line that stays (an epoch's validation), and the validation shown from then on.
  void Note(const std::string& line, const std::string& val = "");
  void Finish();

 private:
  std::string Line(int64_t step, int64_t epoch, double loss) const;

  int64_t first_, total_, units_;
  std::string unit_, val_;
  bool shown_, tty_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace loom::cli

#endif  // LOOM_TOOLS_LOOM_PROGRESS_H_
