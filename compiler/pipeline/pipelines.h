// Named pipelines: which passes a model goes through on its way to code. The JIT, loomc,
// loom-opt (--pipeline=NAME), the benchmarks and the fuzzers take them from here.
#ifndef LOOM_COMPILER_PIPELINE_PIPELINES_H_
#define LOOM_COMPILER_PIPELINE_PIPELINES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace loom::pipeline {

struct Pipeline {
  std::string name;
  // Run on the lowered model before @train_step is derived from it: hoisting the input
  // projections first makes their gradients single GEMMs after the reverse scans.
  std::string before_autodiff;
  // Run on each function, after its sequence lengths are made explicit, before codegen.
  std::string passes;
  std::string description;

  // This pipeline without `pass` in either stage ("default without gate-fusion").
  Pipeline Without(absl::string_view pass) const;
};

// default, O1, O0 (none): every pipeline with a name, for --help.
const std::vector<Pipeline>& NamedPipelines();
const Pipeline& DefaultPipeline();
// The pipeline called `name`, or null.
const Pipeline* FindNamedPipeline(absl::string_view name);

// A name from NamedPipelines(); a name and passes it leaves out ("default,-gate-fusion");
// or a comma-separated list of passes (run on each function; nothing before autodiff).
// Unknown names and passes are errors.
absl::StatusOr<Pipeline> ParsePipeline(absl::string_view spec);

// Each named pipeline, its description and its passes, for the tools' --help.
std::string DescribePipelines(absl::string_view indent);

}  // namespace loom::pipeline

#endif  // LOOM_COMPILER_PIPELINE_PIPELINES_H_
