// The ONNX importer's state, shared by import.cc (the graph, tensors, the plain ops) and
// recurrent.cc (LSTM, GRU, RNN as custom cells).
#ifndef LOOM_FRONTENDS_ONNX_IMPORTER_H_
#define LOOM_FRONTENDS_ONNX_IMPORTER_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_join.h"
#include "frontends/model_file.h"
#include "frontends/onnx/import.h"
#include "ir/types.h"
#include "onnx/onnx.pb.h"

namespace loom::frontends::onnx {

// A value of the model being written: its layer (or input) name, dtype and shape, which
// the importer tracks to write explicit broadcasts, reshapes and slices.
struct Val {
  std::string name;
  DType dtype = DType::kF32;
  Shape shape;
};

using Attrs = std::map<std::string, std::string>;

std::string Ints(const std::vector<int64_t>& v);  // "[1, 2]", as the text IR writes a list
std::string TypeText(const Val& v);               // "f32[2,3]"
// Element i of a constant as an integer: exact for integer tensors, clamped for floats
// (a huge value must not be undefined behaviour).
int64_t IntAt(const Tensor& t, int64_t i);

class Importer {
 public:
  explicit Importer(std::string file) : file_(std::move(file)) {}
  absl::StatusOr<ModelFile> Import(const ::onnx::ModelProto& model);

  // ---- For the op translations ----
  // "FILE: node 'NAME' (OP): what" — every import error names the node.
  absl::Status NodeError(absl::string_view what) const;
  // The same for what Loom does not import (an op, an attribute value): kUnimplemented.
  absl::Status Unsupported(absl::string_view what) const;
  const ::onnx::AttributeProto* Attr(const std::string& name) const;
  absl::StatusOr<int64_t> IntAttr(const std::string& name, int64_t fallback) const;
  absl::StatusOr<float> FloatAttr(const std::string& name, float fallback) const;
  absl::StatusOr<std::string> StringAttr(const std::string& name, const std::string& fallback) const;
  absl::StatusOr<std::vector<int64_t>> IntsAttr(const std::string& name) const;  // empty when absent
  // Every attribute of the node must be one of `known`: an unknown one is an error, not
  // ignored (it could change the result).
  absl::Status OnlyAttrs(const std::set<std::string>& known) const;

  int NumInputs() const;                        // up to the last non-empty one
  bool HasInput(int i) const;                   // present and not ""
  absl::StatusOr<Val> In(int i);                // the i-th input as a value of the model
  absl::StatusOr<Tensor> ConstIn(int i) const;  // the i-th input, which must be known at import
  bool IsConstIn(int i) const;                  // known at import, and not a weight
  absl::StatusOr<Shape> ShapeIn(int i) const;   // the i-th input's shape, constant or not
  void Out(int i, Val v);                       // the node's i-th output is `v`
  int NumOutputs() const;                       // up to the last non-empty one

  // Emit one layer: a core op on values; returns its result.
  Val Op(const std::string& op, const std::vector<Val>& in, Attrs attrs, DType dtype, Shape shape);
  Val Reshape(const Val& x, Shape shape);
  Val Slice(const Val& x, std::vector<int64_t> start, std::vector<int64_t> limit);
  Val Transpose(const Val& x, std::vector<int64_t> perm);
  Val Concat(const std::vector<Val>& xs, int64_t axis);
  Val Broadcast(const Val& x, const Shape& shape);  // numpy rules: trailing dimensions align
  absl::StatusOr<Val> Binary(const std::string& op, const Val& a, const Val& b);
  Val Scalar(DType dtype, double value, const Shape& shape);
  Val Constant(const Tensor& t);
  // A fresh layer name from `base` (sanitized, unique).
  std::string Fresh(const std::string& base);

  proto::Model& model() { return out_.model; }
  void SetConst(int output, Tensor t);  // the node's output is known at import
  const ::onnx::NodeProto& node() const { return *node_; }
  int64_t opset() const { return opset_; }

  // recurrent.cc
  absl::Status Recurrent(int gates);  // LSTM 4, GRU 3, RNN 1

 private:
  absl::Status ImportNode();
  absl::StatusOr<Val> Materialize(const std::string& onnx_name);

  std::string file_;
  ModelFile out_;
  const ::onnx::NodeProto* node_ = nullptr;
  int64_t opset_ = 1;
  std::map<std::string, Val> vals_;       // ONNX value name -> value of the model
  std::map<std::string, Tensor> consts_;  // known at import: initializers, Constant outputs
  std::set<std::string> initializers_;    // of consts_, the graph's weights
  std::set<std::string> names_;           // layer and input names in use
  int node_layers_ = 0;                   // the model's layers before this node's
  std::set<std::string> named_;           // layers named after an ONNX output
};

// Known ops: ONNX op type -> translation (import.cc).
using Translation = absl::Status (*)(Importer&);
const std::map<std::string, Translation>& Translations();

}  // namespace loom::frontends::onnx

#endif  // LOOM_FRONTENDS_ONNX_IMPORTER_H_
