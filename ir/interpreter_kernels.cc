// One kernel per op. Each is the textbook definition over row-major indices; the only
// care taken is to define what C++ leaves undefined (integer overflow wraps, integer
// division by zero is an error, float-to-int casts saturate and send NaN to 0).
#include "ir/interpreter_kernels.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "ir/random_draws.h"
#include "support/philox.h"
#include "support/status_macros.h"

namespace loom::ir {
namespace {

using Operands = std::span<const Tensor* const>;
using Results = absl::StatusOr<std::vector<Tensor>>;

Tensor Out(const Op& op, int i = 0) {
  const TensorType& t = op.result(i)->type();
  return Tensor(t.dtype, t.shape);
}

// ---- Arithmetic with C++'s undefined corners defined ----

template <typename T>
T Wrap(std::make_unsigned_t<T> v) {
  return static_cast<T>(v);
}
template <typename T>
T AddOf(T a, T b) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    using U = std::make_unsigned_t<T>;
    return Wrap<T>(static_cast<U>(a) + static_cast<U>(b));
  } else {
    return a + b;
  }
}
template <typename T>
T SubOf(T a, T b) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    using U = std::make_unsigned_t<T>;
    return Wrap<T>(static_cast<U>(a) - static_cast<U>(b));
  } else {
    return a - b;
  }
}
template <typename T>
T MulOf(T a, T b) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    using U = std::make_unsigned_t<T>;
    return Wrap<T>(static_cast<U>(a) * static_cast<U>(b));
  } else {
    return a * b;
  }
}

template <typename T>
bool IsNan(T v) {
  if constexpr (std::is_floating_point_v<T>) return std::isnan(v);
  return false;
}

// Saturating conversion; NaN becomes 0, as LLVM's fptosi.sat does.
template <typename To, typename From>
To Convert(From v) {
  if constexpr (std::is_same_v<To, bool>) {
    return v != From(0);
  } else if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To>) {
    if (std::isnan(v)) return 0;
    if (v <= static_cast<From>(std::numeric_limits<To>::min())) return std::numeric_limits<To>::min();
    if (v >= static_cast<From>(std::numeric_limits<To>::max())) return std::numeric_limits<To>::max();
    return static_cast<To>(v);
  } else {
    return static_cast<To>(v);
  }
}

// ---- Elementwise ----

template <typename F>
Results MapUnary(const Op& op, const Tensor& x, F f) {
  Tensor out = Out(op);
  VisitDType(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (!std::is_same_v<T, bool>) {
      auto in = x.values<T>();
      auto o = out.values<T>();
      for (size_t i = 0; i < in.size(); ++i) o[i] = f(in[i]);
    }
  });
  return std::vector<Tensor>{std::move(out)};
}

template <typename F>
Results MapUnaryFloat(const Op& op, const Tensor& x, F f) {
  return MapUnary(op, x, [&](auto v) {
    using T = decltype(v);
    if constexpr (std::is_floating_point_v<T>) return f(v);
    return v;  // unreachable: the shape rule admits only floats
  });
}

Results KNeg(const Op& op, Operands in, KernelContext&) {
  return MapUnary(op, *in[0], [](auto v) {
    if constexpr (std::is_floating_point_v<decltype(v)>) return -v;  // neg(0) is -0
    return SubOf(decltype(v){0}, v);
  });
}
Results KAbs(const Op& op, Operands in, KernelContext&) {
  return MapUnary(op, *in[0], [](auto v) {
    if constexpr (std::is_floating_point_v<decltype(v)>) return std::abs(v);
    return v < 0 ? SubOf(decltype(v){0}, v) : v;
  });
}
Results KRelu(const Op& op, Operands in, KernelContext&) {
  // relu(x) = x < 0 ? 0 : x, so NaN passes through as in PyTorch.
  return MapUnary(op, *in[0], [](auto v) { return v < 0 ? decltype(v){0} : v; });
}
Results KExp(const Op& op, Operands in, KernelContext&) {
  return MapUnaryFloat(op, *in[0], [](auto v) { return std::exp(v); });
}
Results KLog(const Op& op, Operands in, KernelContext&) {
  return MapUnaryFloat(op, *in[0], [](auto v) { return std::log(v); });
}
Results KTanh(const Op& op, Operands in, KernelContext&) {
  return MapUnaryFloat(op, *in[0], [](auto v) { return std::tanh(v); });
}
Results KSigmoid(const Op& op, Operands in, KernelContext&) {
  return MapUnaryFloat(op, *in[0], [](auto v) {
    using T = decltype(v);
    return T(1) / (T(1) + std::exp(-v));
  });
}
Results KSqrt(const Op& op, Operands in, KernelContext&) {
  return MapUnaryFloat(op, *in[0], [](auto v) { return std::sqrt(v); });
}
Results KRsqrt(const Op& op, Operands in, KernelContext&) {
  return MapUnaryFloat(op, *in[0], [](auto v) { return decltype(v)(1) / std::sqrt(v); });
}
Results KStopGradient(const Op&, Operands in, KernelContext&) { return std::vector<Tensor>{*in[0]}; }

Results KCast(const Op& op, Operands in, KernelContext&) {
  Tensor out = Out(op);
  VisitDType(in[0]->dtype(), [&](auto from_tag) {
    using From = decltype(from_tag);
    VisitDType(out.dtype(), [&](auto to_tag) {
      using To = decltype(to_tag);
      auto src = in[0]->values<From>();
      auto dst = out.values<To>();
      for (size_t i = 0; i < src.size(); ++i) dst[i] = Convert<To>(src[i]);
    });
  });
  return std::vector<Tensor>{std::move(out)};
}

// f(a, b) -> T, or an error message (integer division by zero).
template <typename F>
Results MapBinary(const Op& op, const Tensor& a, const Tensor& b, F f) {
  Tensor out = Out(op);
  std::string error;
  VisitDType(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (!std::is_same_v<T, bool>) {
      auto x = a.values<T>(), y = b.values<T>();
      auto o = out.values<T>();
      for (size_t i = 0; i < o.size() && error.empty(); ++i) o[i] = f(x[i], y[i], error);
    }
  });
  if (!error.empty()) return absl::InvalidArgumentError(absl::StrCat("'", op.name(), "' ", error));
  return std::vector<Tensor>{std::move(out)};
}

Results KAdd(const Op& op, Operands in, KernelContext&) {
  return MapBinary(op, *in[0], *in[1], [](auto a, auto b, std::string&) { return AddOf(a, b); });
}
Results KSub(const Op& op, Operands in, KernelContext&) {
  return MapBinary(op, *in[0], *in[1], [](auto a, auto b, std::string&) { return SubOf(a, b); });
}
Results KMul(const Op& op, Operands in, KernelContext&) {
  return MapBinary(op, *in[0], *in[1], [](auto a, auto b, std::string&) { return MulOf(a, b); });
}
Results KDiv(const Op& op, Operands in, KernelContext&) {
  return MapBinary(op, *in[0], *in[1], [](auto a, auto b, std::string& error) {
    using T = decltype(a);
    if constexpr (std::is_integral_v<T>) {
      if (b == 0) {
        error = "integer division by zero";
        return T{0};
      }
      if (b == -1) return SubOf(T{0}, a);  // min / -1 wraps instead of trapping
    }
    return a / b;
  });
}
// NaN wins, as in PyTorch's maximum/minimum.
Results KMax(const Op& op, Operands in, KernelContext&) {
  return MapBinary(op, *in[0], *in[1], [](auto a, auto b, std::string&) {
    if (IsNan(a)) return a;
    if (IsNan(b)) return b;
    return a >= b ? a : b;
  });
}
Results KMin(const Op& op, Operands in, KernelContext&) {
  return MapBinary(op, *in[0], *in[1], [](auto a, auto b, std::string&) {
    if (IsNan(a)) return a;
    if (IsNan(b)) return b;
    return a <= b ? a : b;
  });
}
Results KPow(const Op& op, Operands in, KernelContext&) {
  return MapBinary(op, *in[0], *in[1], [](auto a, auto b, std::string&) {
    using T = decltype(a);
    if constexpr (std::is_floating_point_v<T>) return std::pow(a, b);
    return a;  // unreachable: floats only
  });
}

Results KCompare(const Op& op, Operands in, KernelContext&) {
  Tensor out = Out(op);
  const std::string& dir = op.Attr<std::string>("direction");
  VisitDType(in[0]->dtype(), [&](auto tag) {
    using T = decltype(tag);
    auto x = in[0]->values<T>(), y = in[1]->values<T>();
    auto o = out.values<bool>();
    for (size_t i = 0; i < o.size(); ++i) {
      T a = x[i], b = y[i];
      o[i] = dir == "eq"   ? a == b
             : dir == "ne" ? a != b
             : dir == "lt" ? a < b
             : dir == "le" ? a <= b
             : dir == "gt" ? a > b
                           : a >= b;
    }
  });
  return std::vector<Tensor>{std::move(out)};
}

Results KSelect(const Op& op, Operands in, KernelContext&) {
  Tensor out = Out(op);
  size_t width = DTypeSize(out.dtype());
  auto cond = in[0]->values<bool>();
  char* o = static_cast<char*>(out.raw_data());
  for (size_t i = 0; i < cond.size(); ++i) {
    const Tensor* src = cond[i] ? in[1] : in[2];
    std::memcpy(o + i * width, static_cast<const char*>(src->raw_data()) + i * width, width);
  }
  return std::vector<Tensor>{std::move(out)};
}

// ---- Linear algebra and reductions ----

Results KMatmul(const Op& op, Operands in, KernelContext&) {
  Tensor out = Out(op);
  const Tensor &a = *in[0], &b = *in[1];
  bool ta = op.BoolAttr("transpose_a"), tb = op.BoolAttr("transpose_b");
  int64_t r = a.rank();
  int64_t batch = r == 3 ? a.shape()[0] : 1;
  int64_t m = out.shape()[r - 2], n = out.shape()[r - 1];
  int64_t k = a.shape()[r - (ta ? 2 : 1)];
  // Element (i, kk) of A is at i * a_i + kk * a_k within its batch.
  int64_t a_i = ta ? 1 : k, a_k = ta ? m : 1;
  VisitDType(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (!std::is_same_v<T, bool>) {
      for (int64_t bt = 0; bt < batch; ++bt) {
        const T* pa = a.values<T>().data() + bt * m * k;
        const T* pb = b.values<T>().data() + bt * k * n;
        T* po = out.values<T>().data() + bt * m * n;
        // Either loop order adds each output's products in k order from zero; the one
        // chosen walks B along its rows (B transposed, as nn.Linear keeps weights, is
        // otherwise read a column at a time: ten times slower at a model's sizes).
        if (tb) {
          for (int64_t i = 0; i < m; ++i) {
            for (int64_t j = 0; j < n; ++j) {
              T sum{0};
              for (int64_t kk = 0; kk < k; ++kk) sum = AddOf(sum, MulOf(pa[i * a_i + kk * a_k], pb[j * k + kk]));
              po[i * n + j] = sum;
            }
          }
        } else {
          for (int64_t i = 0; i < m; ++i) {
            for (int64_t kk = 0; kk < k; ++kk) {
              T av = pa[i * a_i + kk * a_k];
              for (int64_t j = 0; j < n; ++j) po[i * n + j] = AddOf(po[i * n + j], MulOf(av, pb[kk * n + j]));
            }
          }
        }
      }
    }
  });
  return std::vector<Tensor>{std::move(out)};
}

// Maps each input element to its output element: the input's strides with the reduced
// axes' zeroed, expressed in output strides.
std::vector<int64_t> ReducedStrides(const Shape& in_shape, const std::vector<int64_t>& axes) {
  Shape kept;
  for (size_t d = 0; d < in_shape.size(); ++d) {
    if (!std::count(axes.begin(), axes.end(), int64_t(d))) kept.push_back(in_shape[d]);
  }
  std::vector<int64_t> out_strides = Strides(kept), result(in_shape.size(), 0);
  for (size_t d = 0, o = 0; d < in_shape.size(); ++d) {
    if (!std::count(axes.begin(), axes.end(), int64_t(d))) result[d] = out_strides[o++];
  }
  return result;
}

// Calls fn(linear input index, matching offset in another tensor) over all of `shape`,
// with `strides` giving that other tensor's offsets per dimension.
template <typename F>
void ForEachIndex(const Shape& shape, const std::vector<int64_t>& strides, F fn) {
  int64_t n = NumElements(shape);
  std::vector<int64_t> idx(shape.size(), 0);
  int64_t offset = 0;
  for (int64_t i = 0; i < n; ++i) {
    fn(i, offset);
    for (size_t d = shape.size(); d-- > 0;) {
      offset += strides[d];
      if (++idx[d] < shape[d]) break;
      offset -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
}

template <bool kMax>
Results KReduce(const Op& op, Operands in, KernelContext&) {
  Tensor out = Out(op);
  const Tensor& x = *in[0];
  std::vector<int64_t> to_out = ReducedStrides(x.shape(), op.IntsAttr("axes"));
  VisitDType(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (!std::is_same_v<T, bool>) {
      auto o = out.values<T>();
      auto v = x.values<T>();
      if constexpr (kMax) {
        T lowest = std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity()
                                                        : std::numeric_limits<T>::lowest();
        for (T& e : o) e = lowest;
      }
      ForEachIndex(x.shape(), to_out, [&](int64_t i, int64_t j) {
        if constexpr (kMax) {
          if (IsNan(o[j])) return;
          if (IsNan(v[i]) || v[i] > o[j]) o[j] = v[i];
        } else {
          o[j] = AddOf(o[j], v[i]);
        }
      });
    }
  });
  return std::vector<Tensor>{std::move(out)};
}

// ---- Data movement ----

// Copies element `from` of `src` to element `to` of `dst` (same dtype).
inline void CopyElement(const Tensor& src, int64_t from, Tensor& dst, int64_t to, size_t width) {
  std::memcpy(static_cast<char*>(dst.raw_data()) + to * width, static_cast<const char*>(src.raw_data()) + from * width,
              width);
}

// Gathers out[i] = x[offset(i)] for offsets given by strides over the output shape plus
// a base offset.
Tensor Strided(const Op& op, const Tensor& x, const std::vector<int64_t>& strides, int64_t base) {
  Tensor out = Out(op);
  size_t width = DTypeSize(x.dtype());
  ForEachIndex(out.shape(), strides, [&](int64_t i, int64_t j) { CopyElement(x, base + j, out, i, width); });
  return out;
}

Results KReshape(const Op& op, Operands in, KernelContext&) {
  return std::vector<Tensor>{in[0]->Reshaped(op.result(0)->type().shape)};
}

Results KTranspose(const Op& op, Operands in, KernelContext&) {
  std::vector<int64_t> in_strides = Strides(in[0]->shape()), strides;
  for (int64_t p : op.IntsAttr("perm")) strides.push_back(in_strides[p]);
  return std::vector<Tensor>{Strided(op, *in[0], strides, 0)};
}

Results KBroadcastInDim(const Op& op, Operands in, KernelContext&) {
  const Tensor& x = *in[0];
  std::vector<int64_t> in_strides = Strides(x.shape());
  std::vector<int64_t> strides(op.result(0)->type().rank(), 0);
  const auto& dims = op.IntsAttr("dims");
  for (size_t i = 0; i < dims.size(); ++i) {
    if (x.shape()[i] != 1) strides[dims[i]] = in_strides[i];
  }
  return std::vector<Tensor>{Strided(op, x, strides, 0)};
}

Results KSlice(const Op& op, Operands in, KernelContext&) {
  const Tensor& x = *in[0];
  std::vector<int64_t> in_strides = Strides(x.shape());
  const auto& start = op.IntsAttr("start");
  std::vector<int64_t> steps(x.rank(), 1);
  if (op.HasAttr("strides")) steps = op.IntsAttr("strides");
  std::vector<int64_t> strides(x.rank());
  int64_t base = 0;
  for (int64_t d = 0; d < x.rank(); ++d) {
    strides[d] = in_strides[d] * steps[d];
    base += start[d] * in_strides[d];
  }
  return std::vector<Tensor>{Strided(op, x, strides, base)};
}

Results KPad(const Op& op, Operands in, KernelContext&) {
  Tensor out = Out(op);
  const Tensor& x = *in[0];
  const auto& low = op.IntsAttr("low");
  std::vector<int64_t> interior(x.rank(), 0);
  if (op.HasAttr("interior")) interior = op.IntsAttr("interior");
  std::vector<int64_t> out_strides = Strides(out.shape()), strides(x.rank());
  int64_t base = 0;
  for (int64_t d = 0; d < x.rank(); ++d) {
    strides[d] = out_strides[d] * (interior[d] + 1);
    base += low[d] * out_strides[d];
  }
  size_t width = DTypeSize(x.dtype());
  ForEachIndex(x.shape(), strides, [&](int64_t i, int64_t j) { CopyElement(x, i, out, base + j, width); });
  return std::vector<Tensor>{std::move(out)};
}

Results KConcat(const Op& op, Operands in, KernelContext&) {
  Tensor out = Out(op);
  int64_t axis = op.IntAttr("axis");
  size_t width = DTypeSize(out.dtype());
  const Shape& shape = out.shape();
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= shape[d];
  for (int64_t d = axis + 1; d < out.rank(); ++d) inner *= shape[d];
  char* dst = static_cast<char*>(out.raw_data());
  int64_t out_row = shape[axis] * inner * width, offset = 0;
  for (const Tensor* t : in) {
    int64_t row = t->shape()[axis] * inner * width;
    const char* src = static_cast<const char*>(t->raw_data());
    for (int64_t o = 0; o < outer; ++o) std::memcpy(dst + o * out_row + offset, src + o * row, row);
    offset += row;
  }
  return std::vector<Tensor>{std::move(out)};
}

// Reads index i of an integer tensor.
int64_t IndexAt(const Tensor& ids, int64_t i) {
  return ids.dtype() == DType::kI32 ? ids.values<int32_t>()[i] : ids.values<int64_t>()[i];
}

Results KGather(const Op& op, Operands in, KernelContext&) {
  Tensor out = Out(op);
  const Tensor &table = *in[0], &ids = *in[1];
  int64_t rows = table.shape()[0];
  size_t row_bytes = rows ? table.byte_size() / rows : 0;
  for (int64_t i = 0; i < ids.num_elements(); ++i) {
    int64_t r = IndexAt(ids, i);
    if (r < 0 || r >= rows) {
      return absl::InvalidArgumentError(
          absl::StrCat("'gather' index ", r, " is out of range for a table of ", rows, " rows"));
    }
    std::memcpy(static_cast<char*>(out.raw_data()) + i * row_bytes,
                static_cast<const char*>(table.raw_data()) + r * row_bytes, row_bytes);
  }
  return std::vector<Tensor>{std::move(out)};
}

Results KScatterAdd(const Op&, Operands in, KernelContext&) {
  Tensor out = *in[0];
  const Tensor &ids = *in[1], &upd = *in[2];
  int64_t rows = out.shape()[0];
  int64_t row = rows ? out.num_elements() / rows : 0;
  std::string error;
  VisitDType(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    auto o = out.values<T>();
    auto u = upd.values<T>();
    for (int64_t i = 0; i < ids.num_elements() && error.empty(); ++i) {
      int64_t r = IndexAt(ids, i);
      if (r < 0 || r >= rows) {
        error = absl::StrCat("'scatter_add' index ", r, " is out of range for ", rows, " rows");
        return;
      }
      for (int64_t e = 0; e < row; ++e) o[r * row + e] = AddOf(o[r * row + e], u[i * row + e]);
    }
  });
  if (!error.empty()) return absl::InvalidArgumentError(error);
  return std::vector<Tensor>{std::move(out)};
}

// Indices outside [0, depth) give an all-zero row.
Results KOneHot(const Op& op, Operands in, KernelContext&) {
  Tensor out = Out(op);
  int64_t depth = op.IntAttr("depth");
  for (int64_t i = 0; i < in[0]->num_elements(); ++i) {
    int64_t k = IndexAt(*in[0], i);
    if (k >= 0 && k < depth) out.SetDouble(i * depth + k, 1);
  }
  return std::vector<Tensor>{std::move(out)};
}

// ---- Sources ----

Results KIota(const Op& op, Operands, KernelContext&) {
  Tensor out = Out(op);
  int64_t dim = op.IntAttr("dim");
  std::vector<int64_t> strides(out.rank(), 0);
  strides[dim] = 1;
  ForEachIndex(out.shape(), strides, [&](int64_t i, int64_t j) { out.SetDouble(i, double(j)); });
  return std::vector<Tensor>{std::move(out)};
}

Results KConstant(const Op& op, Operands, KernelContext&) { return std::vector<Tensor>{op.Attr<Tensor>("value")}; }

uint64_t Counter(const Tensor& c) { return static_cast<uint64_t>(IndexAt(c, 0)); }

// Element i's draw index (ir/random_draws.h).
uint64_t DrawIndex(const std::optional<BatchDraws>& batch, uint64_t i) {
  return batch ? BatchMajorIndex(i, batch->inner, batch->rows, batch->per_row, batch->offset) : i;
}

Results KRandomUniform(const Op& op, Operands in, KernelContext&) {
  Tensor out = Out(op);
  uint64_t seed = op.IntAttr("seed"), counter = Counter(*in[0]);
  double low = op.FloatAttr("low", 0.0), high = op.FloatAttr("high", 1.0);
  std::optional<BatchDraws> batch = BatchDrawsOf(op);
  for (int64_t i = 0; i < out.num_elements(); ++i) {
    auto bits = RandomBits(seed, counter, DrawIndex(batch, i));
    if (out.dtype() == DType::kF32) {
      float lo = static_cast<float>(low), hi = static_cast<float>(high);
      out.values<float>()[i] = lo + (hi - lo) * UniformFloat(bits);
    } else {
      out.values<double>()[i] = low + (high - low) * UniformDouble(bits);
    }
  }
  return std::vector<Tensor>{std::move(out)};
}

Results KBernoulli(const Op& op, Operands in, KernelContext&) {
  Tensor out = Out(op);
  uint64_t seed = op.IntAttr("seed"), counter = Counter(*in[0]);
  double p = op.FloatAttr("p", 0.5);
  std::optional<BatchDraws> batch = BatchDrawsOf(op);
  auto o = out.values<bool>();
  for (size_t i = 0; i < o.size(); ++i) o[i] = BernoulliDraw(RandomBits(seed, counter, DrawIndex(batch, i)), p);
  return std::vector<Tensor>{std::move(out)};
}

// ---- Across ranks ----

// The operands packed into one buffer, summed over the ranks, unpacked: one message, as
// generated code sends it.
Results KAllReduce(const Op&, Operands in, KernelContext& ctx) {
  std::vector<Tensor> out;
  for (const Tensor* t : in) out.push_back(*t);
  if (ctx.collectives == nullptr || ctx.collectives->size() == 1) return out;
  int64_t count = 0;
  for (const Tensor& t : out) count += t.num_elements();
  DType dtype = out[0].dtype();
  Tensor bucket = Tensor::Uninitialized(dtype, {count});
  auto* bytes = static_cast<char*>(bucket.raw_data());
  for (const Tensor& t : out) {
    std::memcpy(bytes, t.raw_data(), t.byte_size());
    bytes += t.byte_size();
  }
  RETURN_IF_ERROR(AllReduce(*ctx.collectives, bucket.raw_data(), count, dtype));
  bytes = static_cast<char*>(bucket.raw_data());
  for (Tensor& t : out) {
    std::memcpy(t.raw_data(), bytes, t.byte_size());
    bytes += t.byte_size();
  }
  return out;
}

// ---- Globals ----

absl::StatusOr<Tensor*> FindGlobal(const Op& op, KernelContext& ctx) {
  const std::string& name = op.Attr<SymbolRef>("global").name;
  if (ctx.globals == nullptr) return absl::FailedPreconditionError("no module globals here");
  auto it = ctx.globals->find(name);
  if (it == ctx.globals->end()) return absl::NotFoundError(absl::StrCat("no global @", name));
  return &it->second;
}

Results KLoad(const Op& op, Operands, KernelContext& ctx) {
  ASSIGN_OR_RETURN(Tensor * g, FindGlobal(op, ctx));
  return std::vector<Tensor>{*g};
}

Results KStore(const Op& op, Operands in, KernelContext& ctx) {
  ASSIGN_OR_RETURN(Tensor * g, FindGlobal(op, ctx));
  *g = *in[0];
  return std::vector<Tensor>{};
}

// ---- Regions ----

// Row b (along the leading dimension) of t.
size_t RowBytes(const Tensor& t) { return t.shape()[0] ? t.byte_size() / t.shape()[0] : 0; }
char* Row(Tensor& t, int64_t b) { return static_cast<char*>(t.raw_data()) + b * RowBytes(t); }
const char* Row(const Tensor& t, int64_t b) { return static_cast<const char*>(t.raw_data()) + b * RowBytes(t); }

// carries, steps sliced on axis 0, invariants -> final carries, step outputs stacked.
// With lengths, a sequence whose length has passed keeps its carry and outputs zeros.
Results KScan(const Op& op, Operands in, KernelContext& ctx) {
  int nc = op.segment_sizes()[0], ns = op.segment_sizes()[1], ni = op.segment_sizes()[2];
  bool has_lengths = op.segment_sizes()[3] == 1;
  int64_t length = op.IntAttr("length");
  bool reverse = op.BoolAttr("reverse");
  std::vector<Tensor> carries;
  for (int i = 0; i < nc; ++i) carries.push_back(*in[i]);
  std::vector<Tensor> outputs;
  for (int i = nc; i < op.num_results(); ++i) outputs.push_back(Out(op, i));
  std::vector<Tensor> slices;
  for (int s = 0; s < ns; ++s) {
    const Shape& x = in[nc + s]->shape();
    slices.emplace_back(in[nc + s]->dtype(), Shape(x.begin() + 1, x.end()));
  }
  for (int64_t it = 0; it < length; ++it) {
    int64_t t = reverse ? length - 1 - it : it;
    std::vector<const Tensor*> args;
    for (const Tensor& c : carries) args.push_back(&c);
    for (int s = 0; s < ns; ++s) {
      std::memcpy(slices[s].raw_data(), Row(*in[nc + s], t), slices[s].byte_size());
      args.push_back(&slices[s]);
    }
    for (int v = 0; v < ni; ++v) args.push_back(in[nc + ns + v]);
    absl::StatusOr<std::vector<Tensor>> step = ctx.run_block(*op.region(), args);
    if (!step.ok()) {
      if (ctx.anomaly_op != nullptr) ctx.anomaly_steps.insert(ctx.anomaly_steps.begin(), t);
      return step.status();
    }
    std::vector<Tensor> ys = *std::move(step);
    if (has_lengths) {
      const Tensor& lengths = *in[nc + ns + ni];
      for (int64_t b = 0; b < lengths.num_elements(); ++b) {
        if (t < IndexAt(lengths, b)) continue;
        for (int c = 0; c < nc; ++c) {
          std::memcpy(Row(ys[c], b), Row(carries[c], b), RowBytes(carries[c]));
        }
        for (size_t y = nc; y < ys.size(); ++y) {
          std::memset(Row(ys[y], b), 0, RowBytes(ys[y]));
        }
      }
    }
    for (size_t y = nc; y < ys.size(); ++y) {
      std::memcpy(Row(outputs[y - nc], t), ys[y].raw_data(), ys[y].byte_size());
    }
    for (int c = 0; c < nc; ++c) carries[c] = std::move(ys[c]);
  }
  for (Tensor& o : outputs) carries.push_back(std::move(o));
  return carries;
}

Results KFusion(const Op& op, Operands in, KernelContext& ctx) { return ctx.run_block(*op.region(), in); }

Results KTerminator(const Op&, Operands in, KernelContext&) {
  std::vector<Tensor> out;
  for (const Tensor* t : in) out.push_back(*t);
  return out;
}

}  // namespace

Kernel GetKernel(OpCode code) {
  switch (code) {
    case OpCode::kNeg: return KNeg;
    case OpCode::kAbs: return KAbs;
    case OpCode::kRelu: return KRelu;
    case OpCode::kExp: return KExp;
    case OpCode::kLog: return KLog;
    case OpCode::kTanh: return KTanh;
    case OpCode::kSigmoid: return KSigmoid;
    case OpCode::kSqrt: return KSqrt;
    case OpCode::kRsqrt: return KRsqrt;
    case OpCode::kCast: return KCast;
    case OpCode::kStopGradient: return KStopGradient;
    case OpCode::kAdd: return KAdd;
    case OpCode::kSub: return KSub;
    case OpCode::kMul: return KMul;
    case OpCode::kDiv: return KDiv;
    case OpCode::kMax: return KMax;
    case OpCode::kMin: return KMin;
    case OpCode::kPow: return KPow;
    case OpCode::kCompare: return KCompare;
    case OpCode::kSelect: return KSelect;
    case OpCode::kMatmul: return KMatmul;
    case OpCode::kReduceSum: return KReduce<false>;
    case OpCode::kReduceMax: return KReduce<true>;
    case OpCode::kReshape: return KReshape;
    case OpCode::kTranspose: return KTranspose;
    case OpCode::kBroadcastInDim: return KBroadcastInDim;
    case OpCode::kConcat: return KConcat;
    case OpCode::kSlice: return KSlice;
    case OpCode::kPad: return KPad;
    case OpCode::kGather: return KGather;
    case OpCode::kScatterAdd: return KScatterAdd;
    case OpCode::kOneHot: return KOneHot;
    case OpCode::kIota: return KIota;
    case OpCode::kConstant: return KConstant;
    case OpCode::kRandomUniform: return KRandomUniform;
    case OpCode::kBernoulli: return KBernoulli;
    case OpCode::kLoad: return KLoad;
    case OpCode::kStore: return KStore;
    case OpCode::kAllReduce: return KAllReduce;
    case OpCode::kScan: return KScan;
    case OpCode::kFusion: return KFusion;
    case OpCode::kYield: return KTerminator;
    case OpCode::kReturn: return KTerminator;
  }
  return nullptr;
}

}  // namespace loom::ir
