#include "frontends/params.h"

#include <filesystem>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ir/interpreter.h"
#include "runtime/npy.h"
#include "support/file_name.h"
#include "support/files.h"
#include "support/status_macros.h"

namespace loom::frontends {

namespace fs = std::filesystem;

Checkpoint InitialParams(const ir::Module& module, uint64_t seed) {
  Checkpoint c;
  c.model = module.name();
  for (const ir::Global& g : module.globals()) {
    if (g.trainable) c.tensors.emplace_back(g.name, ir::InitialValue(g, seed));
  }
  return c;
}

absl::StatusOr<Checkpoint> ParamsFromCheckpoint(const ir::Module& module, const Checkpoint& checkpoint,
                                                const std::string& name) {
  if (!checkpoint.model.empty() && checkpoint.model != module.name()) {
    return absl::FailedPreconditionError(
        absl::StrCat(name, ": a checkpoint of model '", checkpoint.model, "', not '", module.name(), "'"));
  }
  Checkpoint out;
  out.model = module.name();
  out.metadata = checkpoint.metadata;
  for (const ir::Global& g : module.globals()) {
    if (!g.trainable) continue;
    const Tensor* t = checkpoint.Find(g.name);
    if (t == nullptr) {
      return absl::NotFoundError(absl::StrCat(name, ": missing parameter ", g.name));
    }
    if (ir::TypeOf(*t) != g.type) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": parameter ", g.name, " is ", ir::TypeOf(*t).ToString(),
                                                     ", the model needs ", g.type.ToString()));
    }
    out.tensors.emplace_back(g.name, *t);
  }
  return out;
}

absl::StatusOr<Checkpoint> StateFromCheckpoint(const ir::Module& module, const Checkpoint& checkpoint,
                                               const std::string& checkpoint_name,
                                               const std::map<std::string, Tensor, std::less<>>& fallback) {
  ASSIGN_OR_RETURN(Checkpoint params, ParamsFromCheckpoint(module, checkpoint, checkpoint_name));
  Checkpoint out;
  out.model = params.model;
  out.metadata = std::move(params.metadata);
  auto param = params.tensors.begin();  // in module order, as the trainable globals
  for (const ir::Global& g : module.globals()) {
    if (g.trainable) {
      out.tensors.push_back(std::move(*param++));
    } else if (const Tensor* t = checkpoint.Find(g.name); t && ir::TypeOf(*t) == g.type) {
      out.tensors.emplace_back(g.name, *t);
    } else if (auto f = fallback.find(g.name); f != fallback.end()) {
      out.tensors.emplace_back(g.name, f->second);
    }
  }
  return out;
}

absl::Status ExportNpyDir(const Checkpoint& params, const std::string& dir) {
  RETURN_IF_ERROR(CreateDirectories(dir));
  for (const auto& [name, t] : params.tensors) {
    RETURN_IF_ERROR(WriteNpy(absl::StrCat(dir, "/", FileNameFor(name), ".npy"), t));
  }
  return absl::OkStatus();
}

absl::StatusOr<Checkpoint> ImportNpyDir(const ir::Module& module, const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return absl::NotFoundError(absl::StrCat(dir, ": not a directory"));
  Checkpoint c;
  c.model = module.name();
  std::set<std::string> expected;
  for (const ir::Global& g : module.globals()) {
    if (!g.trainable) continue;
    std::string path = absl::StrCat(dir, "/", FileNameFor(g.name), ".npy");
    expected.insert(FileNameFor(g.name) + ".npy");
    absl::StatusOr<Tensor> t = ReadNpy(path);
    if (!t.ok()) {
      if (absl::IsNotFound(t.status())) {
        return absl::NotFoundError(absl::StrCat(path, ": missing (the model has parameter ", g.name, ")"));
      }
      return t.status();
    }
    // A dtype change is refused, not rounded: an f64 file into an f32 model would lose
    // what a gradient check against f64 needs, silently.
    if (t->dtype() != g.type.dtype && t->shape() == g.type.shape) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": ", g.name, " is ", DTypeName(g.type.dtype), " in the model, the file holds ", DTypeName(t->dtype()),
          " (save it as ", DTypeName(g.type.dtype), ", or make the model's float inputs ", DTypeName(t->dtype()), ")"));
    }
    if (ir::TypeOf(*t) != g.type) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": ", g.name, " must be ", g.type.ToString(), ", got ", ir::TypeOf(*t).ToString()));
    }
    c.tensors.emplace_back(g.name, std::move(*t));
  }
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string file = entry.path().filename().string();
    if (absl::EndsWith(file, ".npy") && !expected.count(file)) {
      return absl::InvalidArgumentError(
          absl::StrCat(dir, "/", file, ": the model has no parameter ", file.substr(0, file.size() - 4)));
    }
  }
  return c;
}

}  // namespace loom::frontends
