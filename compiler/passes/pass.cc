#include "compiler/passes/pass.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "support/status_macros.h"

namespace loom::passes {
namespace {

class BodyPass : public Pass {
 public:
  BodyPass(absl::string_view name, BodyRewrite rewrite) : name_(name), rewrite_(rewrite) {}
  absl::string_view name() const override { return name_; }
  absl::StatusOr<bool> Run(ir::Module& module) override {
    bool changed = false;
    for (const auto& f : module.functions()) {
      ASSIGN_OR_RETURN(bool c, rewrite_(f->body()));
      changed |= c;
    }
    return changed;
  }

 private:
  std::string name_;
  BodyRewrite rewrite_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Pass>> MakeBodyPass(absl::string_view name, absl::string_view options,
                                                   BodyRewrite rewrite) {
  if (!options.empty()) return absl::InvalidArgumentError(absl::StrCat(name, " takes no options"));
  return std::make_unique<BodyPass>(name, rewrite);
}

}  // namespace loom::passes
