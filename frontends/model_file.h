// Reading graph description files: protobuf text format with file:line:col errors, and
// the position of every layer, input, cell and cell op for later diagnostics.
#ifndef LOOM_FRONTENDS_MODEL_FILE_H_
#define LOOM_FRONTENDS_MODEL_FILE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "frontends/model.pb.h"
#include "ir/location.h"
#include "loom/tensor.h"

namespace loom::frontends {

struct ModelFile {
  proto::Model model;
  // Where each element was written; unknown (line 0) for models built in C++.
  std::vector<ir::Location> input_locs, layer_locs, cell_locs;
  std::vector<std::vector<ir::Location>> cell_op_locs;
  ir::Location loss_loc, training_loc, file_loc;
  // Parameters' starting values instead of their initializers (an ONNX file's weights),
  // by parameter name; Apply them with ApplyValues.
  std::map<std::string, Tensor> values;
  // The ONNX file the model's graph was imported from, if it was (params export writes
  // trained weights back into a copy of it).
  std::string onnx_path;

  ir::Location LayerLoc(int i) const { return i < (int)layer_locs.size() ? layer_locs[i] : file_loc; }
  ir::Location InputLoc(int i) const { return i < (int)input_locs.size() ? input_locs[i] : file_loc; }
  ir::Location CellLoc(int i) const { return i < (int)cell_locs.size() ? cell_locs[i] : file_loc; }
  ir::Location CellOpLoc(int c, int o) const;
};

absl::StatusOr<ModelFile> ParseModelText(const std::string& text, const std::string& filename);
absl::StatusOr<ModelFile> LoadModelFile(const std::string& path);
// One message of the model file's schema from its text ("optimizer { adam {} }"), as
// loom::nn takes a training section or an initializer; errors name `what`, line and column.
absl::Status ParseSection(const std::string& text, const std::string& what, google::protobuf::Message* message);
// Sets each of `file.values` in `globals` (a model's state by global name); a value
// whose parameter is missing or of another type is an error.
absl::Status ApplyValues(const ModelFile& file, std::map<std::string, Tensor, std::less<>>& globals);
// A model built in C++ (loom::nn): no positions.
ModelFile FromProto(proto::Model model, std::string name_for_errors = "<model>");

}  // namespace loom::frontends

#endif  // LOOM_FRONTENDS_MODEL_FILE_H_
