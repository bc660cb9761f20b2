// numpy arrays in and out of Loom's Tensors. Inputs are used where they lie: a
// C-contiguous, aligned array of the input's dtype becomes a borrowed Tensor (no copy);
// int32 token ids are widened to int64 (a copy, as `loom run` does). Outputs become
// arrays that own the Tensor's memory (no copy either).
#ifndef LOOM_PYTHON_ARRAYS_H_
#define LOOM_PYTHON_ARRAYS_H_

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "ir/types.h"
#include "loom/tensor.h"

namespace loom::python {

// `value` as the input `name` of type `want`, or a ValueError saying what is wrong with
// it, in the words of `loom run`. The tensor may borrow the array's memory: the array
// is appended to `keep`, which must outlive the tensor's uses.
Tensor InputTensor(pybind11::handle value, const ir::TensorType& want, const std::string& name,
                   std::vector<pybind11::object>& keep);

// Any array (or what numpy.asarray accepts) as an owned Tensor: a parameter's value.
Tensor CopyToTensor(pybind11::handle value, const std::string& name);

// The array that takes over `t`'s memory.
pybind11::array ToArray(Tensor t);

}  // namespace loom::python

#endif  // LOOM_PYTHON_ARRAYS_H_
