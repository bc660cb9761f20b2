#include "tools/loom/progress.h"

#include <unistd.h>

#include <cstdio>

#include "absl/strings/str_format.h"

namespace loom::cli {
namespace {

std::string Duration(double seconds) {
  int64_t s = static_cast<int64_t>(seconds + 0.5);
  return s >= 3600 ? absl::StrFormat("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                   : absl::StrFormat("%d:%02d", s / 60, s % 60);
}

std::string Rate(double per_second, const std::string& unit) {
  return per_second >= 1e6   ? absl::StrFormat("%.1fM %s/s", per_second / 1e6, unit)
         : per_second >= 1e3 ? absl::StrFormat("%.1fk %s/s", per_second / 1e3, unit)
                             : absl::StrFormat("%.0f %s/s", per_second, unit);
}

}  // namespace

Progress::Progress(int64_t first, int64_t total, int64_t units_per_step, std::string unit, bool shown)
    : first_(first),
      total_(total),
      units_(units_per_step),
      unit_(std::move(unit)),
      shown_(shown),
      tty_(isatty(STDERR_FILENO)),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

std::string Progress::Line(int64_t step, int64_t epoch, double loss) const {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  int64_t done = step - first_;
  double rate = elapsed > 0 ? done / elapsed : 0;
  std::string eta = rate > 0 ? Duration((first_ + total_ - step) / rate) : "?";
  return absl::StrFormat("step %d/%d  epoch %d  loss %.4f%s  %s  ETA %s", step, first_ + total_, epoch, loss,
                         val_.empty() ? "" : "  " + val_, Rate(rate * units_, unit_), eta);
}

void Progress::Step(int64_t step, int64_t epoch, double loss) {
  if (!shown_) return;
  auto now = std::chrono::steady_clock::now();
  double since = std::chrono::duration<double>(now - last_draw_).count();
  if (tty_) {
    if (since < 0.1 && step != first_ + total_) return;
    int width = 24, filled = static_cast<int>(width * (step - first_) / std::max<int64_t>(total_, 1));
    std::fprintf(stderr, "\r\033[K[%s%s] %s", std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), Line(step, epoch, loss).c_str());
  } else {
    // About twenty lines a run, and at least one every ten seconds.
    int64_t every = std::max<int64_t>(1, total_ / 20);
    if ((step - first_) % every != 0 && since < 10) return;
    std::fprintf(stderr, "%s\n", Line(step, epoch, loss).c_str());
  }
  last_draw_ = now;
  std::fflush(stderr);
}

void Progress::Note(const std::string& line, const std::string& val) {
  if (!shown_) return;
  if (!val.empty()) val_ = val;
  std::fprintf(stderr, tty_ ? "\r\033[K%s\n" : "%s\n", line.c_str());
  std::fflush(stderr);
}

void Progress::Finish() {
  if (shown_ && tty_) std::fprintf(stderr, "\n");
}

}  // namespace loom::cli
