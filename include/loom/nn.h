// loom::nn — models in C++, layer for layer as in a model file (and as in PyTorch's
// torch.nn). A Model fills in the same description a .pbtxt file holds and lowers
// through the same path, so a model built here and the equivalent file give the same IR.
//
//   loom::nn::Model m("SentimentLSTM");
//   auto tokens = m.Input("tokens", loom::DType::kI64, {-1, 50});
//   auto emb = m.Embedding("embedding", tokens, 10000, 100);
//   auto lstm = m.LSTM("lstm", emb, 100, 256, {.num_layers = 2, .dropout = 0.5, .batch_first = true});
//   auto fc = m.Linear("fc", m.Dropout("dropout", m.Select("last_hidden", lstm.h_n, 0, -1), 0.5), 256, 1);
//   m.Output(fc);
//   m.BCEWithLogitsLoss(fc, label);
//   m.SetTraining("optimizer { lr: 0.005 adam {} }");   // the file's training section
//
// Model::Load reads a model file into the same description. Errors (an undefined input,
// a shape mismatch) are reported when the model is compiled, naming the layer; a
// training section or initializer that does not parse, by status() and Jit::Compile.
#ifndef LOOM_NN_H_
#define LOOM_NN_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "loom/tensor.h"

namespace loom::frontends {
struct ModelFile;  // the parsed description (frontends/model_file.h)
namespace proto {
class Cell;
class Layer;
class Recurrent;
}  // namespace proto
}  // namespace loom::frontends

namespace loom::nn {

// A named value of the model: an input or a layer's output.
struct Var {
  std::string name;
};

struct RecurrentOptions {
  int64_t num_layers = 1;
  double dropout = 0;
  bool bidirectional = false;
  bool batch_first = false;
  std::string nonlinearity = "tanh";  // RNN only
  bool bias = true;
  std::optional<Var> lengths;  // per-example lengths: padded steps are skipped
};

// What a recurrent layer hands on: the output sequence, h_n and (LSTM) c_n, shaped as
// PyTorch's.
struct Recurrent {
  Var output, h_n, c_n;
};

// A custom cell, op by op (see examples/peephole_lstm.pbtxt for the file form).
class CellBuilder {
 public:
  CellBuilder(std::string name, int64_t input_size);
  CellBuilder(const CellBuilder& other);
  ~CellBuilder();
  CellBuilder& State(std::string name, int64_t size, std::string next);
  // `init` as in a model file: "uniform { low: -0.1 high: 0.1 }", "zeros: true".
  CellBuilder& Param(std::string name, Shape shape, const std::string& init);
  // result = op(operands) {attributes in the text IR's syntax}
  CellBuilder& Op(std::string result, std::string op, std::vector<std::string> operands,
                  std::vector<std::pair<std::string, std::string>> attributes = {});
  CellBuilder& Output(std::string value);
  const frontends::proto::Cell& cell() const { return *cell_; }
  const absl::Status& status() const { return status_; }  // the first initializer that did not parse

 private:
  std::unique_ptr<frontends::proto::Cell> cell_;
  absl::Status status_;
};

class Model {
 public:
  explicit Model(std::string name);
  // A model file (.pbtxt); errors carry file:line:col.
  static absl::StatusOr<Model> Load(const std::string& path);
  explicit Model(frontends::ModelFile file);
  Model(const Model& other);
  Model(Model&& other) noexcept;
  Model& operator=(Model other) noexcept;
  ~Model();

  Var Input(std::string name, DType dtype, Shape shape);  // -1: the batch
  Var Embedding(std::string name, Var ids, int64_t num_embeddings, int64_t embedding_dim);
  Var Linear(std::string name, Var x, int64_t in_features, int64_t out_features, bool bias = true);
  Recurrent RNN(std::string name, Var x, int64_t input_size, int64_t hidden_size, const RecurrentOptions& options = {});
  Recurrent LSTM(std::string name, Var x, int64_t input_size, int64_t hidden_size,
                 const RecurrentOptions& options = {});
  Recurrent GRU(std::string name, Var x, int64_t input_size, int64_t hidden_size, const RecurrentOptions& options = {});
  Var Cell(std::string name, Var x, const CellBuilder& cell, bool batch_first = false, std::optional<Var> lengths = {});
  Var Dropout(std::string name, Var x, double p);
  Var Activation(std::string name, Var x, std::string function);  // relu, tanh, sigmoid
  Var Softmax(std::string name, Var x, int64_t dim = -1);
  Var LogSoftmax(std::string name, Var x, int64_t dim = -1);
  Var Concat(std::string name, std::vector<Var> xs, int64_t dim);
  Var Select(std::string name, Var x, int64_t dim, int64_t index);
  Var OneHot(std::string name, Var ids, int64_t depth);

  void Output(Var v);
  void CrossEntropyLoss(Var logits, Var target, std::string reduction = "mean", std::optional<Var> lengths = {});
  void BCEWithLogitsLoss(Var logits, Var target, std::optional<Var> lengths = {});
  void MSELoss(Var input, Var target, std::optional<Var> lengths = {});
  // The training section (optimizer, batch size, clipping, seed) as a model file writes
  // it: "optimizer { lr: 0.005 adam {} } clip { by_norm: 5 }". Replaces the previous one.
  absl::Status SetTraining(const std::string& text);
  // Overrides PyTorch's default initialization of the last layer added ("" keeps it):
  // "normal { mean: 0 std: 0.01 }", "zeros: true", as a model file's weight_init.
  absl::Status InitLastLayer(const std::string& weight, const std::string& bias = "");

  const std::string& name() const;
  // The first error of the calls above, returned by Jit::Compile too.
  const absl::Status& status() const { return status_; }
  // The description itself, for Loom's compiler (frontends/model_file.h).
  const frontends::ModelFile& file() const { return *file_; }

 private:
  frontends::proto::Layer* AddLayer(const std::string& name, const std::vector<Var>& inputs);
  Recurrent AddRecurrent(frontends::proto::Recurrent* r, const std::string& name, int64_t input_size,
                         int64_t hidden_size, const RecurrentOptions& options, bool lstm);
  std::unique_ptr<frontends::ModelFile> file_;
  absl::Status status_;
};

}  // namespace loom::nn

#endif  // LOOM_NN_H_
