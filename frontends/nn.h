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
//
// Errors (an undefined input, a shape mismatch) are reported by Lower(), naming the layer.
#ifndef LOOM_FRONTENDS_NN_H_
#define LOOM_FRONTENDS_NN_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "frontends/lower.h"
#include "frontends/model.pb.h"

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
  CellBuilder& State(std::string name, int64_t size, std::string next);
  CellBuilder& Param(std::string name, Shape shape, frontends::proto::Init init);
  // result = op(operands) {attributes in the text IR's syntax}
  CellBuilder& Op(std::string result, std::string op, std::vector<std::string> operands,
                  std::vector<std::pair<std::string, std::string>> attributes = {});
  CellBuilder& Output(std::string value);
  const frontends::proto::Cell& cell() const { return cell_; }

 private:
  frontends::proto::Cell cell_;
};

class Model {
 public:
  explicit Model(std::string name);

  Var Input(std::string name, DType dtype, Shape shape);  // -1: the batch
  Var Embedding(std::string name, Var ids, int64_t num_embeddings, int64_t embedding_dim);
  Var Linear(std::string name, Var x, int64_t in_features, int64_t out_features, bool bias = true);
  Recurrent RNN(std::string name, Var x, int64_t input_size, int64_t hidden_size,
                const RecurrentOptions& options = {});
  Recurrent LSTM(std::string name, Var x, int64_t input_size, int64_t hidden_size,
                 const RecurrentOptions& options = {});
  Recurrent GRU(std::string name, Var x, int64_t input_size, int64_t hidden_size,
                const RecurrentOptions& options = {});
  Var Cell(std::string name, Var x, const CellBuilder& cell, bool batch_first = false,
           std::optional<Var> lengths = {});
  Var Dropout(std::string name, Var x, double p);
  Var Activation(std::string name, Var x, std::string function);  // relu, tanh, sigmoid
  Var Softmax(std::string name, Var x, int64_t dim = -1);
  Var LogSoftmax(std::string name, Var x, int64_t dim = -1);
  Var Concat(std::string name, std::vector<Var> xs, int64_t dim);
  Var Select(std::string name, Var x, int64_t dim, int64_t index);
  Var OneHot(std::string name, Var ids, int64_t depth);

  void Output(Var v);
  void CrossEntropyLoss(Var logits, Var target, std::string reduction = "mean",
                        std::optional<Var> lengths = {});
  void BCEWithLogitsLoss(Var logits, Var target, std::optional<Var> lengths = {});
  void MSELoss(Var input, Var target, std::optional<Var> lengths = {});
  // Optimizer, batch size, clipping, seed: as the file's training section.
  frontends::proto::Training& training() { return *model_.mutable_training(); }
  // Overrides PyTorch's default initialization of the last layer added.
  void InitLastLayer(std::optional<frontends::proto::Init> weight, std::optional<frontends::proto::Init> bias);

  const frontends::proto::Model& description() const { return model_; }
  absl::StatusOr<std::unique_ptr<ir::Module>> Lower(const frontends::LowerOptions& options = {}) const;

 private:
  frontends::proto::Layer* AddLayer(const std::string& name, const std::vector<Var>& inputs);
  Recurrent AddRecurrent(frontends::proto::Recurrent* r, const std::string& name, int64_t input_size,
                         int64_t hidden_size, const RecurrentOptions& options, bool lstm);
  frontends::proto::Model model_;
};

}  // namespace loom::nn

#endif  // LOOM_FRONTENDS_NN_H_
