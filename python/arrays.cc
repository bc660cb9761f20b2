#include "python/arrays.h"

#include <cstring>
#include <optional>

#include "absl/strings/str_cat.h"

namespace loom::python {
namespace py = pybind11;

namespace {

std::optional<DType> DTypeOfArray(const py::array& a) {
  char kind = a.dtype().kind();
  auto size = a.itemsize();
  if (kind == 'f' && size == 4) return DType::kF32;
  if (kind == 'f' && size == 8) return DType::kF64;
  if (kind == 'i' && size == 4) return DType::kI32;
  if (kind == 'i' && size == 8) return DType::kI64;
  if (kind == 'b' && size == 1) return DType::kI1;
  return std::nullopt;
}

py::dtype NumpyDType(DType dtype) {
  switch (dtype) {
    case DType::kF32: return py::dtype::of<float>();
    case DType::kF64: return py::dtype::of<double>();
    case DType::kI32: return py::dtype::of<int32_t>();
    case DType::kI64: return py::dtype::of<int64_t>();
    case DType::kI1: break;
  }
  return py::dtype::of<bool>();
}

// An array as it is; anything else (a list, a torch tensor) through numpy.asarray, in
// `dtype` when given.
py::array AsArray(py::handle value, const std::string& what, std::optional<DType> dtype) {
  if (py::isinstance<py::array>(value)) return py::reinterpret_borrow<py::array>(value);
  py::object numpy = py::module_::import("numpy");
  try {
    if (dtype) return numpy.attr("asarray")(value, NumpyDType(*dtype));
    return numpy.attr("asarray")(value);
  } catch (py::error_already_set& e) {
    throw py::value_error(absl::StrCat(what, " must be an array", dtype ? absl::StrCat(" of ", DTypeName(*dtype)) : "",
                                       ", got a ", std::string(py::str(value.get_type().attr("__name__"))), " (",
                                       e.what(), ")"));
  }
}

Shape ShapeOf(const py::array& a) {
  Shape shape;
  for (py::ssize_t i = 0; i < a.ndim(); ++i) shape.push_back(a.shape(i));
  return shape;
}

// "f32[2,3]" for an array of a dtype Loom has, else numpy's name.
std::string Describe(const py::array& a) {
  std::optional<DType> d = DTypeOfArray(a);
  if (d) return ir::TensorType{*d, ShapeOf(a)}.ToString();
  return absl::StrCat(std::string(py::str(a.dtype())), ShapeToString(ShapeOf(a)));
}

}  // namespace

Tensor InputTensor(py::handle value, const ir::TensorType& want, const std::string& name,
                   std::vector<py::object>& keep) {
  py::array a = AsArray(value, absl::StrCat("input '", name, "'"), want.dtype);
  std::optional<DType> dtype = DTypeOfArray(a);
  Shape shape = ShapeOf(a);
  // numpy makes int64 by default, but int32 ids are as good: widened, not refused.
  if (dtype == DType::kI32 && want.dtype == DType::kI64 && shape == want.shape) {
    a = a.attr("astype")(NumpyDType(DType::kI64));
    dtype = DType::kI64;
  }
  if (dtype != want.dtype || shape != want.shape) {
    // Say which of the two is wrong: the element type or the shape.
    std::string what = shape == want.shape
                           ? absl::StrCat(" (the element type is wrong: ",
                                          dtype ? std::string(DTypeName(*dtype)) : std::string(py::str(a.dtype())),
                                          " for ", DTypeName(want.dtype), ")")
                       : dtype == want.dtype ? " (the shape is wrong)"
                                             : "";
    throw py::value_error(absl::StrCat("input '", name, "' must be ", want.ToString(), ", got ", Describe(a), what));
  }
  constexpr int kInPlace =
      static_cast<int>(py::array::c_style) | static_cast<int>(py::detail::npy_api::NPY_ARRAY_ALIGNED_);
  if ((a.flags() & kInPlace) != kInPlace) {
    throw py::value_error(absl::StrCat("input '", name,
                                       "' is not a C-contiguous, aligned array (Loom reads inputs in place): pass "
                                       "numpy.ascontiguousarray(",
                                       name, ")"));
  }
  keep.push_back(a);
  return Tensor::Borrowed(want.dtype, want.shape, const_cast<void*>(a.data()));
}

Tensor CopyToTensor(py::handle value, const std::string& name) {
  py::array a = AsArray(value, name, std::nullopt);
  std::optional<DType> dtype = DTypeOfArray(a);
  if (!dtype) throw py::value_error(absl::StrCat(name, ": Loom has no element type for ", Describe(a)));
  Tensor t = Tensor::Uninitialized(*dtype, ShapeOf(a));
  py::array c = py::module_::import("numpy").attr("ascontiguousarray")(a);
  std::memcpy(t.raw_data(), c.data(), t.byte_size());
  return t;
}

py::array ToArray(Tensor t) {
  auto* owned = new Tensor(std::move(t));
  py::capsule owner(owned, [](void* p) { delete static_cast<Tensor*>(p); });
  std::vector<py::ssize_t> shape(owned->shape().begin(), owned->shape().end()), strides;
  for (int64_t s : Strides(owned->shape())) strides.push_back(s * static_cast<py::ssize_t>(DTypeSize(owned->dtype())));
  return py::array(NumpyDType(owned->dtype()), shape, strides, owned->raw_data(), owner);
}

}  // namespace loom::python
