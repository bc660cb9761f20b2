#include "frontends/model_file.h"

#include <filesystem>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "frontends/onnx/import.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "ir/types.h"
#include "runtime/data/utf8.h"
#include "support/files.h"
#include "support/status_macros.h"

namespace loom::frontends {
namespace {

namespace pb = ::google::protobuf;

// Protobuf's `Message type "loom.frontends.proto.Layer" has no field named "conv".`
// says what is wrong but not what would be right: list the fields the message has.
std::string Explain(const std::string& message) {
  const std::string type_mark = "Message type \"", field_mark = "has no field named \"";
  size_t t = message.find(type_mark), f = message.find(field_mark);
  if (t == std::string::npos || f == std::string::npos) return message;
  t += type_mark.size();
  f += field_mark.size();
  std::string type = message.substr(t, message.find('"', t) - t);
  std::string field = message.substr(f, message.find('"', f) - f);
  const pb::Descriptor* d = pb::DescriptorPool::generated_pool()->FindMessageTypeByName(type);
  if (d == nullptr) return message;
  std::string fields;
  for (int i = 0; i < d->field_count(); ++i) absl::StrAppend(&fields, i ? ", " : "", d->field(i)->name());
  return absl::StrCat("unknown field '", field, "' in ", d->name(), " (it has: ", fields, ")");
}

class FirstError : public pb::io::ErrorCollector {
 public:
  void AddError(int line, pb::io::ColumnNumber column, const std::string& message) override {
    if (line_ < 0) {
      line_ = line;
      column_ = column;
      message_ = message;
    }
  }
  bool has_error() const { return line_ >= 0; }
  int line_ = -1, column_ = -1;
  std::string message_;
};

ir::Location At(const std::shared_ptr<const std::string>& file, pb::TextFormat::ParseLocation p) {
  return {file, p.line + 1, p.column + 1};
}

// Every string in the description must be UTF-8 (raw bytes or what an escape like "\377"
// makes): names become checkpoint entries, file names and C++ identifiers, and protobuf
// writes a non-UTF-8 string into a checkpoint it then cannot read.
absl::Status CheckUtf8(const pb::Message& m, const pb::TextFormat::ParseInfoTree* tree,
                       const std::shared_ptr<const std::string>& file, const ir::Location& parent) {
  const pb::Reflection* r = m.GetReflection();
  std::vector<const pb::FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const pb::FieldDescriptor* f : fields) {
    int n = f->is_repeated() ? r->FieldSize(m, f) : 1;
    for (int i = 0; i < n; ++i) {
      int index = f->is_repeated() ? i : -1;
      ir::Location loc = tree != nullptr ? At(file, tree->GetLocation(f, index)) : parent;
      if (loc.line <= 0) loc = parent;
      if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_STRING) {
        std::string s = f->is_repeated() ? r->GetRepeatedString(m, f, i) : r->GetString(m, f);
        if (!data::DecodeUtf8(s, "").ok()) {
          return ir::ErrorAt(loc, absl::StrCat("'", f->name(), "' is not valid UTF-8"));
        }
      } else if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
        const pb::Message& sub = f->is_repeated() ? r->GetRepeatedMessage(m, f, i) : r->GetMessage(m, f);
        RETURN_IF_ERROR(CheckUtf8(sub, tree != nullptr ? tree->GetTreeForNested(f, index) : nullptr, file, loc));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

namespace {

// `onnx: "m.onnx"`: the imported graph first, then what this file adds (its positions kept).
absl::Status ExtendOnnx(ModelFile& own) {
  std::filesystem::path path = std::filesystem::path(*own.file_loc.file).parent_path() / own.model.onnx();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {  // not a directory, a device or a pipe
    return absl::NotFoundError(absl::StrCat(path.string(), ": not a file"));
  }
  ASSIGN_OR_RETURN(ModelFile base, onnx::ImportOnnxFile(path.string()));
  const proto::Model& m = own.model;
  proto::Model merged = base.model;
  if (m.has_name()) merged.set_name(m.name());
  ir::Location at = base.file_loc;
  std::vector<ir::Location> input_locs(merged.input_size(), at), layer_locs(merged.layer_size(), at),
      cell_locs(merged.cell_size(), at);
  std::vector<std::vector<ir::Location>> cell_op_locs;
  for (const proto::Cell& c : merged.cell()) cell_op_locs.emplace_back(c.op_size(), at);
  merged.mutable_input()->MergeFrom(m.input());
  merged.mutable_layer()->MergeFrom(m.layer());
  merged.mutable_cell()->MergeFrom(m.cell());
  if (m.output_size() > 0) *merged.mutable_output() = m.output();
  if (m.has_loss()) *merged.mutable_loss() = m.loss();
  if (m.has_training()) *merged.mutable_training() = m.training();
  input_locs.insert(input_locs.end(), own.input_locs.begin(), own.input_locs.end());
  layer_locs.insert(layer_locs.end(), own.layer_locs.begin(), own.layer_locs.end());
  cell_locs.insert(cell_locs.end(), own.cell_locs.begin(), own.cell_locs.end());
  cell_op_locs.insert(cell_op_locs.end(), own.cell_op_locs.begin(), own.cell_op_locs.end());
  own.model = std::move(merged);
  own.input_locs = std::move(input_locs);
  own.layer_locs = std::move(layer_locs);
  own.cell_locs = std::move(cell_locs);
  own.cell_op_locs = std::move(cell_op_locs);
  own.values = std::move(base.values);
  own.onnx_path = base.onnx_path;
  return absl::OkStatus();
}

}  // namespace

ir::Location ModelFile::CellOpLoc(int c, int o) const {
  if (c < (int)cell_op_locs.size() && o < (int)cell_op_locs[c].size()) return cell_op_locs[c][o];
  return CellLoc(c);
}

absl::Status ParseSection(const std::string& text, const std::string& what, pb::Message* message) {
  auto name = std::make_shared<const std::string>(what);
  FirstError errors;
  pb::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (parser.ParseFromString(text, message)) return absl::OkStatus();
  if (!errors.has_error()) return ir::ErrorAt({name, 0, 0}, "not a valid description");
  return ir::ErrorAt({name, errors.line_ + 1, errors.column_ + 1}, Explain(errors.message_));
}

absl::StatusOr<ModelFile> ParseModelText(const std::string& text, const std::string& filename) {
  auto file = std::make_shared<const std::string>(filename);
  ModelFile out;
  out.file_loc = {file, 0, 0};
  FirstError errors;
  pb::TextFormat::ParseInfoTree tree;
  pb::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(&tree);
  if (!parser.ParseFromString(text, &out.model)) {
    if (!errors.has_error()) return ir::ErrorAt(out.file_loc, "not a valid model description");
    return ir::ErrorAt({file, errors.line_ + 1, errors.column_ + 1}, Explain(errors.message_));
  }
  RETURN_IF_ERROR(CheckUtf8(out.model, &tree, file, out.file_loc));
  const pb::Descriptor* d = out.model.GetDescriptor();
  auto locs = [&](const char* field, int n) {
    std::vector<ir::Location> v;
    for (int i = 0; i < n; ++i) v.push_back(At(file, tree.GetLocation(d->FindFieldByName(field), i)));
    return v;
  };
  out.input_locs = locs("input", out.model.input_size());
  out.layer_locs = locs("layer", out.model.layer_size());
  out.cell_locs = locs("cell", out.model.cell_size());
  const pb::FieldDescriptor* cell_field = d->FindFieldByName("cell");
  const pb::FieldDescriptor* op_field = proto::Cell::descriptor()->FindFieldByName("op");
  for (int c = 0; c < out.model.cell_size(); ++c) {
    std::vector<ir::Location> ops;
    pb::TextFormat::ParseInfoTree* sub = tree.GetTreeForNested(cell_field, c);
    for (int o = 0; o < out.model.cell(c).op_size(); ++o) {
      ops.push_back(sub ? At(file, sub->GetLocation(op_field, o)) : out.cell_locs[c]);
    }
    out.cell_op_locs.push_back(std::move(ops));
  }
  if (out.model.has_loss()) out.loss_loc = At(file, tree.GetLocation(d->FindFieldByName("loss"), -1));
  if (out.model.has_training()) {
    out.training_loc = At(file, tree.GetLocation(d->FindFieldByName("training"), -1));
  }
  if (out.model.has_onnx()) {
    absl::Status s = ExtendOnnx(out);
    if (!s.ok()) return ir::ErrorAt(At(file, tree.GetLocation(d->FindFieldByName("onnx"), -1)), s.message());
  }
  return out;
}

absl::StatusOr<ModelFile> LoadModelFile(const std::string& path) {
  if (absl::EndsWith(path, ".onnx")) return onnx::ImportOnnxFile(path);
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  return ParseModelText(*text, path);
}

absl::Status ApplyValues(const ModelFile& file, std::map<std::string, Tensor, std::less<>>& globals) {
  for (const auto& [name, value] : file.values) {
    auto it = globals.find(name);
    if (it == globals.end()) {
      return ir::ErrorAt(file.file_loc,
                         absl::StrCat("a value for '", name, "', which is not a parameter of the model"));
    }
    if (ir::TypeOf(value) != ir::TypeOf(it->second)) {
      return ir::ErrorAt(file.file_loc, absl::StrCat("parameter '", name, "' is ", ir::TypeOf(it->second).ToString(),
                                                     ", its value ", ir::TypeOf(value).ToString()));
    }
    it->second = value;
  }
  return absl::OkStatus();
}

ModelFile FromProto(proto::Model model, std::string name_for_errors) {
  ModelFile out;
  out.model = std::move(model);
  out.file_loc = {std::make_shared<const std::string>(std::move(name_for_errors)), 0, 0};
  return out;
}

}  // namespace loom::frontends
