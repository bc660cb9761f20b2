// `loom summary`: the model as PyTorch's print(model) shows it, then each layer's output
// shape and parameter count, and the total.
#ifndef LOOM_FRONTENDS_SUMMARY_H_
#define LOOM_FRONTENDS_SUMMARY_H_

#include <map>
#include <string>

#include "frontends/model_file.h"
#include "ir/ir.h"

namespace loom::frontends {

// `module` is the lowered model; `value_types` the types LowerModel reported.
std::string Summarize(const proto::Model& model, const ir::Module& module,
                      const std::map<std::string, ir::TensorType>& value_types);

// 1893185 -> "1,893,185"
std::string WithThousands(int64_t n);

}  // namespace loom::frontends

#endif  // LOOM_FRONTENDS_SUMMARY_H_
