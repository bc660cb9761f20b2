// Tensor: a dense, row-major, 64-byte aligned array with a dtype and a static shape.
// The value type of the interpreter, constants in the IR, checkpoints and .npy files.
#ifndef LOOM_TENSOR_H_
#define LOOM_TENSOR_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "loom/dtype.h"

namespace loom {

using Shape = std::vector<int64_t>;

// The most elements any type, tensor or file may have: 2^40 is 4 TiB of f32, and keeps
// the byte count of any one value, and sums of many, far from int64 overflow.
inline constexpr int64_t kMaxElements = int64_t{1} << 40;

// The product of the dimensions, saturated at INT64_MAX: a product that overflows can
// never pass a limit or equal another (a wrapped one could be anything, even 0).
int64_t NumElements(const Shape& shape);
// The byte count of `shape` in `dtype`, saturated at UINT64_MAX; sums of them with
// AddBytes, also saturated, so a total too large for memory can never wrap to small.
uint64_t ByteSize(DType dtype, const Shape& shape);
inline uint64_t AddBytes(uint64_t a, uint64_t b) { return b > UINT64_MAX - a ? UINT64_MAX : a + b; }
// OK when no dimension is negative and there are at most kMaxElements; otherwise
// "WHAT f32[..] has N elements, more than 2^40" with N exact (or to 4 digits when it
// does not fit in 128 bits).
absl::Status CheckElementCount(DType dtype, const Shape& shape, absl::string_view what);
// The exact product of the dimensions, for messages: "18446744073709551616" or "1.845e+19".
std::string ExactElementCount(const Shape& shape);
// Row-major strides in elements.
std::vector<int64_t> Strides(const Shape& shape);
std::string ShapeToString(const Shape& shape);  // "[2,3]"

class Tensor {
 public:
  Tensor() : Tensor(DType::kF32, {}) {}
  // Zero-filled. A shape of more than kMaxElements, or memory the system will not give,
  // throws AllocationFailure (support/memory.h), as std::vector throws std::bad_alloc:
  // callers check sizes first (CheckElementCount, CheckAllocation), so this is the
  // last line, which the tools turn into an error message.
  Tensor(DType dtype, Shape shape);
  // Not filled: for a buffer that is written before it is read (a compiled function's
  // arena — large ones then cost only the pages they touch — or a copy's destination).
  static Tensor Uninitialized(DType dtype, Shape shape);
  // Refers to `data`, the caller's memory (aligned to the element size), instead of
  // owning a copy: an input from numpy or another framework used without copying. The
  // memory must outlive the tensor and stay unchanged while a call reads it; copies of a
  // borrowed tensor own their data.
  static Tensor Borrowed(DType dtype, Shape shape, void* data);
  Tensor(const Tensor& other);
  Tensor& operator=(const Tensor& other);
  Tensor(Tensor&&) noexcept = default;
  Tensor& operator=(Tensor&&) noexcept = default;

  template <typename T>
  static Tensor FromVector(Shape shape, const std::vector<T>& values);
  template <typename T>
  static Tensor Scalar(T value) {
    return FromVector<T>({}, {value});
  }

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
    bool borrowed;  // value-initialized (false) by unique_ptr
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

#endif  // LOOM_TENSOR_H_
