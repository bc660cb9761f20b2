// PassManager: runs passes in order, verifying, printing and timing as asked.
#ifndef LOOM_COMPILER_PASSES_PASS_MANAGER_H_
#define LOOM_COMPILER_PASSES_PASS_MANAGER_H_

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "compiler/passes/pass.h"

namespace loom::passes {

struct PassManagerOptions {
  bool verify_each = true;
  std::ostream* print_after_all = nullptr;  // IR after every pass, when set
  bool timing = false;
};

class PassManager {
 public:
  explicit PassManager(PassManagerOptions options = {}) : options_(options) {}
  void AddPass(std::unique_ptr<Pass> pass) { passes_.push_back(std::move(pass)); }
  bool empty() const { return passes_.empty(); }

  absl::Status Run(ir::Module& module);
  // One line per pass with its wall time, after Run with timing on.
  std::string TimingReport() const;

 private:
  PassManagerOptions options_;
  std::vector<std::unique_ptr<Pass>> passes_;
  std::vector<std::pair<std::string, double>> timings_;
};

}  // namespace loom::passes

#endif  // LOOM_COMPILER_PASSES_PASS_MANAGER_H_
