#include "loom/tensor.h"

#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "support/memory.h"

namespace loom {

int64_t NumElements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d == 0) return 0;
  }
  for (int64_t d : shape) {
    if (__builtin_mul_overflow(n, d, &n)) return INT64_MAX;
  }
  return n;
}

uint64_t ByteSize(DType dtype, const Shape& shape) {
  int64_t n = NumElements(shape);
  uint64_t bytes;
  if (n < 0 || __builtin_mul_overflow(static_cast<uint64_t>(n), DTypeSize(dtype), &bytes)) return UINT64_MAX;
  return bytes;
}

std::string ExactElementCount(const Shape& shape) {
  unsigned __int128 n = 1;
  long double approx = 1;
  bool exact = true;
  for (int64_t d : shape) {
    approx *= static_cast<long double>(d);
    exact = exact && d >= 0 && !__builtin_mul_overflow(n, static_cast<unsigned __int128>(d), &n);
  }
  if (!exact) return absl::StrFormat("%.4Lg", approx);
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(n % 10)));
    n /= 10;
  } while (n != 0);
  return digits;
}

absl::Status CheckElementCount(DType dtype, const Shape& shape, absl::string_view what) {
  for (int64_t d : shape) {
    if (d < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " ", DTypeName(dtype), ShapeToString(shape), " has a negative dimension"));
    }
  }
  if (NumElements(shape) <= kMaxElements) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat(what, " ", DTypeName(dtype), ShapeToString(shape), " has ",
                                                   ExactElementCount(shape), " elements, more than 2^40"));
}

std::vector<int64_t> Strides(const Shape& shape) {
  std::vector<int64_t> strides(shape.size());
  int64_t s = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

std::string ShapeToString(const Shape& shape) { return "[" + absl::StrJoin(shape, ",") + "]"; }

void Tensor::Free::operator()(void* p) const {
  if (!borrowed) std::free(p);
}

Tensor::Tensor(DType dtype, Shape shape, bool zero)
    : dtype_(dtype), shape_(std::move(shape)), num_elements_(NumElements(shape_)) {
  if (num_elements_ < 0 || num_elements_ > kMaxElements) throw AllocationFailure(ByteSize(dtype_, shape_));
  // aligned_alloc needs a size that is a multiple of the alignment, and never zero.
  size_t bytes = (byte_size() + 63) / 64 * 64;
  if (bytes == 0) bytes = 64;
  data_.reset(std::aligned_alloc(64, bytes));
  if (data_ == nullptr) throw AllocationFailure(bytes);
  if (zero) std::memset(data_.get(), 0, bytes);
}

Tensor::Tensor(DType dtype, Shape shape) : Tensor(dtype, std::move(shape), /*zero=*/true) {}

Tensor Tensor::Uninitialized(DType dtype, Shape shape) { return Tensor(dtype, std::move(shape), /*zero=*/false); }

Tensor Tensor::Borrowed(DType dtype, Shape shape, void* data) {
  Tensor t(dtype, {});  // a scalar's 64 bytes, replaced
  t.shape_ = std::move(shape);
  t.num_elements_ = NumElements(t.shape_);
  if (t.num_elements_ < 0 || t.num_elements_ > kMaxElements) throw AllocationFailure(ByteSize(dtype, t.shape_));
  t.data_ = std::unique_ptr<void, Free>(data, Free{.borrowed = true});
  return t;
}

Tensor::Tensor(const Tensor& other) : Tensor(other.dtype_, other.shape_, /*zero=*/false) {
  std::memcpy(data_.get(), other.data_.get(), byte_size());
}

Tensor& Tensor::operator=(const Tensor& other) {
  if (this != &other) *this = Tensor(other);
  return *this;
}

double Tensor::GetDouble(int64_t index) const {
  return VisitDType(dtype_, [&](auto t) { return static_cast<double>(values<decltype(t)>()[index]); });
}

void Tensor::SetDouble(int64_t index, double value) {
  VisitDType(dtype_, [&](auto t) {
    using T = decltype(t);
    values<T>()[index] = static_cast<T>(value);
  });
}

bool Tensor::BitwiseEqual(const Tensor& other) const {
  return dtype_ == other.dtype_ && shape_ == other.shape_ &&
         std::memcmp(raw_data(), other.raw_data(), byte_size()) == 0;
}

Tensor Tensor::Reshaped(Shape shape) const {
  Tensor t(dtype_, std::move(shape));
  std::memcpy(t.raw_data(), raw_data(), std::min(byte_size(), t.byte_size()));
  return t;
}

}  // namespace loom
