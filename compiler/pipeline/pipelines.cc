#include "compiler/pipeline/pipelines.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "compiler/passes/pass_manager.h"
#include "compiler/pipeline/registry.h"
#include "support/status_macros.h"

namespace loom::pipeline {

const std::vector<Pipeline>& NamedPipelines() {
  static const auto* pipelines = new std::vector<Pipeline>{
      {"default", "wavefront,hoist-input-projection,dce",
       "wavefront,hoist-input-projection,gate-fusion,canonicalize,cse,dce,elementwise-fusion,concurrent-scans,"
       "early-all-reduce",
       "the loop optimizations, cleanup, fusion, then independent scans and wavefronts side by side, and "
       "gradient all-reduces started as soon as their gradients are final"},
      {"O1", "", "canonicalize,cse,dce", "cleanup only"},
      {"O0", "", "", "no passes: the lowered IR as it is"},
      {"none", "", "", "the same as O0"},
  };
  return *pipelines;
}

const Pipeline& DefaultPipeline() { return NamedPipelines().front(); }

const Pipeline* FindNamedPipeline(absl::string_view name) {
  for (const Pipeline& p : NamedPipelines()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

Pipeline Pipeline::Without(absl::string_view pass) const {
  auto drop = [&](const std::string& list) {
    std::vector<absl::string_view> kept;
    for (absl::string_view p : absl::StrSplit(list, ',', absl::SkipEmpty())) {
      if (p != pass) kept.push_back(p);
    }
    return absl::StrJoin(kept, ",");
  };
  return {absl::StrCat(name, "-", pass), drop(before_autodiff), drop(passes),
          absl::StrCat(description, ", without ", pass)};
}

absl::StatusOr<Pipeline> ParsePipeline(absl::string_view spec) {
  if (const Pipeline* named = FindNamedPipeline(spec)) return *named;
  // "default,-gate-fusion": a named pipeline without some of its passes.
  std::vector<absl::string_view> parts = absl::StrSplit(spec, ',');
  if (const Pipeline* named = FindNamedPipeline(parts[0]); named && parts.size() > 1) {
    Pipeline p = *named;
    for (size_t i = 1; i < parts.size(); ++i) {
      if (!absl::ConsumePrefix(&parts[i], "-")) {
        return absl::InvalidArgumentError(absl::StrCat(
            "pipeline '", spec, "': after a pipeline's name come only passes to leave out (-", parts[i], ")"));
      }
      RETURN_IF_ERROR(CreatePass(parts[i]).status());
      p = p.Without(parts[i]);
    }
    return p;
  }
  // A list of passes: each must exist (and take its options) now, not at the first compile.
  passes::PassManager check;
  absl::Status valid = AddPasses(check, spec);
  if (!valid.ok()) {
    std::vector<std::string> names;
    for (const Pipeline& p : NamedPipelines()) names.push_back(p.name);
    return absl::InvalidArgumentError(absl::StrCat(valid.message(), " (a pipeline is one of ",
                                                   absl::StrJoin(names, ", "),
                                                   ", or a comma-separated list of passes)"));
  }
  return Pipeline{std::string(spec), "", std::string(spec), "these passes"};
}

std::string DescribePipelines(absl::string_view indent) {
  std::string out;
  for (const Pipeline& p : NamedPipelines()) {
    absl::StrAppendFormat(&out, "%s%-8s %s\n", indent, p.name, p.description);
    if (!p.passes.empty()) absl::StrAppend(&out, indent, "         = ", p.passes, "\n");
  }
  return out;
}

}  // namespace loom::pipeline
