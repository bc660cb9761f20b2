// Tensor: a dense, row-major, 64-byte aligned array with a dtype and a static shape.
// The value type of the interpreter, constants in the IR, checkpoints and .npy files.
#ifndef LOOM_SUPPORT_TENSOR_H_
#define LOOM_SUPPORT_TENSOR_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "support/dtype.h"

namespace loom {

using Shape = std::vector<int64_t>;

int64_t NumElements(const Shape& shape);
// Row-major strides in elements.
std::vector<int64_t> Strides(const Shape& shape);
std::string ShapeToString(const Shape& shape);  // "[2,3]"

class Tensor {
 public:
  Tensor() : Tensor(DType::kF32, {}) {}
  // Zero-filled.
  Tensor(DType dtype, Shape shape);
  // Not filled: for a buffer that is written before it is read (a compiled function's
  // arena — large ones then cost only the pages they touch — or a copy's destination).
  static Tensor Uninitialized(DType dtype, Shape shape);
  Tensor(const Tensor& other);
  Tensor& operator=(const Tensor& other);
  Tensor(Tensor&&) noexcept = default;
  Tensor& operator=(Tensor&&) noexcept = default;

  template <typename T>
  static Tensor FromVector(Shape shape, const std::vector<T>& values);
  template <typename T>
  static Tensor Scalar(T value) { return FromVector<T>({}, {value}); }

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  int64_t num_elements() const { return num_elements_; }
  size_t byte_size() const { return num_elements_ * DTypeSize(dtype_); }

  void* raw_data() { return data_.get(); }
  const void* raw_data() const { return data_.get(); }
  template <typename T>
  std::span<T> values() {
    return {reinterpret_cast<T*>(data_.get()), static_cast<size_t>(num_elements_)};
  }
  template <typename T>
  std::span<const T> values() const {
    return {reinterpret_cast<const T*>(data_.get()), static_cast<size_t>(num_elements_)};
  }

  // Element access through double, for tests and printing (exact for f32, f64, i32, i1).
  double GetDouble(int64_t index) const;
  void SetDouble(int64_t index, double value);

  // Same dtype, same shape, same bytes.
  bool BitwiseEqual(const Tensor& other) const;
  // Same shape and dtype, row-major data reinterpreted.
  Tensor Reshaped(Shape shape) const;

 private:
  Tensor(DType dtype, Shape shape, bool zero);
  struct Free {
    void operator()(void* p) const;
  };
  DType dtype_;
  Shape shape_;
  int64_t num_elements_ = 0;
  std::unique_ptr<void, Free> data_;
};

template <typename T>
Tensor Tensor::FromVector(Shape shape, const std::vector<T>& values) {
  Tensor t(DTypeOf<T>(), std::move(shape));
  auto out = t.values<T>();
  for (size_t i = 0; i < out.size() && i < values.size(); ++i) out[i] = values[i];
  return t;
}

}  // namespace loom

#endif  // LOOM_SUPPORT_TENSOR_H_
