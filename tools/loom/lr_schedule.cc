#include "tools/loom/lr_schedule.h"

#include <cmath>
#include <numbers>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace loom::cli {

absl::StatusOr<LrSchedule> LrSchedule::Parse(const std::string& spec, int64_t warmup) {
  LrSchedule s;
  s.spec_ = spec;
  s.warmup_ = warmup;
  if (warmup < 0) return absl::InvalidArgumentError("--warmup must be 0 or more");
  std::vector<std::string> f = absl::StrSplit(spec, ':');
  auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("--lr-schedule takes constant, step:N:GAMMA, exp:GAMMA or "
                     "cosine:T[:MIN], got '",
                     spec, "'"));
  };
  if (f[0] == "constant" && f.size() == 1) return s;
  if (f[0] == "step" && f.size() == 3) {
    s.kind_ = Kind::kStep;
    if (!absl::SimpleAtoi(f[1], &s.every_) || s.every_ < 1 || !absl::SimpleAtod(f[2], &s.gamma_) || !(s.gamma_ >= 0) ||
        !std::isfinite(s.gamma_)) {
      return bad();
    }
    return s;
  }
  if (f[0] == "exp" && f.size() == 2) {
    s.kind_ = Kind::kExp;
    if (!absl::SimpleAtod(f[1], &s.gamma_) || !(s.gamma_ >= 0) || !std::isfinite(s.gamma_)) return bad();
    return s;
  }
  if (f[0] == "cosine" && (f.size() == 2 || f.size() == 3)) {
    s.kind_ = Kind::kCosine;
    if (!absl::SimpleAtoi(f[1], &s.every_) || s.every_ < 1) return bad();
    if (f.size() == 3 && (!absl::SimpleAtod(f[2], &s.min_) || !(s.min_ >= 0) || !std::isfinite(s.min_))) return bad();
    return s;
  }
  return bad();
}

double LrSchedule::At(double base, int64_t step) const {
  double lr = base;
  switch (kind_) {
    case Kind::kConstant: break;
    case Kind::kStep: lr = base * std::pow(gamma_, static_cast<double>(step / every_)); break;
    case Kind::kExp: lr = base * std::pow(gamma_, static_cast<double>(step)); break;
    case Kind::kCosine: {
      double t = std::min<double>(static_cast<double>(step), static_cast<double>(every_));
      lr = min_ + (base - min_) * (1 + std::cos(std::numbers::pi * t / static_cast<double>(every_))) / 2;
      break;
    }
  }
  if (step < warmup_) lr *= static_cast<double>(step + 1) / static_cast<double>(warmup_);
  return lr;
}

}  // namespace loom::cli
