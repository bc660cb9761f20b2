#include "loom/checkpoint.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/stubs/logging.h"
#include "runtime/checkpoint.pb.h"
#include "runtime/data/utf8.h"
#include "support/files.h"
#include "support/hash.h"

namespace loom {

const Tensor* Checkpoint::Find(const std::string& name) const {
  for (const auto& [n, t] : tensors) {
    if (n == name) return &t;
  }
  return nullptr;
}

namespace {

// Over what the file holds, in a fixed order (the metadata map is serialized in any
// order): the model, each tensor's name, dtype, shape and bytes, the metadata by key.
uint64_t Checksum(const runtime::proto::Checkpoint& pc) {
  auto field = [](absl::string_view s, uint64_t h) { return Hash64(s, Hash64(absl::StrCat(s.size()), h)); };
  uint64_t h = field(pc.model(), kHashStart);
  for (const runtime::proto::Tensor& t : pc.tensors()) {
    h = field(t.name(), h);
    h = field(absl::StrCat(t.dtype(), ":", absl::StrJoin(t.shape(), ",")), h);
    h = field(t.data(), h);
  }
  std::map<std::string, std::string> sorted(pc.metadata().begin(), pc.metadata().end());
  for (const auto& [k, v] : sorted) h = field(v, field(k, h));
  return h;
}

}  // namespace

std::string EncodeCheckpoint(const Checkpoint& checkpoint) {
  runtime::proto::Checkpoint pc;
  pc.set_format_version(kCheckpointFormatVersion);
  pc.set_model(checkpoint.model);
  for (const auto& [name, t] : checkpoint.tensors) {
    runtime::proto::Tensor* pt = pc.add_tensors();
    pt->set_name(name);
    pt->set_dtype(static_cast<int>(t.dtype()));
    for (int64_t d : t.shape()) pt->add_shape(d);
    pt->set_data(static_cast<const char*>(t.raw_data()), t.byte_size());
  }
  for (const auto& [k, v] : checkpoint.metadata) (*pc.mutable_metadata())[k] = v;
  pc.set_checksum(Checksum(pc));
  std::string out;
  pc.SerializeToString(&out);
  return out;
}

absl::StatusOr<Checkpoint> DecodeCheckpoint(const std::string& bytes, const std::string& name) {
  // Corrupt files get our error message only, not protobuf's log lines.
  google::protobuf::LogSilencer quiet;
  runtime::proto::Checkpoint pc;
  // Every checkpoint Loom writes has a version; a file without one is something else.
  if (!pc.ParseFromString(bytes) || pc.format_version() == 0) {
    return absl::DataLossError(absl::StrCat(name, ": not a Loom checkpoint (or truncated)"));
  }
  if (pc.format_version() != kCheckpointFormatVersion && pc.format_version() != 1) {
    return absl::FailedPreconditionError(absl::StrCat(name, ": checkpoint format version ", pc.format_version(),
                                                      ", this Loom reads version ", kCheckpointFormatVersion));
  }
  if (pc.format_version() >= 2 && pc.checksum() != Checksum(pc)) {
    return absl::DataLossError(absl::StrCat(name, ": the checkpoint is damaged (its checksum does not match)"));
  }
  Checkpoint c;
  c.model = pc.model();
  for (const runtime::proto::Tensor& pt : pc.tensors()) {
    if (pt.dtype() < 0 || pt.dtype() > static_cast<int>(DType::kI1)) {
      return absl::DataLossError(absl::StrCat(name, ": tensor ", pt.name(), " has unknown dtype ", pt.dtype()));
    }
    Shape shape(pt.shape().begin(), pt.shape().end());
    DType dtype = static_cast<DType>(pt.dtype());
    if (absl::Status size = CheckElementCount(dtype, shape, absl::StrCat("tensor ", pt.name())); !size.ok()) {
      return absl::DataLossError(absl::StrCat(name, ": ", size.message()));
    }
    // The byte count is checked before anything is allocated for the shape.
    if (pt.data().size() != ByteSize(dtype, shape)) {
      return absl::DataLossError(absl::StrCat(name, ": tensor ", pt.name(), " has ", pt.data().size(), " bytes for ",
                                              DTypeName(dtype), ShapeToString(shape)));
    }
    Tensor t(dtype, shape);
    if (t.dtype() == DType::kI1) {
      for (int64_t i = 0; i < t.num_elements(); ++i) t.values<bool>()[i] = pt.data()[i] != 0;
    } else {
      std::memcpy(t.raw_data(), pt.data().data(), t.byte_size());
    }
    c.tensors.emplace_back(pt.name(), std::move(t));
  }
  for (const auto& [k, v] : pc.metadata()) c.metadata[k] = v;
  return c;
}

absl::Status SaveCheckpoint(const std::string& path, const Checkpoint& checkpoint) {
  // Protobuf would write a non-UTF-8 string (logging an error) that it then cannot read.
  std::vector<std::pair<std::string, const std::string*>> strings = {{"the model name", &checkpoint.model}};
  for (const auto& [name, t] : checkpoint.tensors) strings.push_back({"a tensor name", &name});
  for (const auto& [k, v] : checkpoint.metadata) {
    strings.push_back({"a metadata key", &k});
    strings.push_back({absl::StrCat("metadata '", k, "'"), &v});
  }
  for (const auto& [what, s] : strings) {
    if (!data::DecodeUtf8(*s, "").ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": cannot save: ", what, " is not valid UTF-8"));
    }
  }
  return WriteFileAtomically(path, EncodeCheckpoint(checkpoint));
}

absl::StatusOr<Checkpoint> LoadCheckpoint(const std::string& path) {
  absl::StatusOr<std::string> bytes = ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  return DecodeCheckpoint(*bytes, path);
}

}  // namespace loom
