#include "compiler/passes/pass_manager.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "support/status_macros.h"

namespace loom::passes {

absl::Status PassManager::Run(ir::Module& module) {
  timings_.clear();
  for (const auto& pass : passes_) {
    auto start = std::chrono::steady_clock::now();
    absl::StatusOr<bool> changed = pass->Run(module);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    timings_.push_back({std::string(pass->name()), seconds});
    if (!changed.ok()) {
      return absl::Status(changed.status().code(),
                          absl::StrCat("pass '", pass->name(), "': ", changed.status().message()));
    }
    if (options_.print_after_all) {
      *options_.print_after_all << "// -----// IR after " << pass->name() << " //----- //\n" << ir::Print(module);
    }
    if (options_.verify_each) {
      absl::Status verified = ir::Verify(module);
      if (!verified.ok()) {
        return absl::InternalError(absl::StrCat("pass '", pass->name(), "' produced invalid IR: ", verified.message()));
      }
    }
  }
  return absl::OkStatus();
}

std::string PassManager::TimingReport() const {
  double total = 0;
  for (const auto& [name, s] : timings_) total += s;
  std::string out = "===- Pass execution timing report -===\n";
  for (const auto& [name, s] : timings_) {
    absl::StrAppendFormat(&out, "  %10.6f s  %5.1f%%  %s\n", s, total > 0 ? 100.0 * s / total : 0.0, name);
  }
  absl::StrAppendFormat(&out, "  %10.6f s  100.0%%  total\n", total);
  return out;
}

}  // namespace loom::passes
