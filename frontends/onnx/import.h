// ONNX in: a .onnx model (ModelProto, read with the schema Debian's libonnx-dev ships)
// becomes a model description, as if written by hand — graph inputs become inputs, float
// initializers parameters (their values in ModelFile::values), ONNX's LSTM, GRU and RNN
// custom cells run over time, the ops around them core-op layers — so every tool that
// takes a .pbtxt takes a .onnx. What Loom cannot compute exactly as ONNX says is refused
// with the node, its op and the attribute, never approximated.
#ifndef LOOM_FRONTENDS_ONNX_IMPORT_H_
#define LOOM_FRONTENDS_ONNX_IMPORT_H_

#include <string>

#include "absl/status/statusor.h"
#include "frontends/model_file.h"
#include "loom/checkpoint.h"

namespace onnx {
class TensorProto;
}  // namespace onnx

namespace loom::frontends::onnx {

absl::StatusOr<ModelFile> ImportOnnxFile(const std::string& path);
// `bytes` a serialized ModelProto; `name` names it in errors.
absl::StatusOr<ModelFile> ImportOnnx(const std::string& bytes, const std::string& name);

// A copy of the ONNX file `file` was imported from with its initializers replaced by
// `params` (trained weights, by the parameter names the import gave them), written to
// `out` atomically: PyTorch and onnxruntime read it as they read the original.
absl::Status ExportOnnx(const ModelFile& file, const Checkpoint& params, const std::string& out);

// An ONNX tensor as a Loom tensor (float, double, int32, int64, bool; raw or typed data).
absl::StatusOr<Tensor> FromTensorProto(const ::onnx::TensorProto& t);
// A serialized TensorProto file (the conformance tests' input_0.pb).
absl::StatusOr<Tensor> ReadTensorFile(const std::string& path);

}  // namespace loom::frontends::onnx

#endif  // LOOM_FRONTENDS_ONNX_IMPORT_H_
