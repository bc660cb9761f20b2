#include "runtime/npy.h"

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "support/files.h"

namespace loom {
namespace {

constexpr char kMagic[] = "\x93NUMPY";

absl::string_view Descr(DType dtype) {
  switch (dtype) {
    case DType::kF32: return "<f4";
    case DType::kF64: return "<f8";
    case DType::kI32: return "<i4";
    case DType::kI64: return "<i8";
    case DType::kI1: return "|b1";
  }
  return "?";
}

// The value of 'key' in the header dict, e.g. "'<f4'" or "(2, 3)".
absl::StatusOr<std::string> HeaderField(absl::string_view header, absl::string_view key, absl::string_view name) {
  std::string quoted = absl::StrCat("'", key, "':");
  size_t at = header.find(quoted);
  if (at == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": .npy header has no '", key, "'"));
  }
  absl::string_view rest = absl::StripLeadingAsciiWhitespace(header.substr(at + quoted.size()));
  size_t end = rest.empty() ? 0 : rest[0] == '(' ? rest.find(')') + 1 : rest.find_first_of(",}");
  if (end == absl::string_view::npos || end == 0) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": malformed .npy header"));
  }
  return std::string(absl::StripAsciiWhitespace(rest.substr(0, end)));
}

}  // namespace

absl::StatusOr<Tensor> ParseNpy(absl::string_view bytes, absl::string_view name) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": not a valid .npy file: ", why));
  };
  if (bytes.size() < 10 || bytes.substr(0, 6) != absl::string_view(kMagic, 6)) {
    return bad("missing the \\x93NUMPY magic");
  }
  int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len, offset;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | static_cast<unsigned char>(bytes[9]) << 8;
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return bad("truncated header");
    header_len = 0;
    for (int i = 0; i < 4; ++i) header_len |= size_t{static_cast<unsigned char>(bytes[8 + i])} << (8 * i);
    offset = 12;
  } else {
    return bad(absl::StrCat("unsupported format version ", major));
  }
  if (bytes.size() < offset + header_len) return bad("truncated header");
  absl::string_view header = bytes.substr(offset, header_len);

  auto descr = HeaderField(header, "descr", name);
  if (!descr.ok()) return descr.status();
  DType dtype;
  std::string d = std::string(absl::StripPrefix(absl::StripSuffix(*descr, "'"), "'"));
  if (d == "<f4")
    dtype = DType::kF32;
  else if (d == "<f8")
    dtype = DType::kF64;
  else if (d == "<i4")
    dtype = DType::kI32;
  else if (d == "<i8")
    dtype = DType::kI64;
  else if (d == "|b1")
    dtype = DType::kI1;
  else
    return bad(absl::StrCat("unsupported dtype '", d, "' (Loom reads <f4 <f8 <i4 <i8 |b1)"));

  auto fortran = HeaderField(header, "fortran_order", name);
  if (!fortran.ok()) return fortran.status();
  if (*fortran != "False") return bad("Fortran-ordered arrays are not supported");

  auto shape_text = HeaderField(header, "shape", name);
  if (!shape_text.ok()) return shape_text.status();
  Shape shape;
  absl::string_view inner = absl::StripSuffix(absl::StripPrefix(*shape_text, "("), ")");
  for (absl::string_view part : absl::StrSplit(inner, ',', absl::SkipWhitespace())) {
    int64_t dim;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(part), &dim) || dim < 0) {
      return bad(absl::StrCat("bad shape ", *shape_text));
    }
    shape.push_back(dim);
  }
  // Refuse absurd sizes before allocating.
  if (absl::Status size = CheckElementCount(dtype, shape, "the array"); !size.ok()) return bad(size.message());
  size_t want = ByteSize(dtype, shape);
  absl::string_view data = bytes.substr(offset + header_len);
  if (data.size() < want) {
    return bad(absl::StrCat("truncated data: ", want, " bytes expected, ", data.size(), " present"));
  }
  Tensor t(dtype, shape);
  if (dtype == DType::kI1) {
    // Any nonzero byte is true; only 0 and 1 are valid bools in memory.
    for (int64_t i = 0; i < t.num_elements(); ++i) t.values<bool>()[i] = data[i] != 0;
  } else {
    std::memcpy(t.raw_data(), data.data(), want);
  }
  return t;
}

std::string NpyHeader(DType dtype, const Shape& dims) {
  // NumPy writes (), (3,) and (2, 3).
  std::string shape = absl::StrCat(absl::StrJoin(dims, ", "), dims.size() == 1 ? "," : "");
  std::string header =
      absl::StrCat("{'descr': '", Descr(dtype), "', 'fortran_order': False, 'shape': (", shape, "), }");
  // Pad so the data starts on a 64-byte boundary, ending the header with '\n'.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out(kMagic, 6);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  return out;
}

std::string EncodeNpy(const Tensor& tensor) {
  std::string out = NpyHeader(tensor.dtype(), tensor.shape());
  out.append(static_cast<const char*>(tensor.raw_data()), tensor.byte_size());
  return out;
}

absl::StatusOr<Tensor> ReadNpy(const std::string& path) {
  auto bytes = ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  return ParseNpy(*bytes, path);
}

absl::Status WriteNpy(const std::string& path, const Tensor& tensor) {
  return WriteFileAtomically(path, EncodeNpy(tensor));
}

}  // namespace loom
