// Prints a tensor as nested brackets, for loom-opt --run.
#ifndef LOOM_TOOLS_LOOM_OPT_TENSOR_FORMAT_H_
#define LOOM_TOOLS_LOOM_OPT_TENSOR_FORMAT_H_

#include <string>

#include "loom/tensor.h"

namespace loom {

// "[[1, 2], [3, 4]]"; floats with 7 significant digits.
std::string FormatTensorValues(const Tensor& t);

}  // namespace loom

#endif  // LOOM_TOOLS_LOOM_OPT_TENSOR_FORMAT_H_
