// TensorType: a dtype and a static shape. Scalars are rank-0 tensors.
#ifndef LOOM_IR_TYPES_H_
#define LOOM_IR_TYPES_H_

#include <string>

#include "loom/dtype.h"
#include "loom/tensor.h"

namespace loom::ir {

struct TensorType {
  DType dtype = DType::kF32;
  Shape shape;

  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  int64_t num_elements() const { return NumElements(shape); }
  bool operator==(const TensorType&) const = default;
  std::string ToString() const;  // "f32[4,8]", "i64[]"
};

inline TensorType TypeOf(const Tensor& t) { return {t.dtype(), t.shape()}; }

}  // namespace loom::ir

#endif  // LOOM_IR_TYPES_H_
