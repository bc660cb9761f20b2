#include "python/status.h"

#include <pybind11/pybind11.h>

#include <string>

namespace loom::python {

void Raise(const absl::Status& status) {
  std::string message(status.message());
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange: throw pybind11::value_error(message);
    case absl::StatusCode::kNotFound:
      // A file that is not there is an OSError in Python; a parameter, a KeyError.
      if (message.find("no such file") != std::string::npos || message.find("No such file") != std::string::npos) {
        PyErr_SetString(PyExc_FileNotFoundError, message.c_str());
        throw pybind11::error_already_set();
      }
      throw pybind11::key_error(message);
    case absl::StatusCode::kUnimplemented:
      PyErr_SetString(PyExc_NotImplementedError, message.c_str());
      throw pybind11::error_already_set();
    case absl::StatusCode::kResourceExhausted:
      PyErr_SetString(PyExc_MemoryError, message.c_str());
      throw pybind11::error_already_set();
    case absl::StatusCode::kPermissionDenied:
      PyErr_SetString(PyExc_PermissionError, message.c_str());
      throw pybind11::error_already_set();
    default: throw std::runtime_error(message);
  }
}

}  // namespace loom::python
