// What compiled code cannot check for itself in a model's inputs: a NaN or an infinity
// would come out as non-finite outputs, not an error, and a token id outside an
// embedding's (or one-hot's) table reads zeros in compiled code (the interpreter reports
// it) — a silent wrong answer. `loom run` and the Python module check both first.
#ifndef LOOM_FRONTENDS_INPUT_VALUES_H_
#define LOOM_FRONTENDS_INPUT_VALUES_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "frontends/model_file.h"
#include "loom/tensor.h"

namespace loom::frontends {

// OK when `values` (the model's input named `input`) is finite, or its token ids index
// every layer that reads them; `vocab` is what -1 sizes stand for.
absl::Status CheckInputValues(const proto::Model& model, int64_t vocab, const std::string& input, const Tensor& values);

}  // namespace loom::frontends

#endif  // LOOM_FRONTENDS_INPUT_VALUES_H_
