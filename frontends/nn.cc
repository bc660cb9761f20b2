#include "loom/nn.h"

#include "absl/strings/str_cat.h"
#include "frontends/model_file.h"
#include "support/status_macros.h"

namespace loom::nn {

namespace fp = frontends::proto;

CellBuilder::CellBuilder(std::string name, int64_t input_size) : cell_(std::make_unique<fp::Cell>()) {
  cell_->set_name(std::move(name));
  cell_->set_input_size(input_size);
}

CellBuilder::CellBuilder(const CellBuilder& other)
    : cell_(std::make_unique<fp::Cell>(*other.cell_)), status_(other.status_) {}

CellBuilder::~CellBuilder() = default;

CellBuilder& CellBuilder::State(std::string name, int64_t size, std::string next) {
  fp::CellState* s = cell_->add_state();
  s->set_name(std::move(name));
  s->set_size(size);
  s->set_next(std::move(next));
  return *this;
}

CellBuilder& CellBuilder::Param(std::string name, Shape shape, const std::string& init) {
  fp::CellParam* p = cell_->add_param();
  absl::Status parsed = frontends::ParseSection(init, absl::StrCat("init of ", name), p->mutable_init());
  if (status_.ok()) status_ = parsed;
  p->set_name(std::move(name));
  for (int64_t d : shape) p->add_shape(d);
  return *this;
}

CellBuilder& CellBuilder::Op(std::string result, std::string op, std::vector<std::string> operands,
                             std::vector<std::pair<std::string, std::string>> attributes) {
  fp::CellOp* o = cell_->add_op();
  o->set_result(std::move(result));
  o->set_op(std::move(op));
  for (std::string& v : operands) o->add_operands(std::move(v));
  for (auto& [k, v] : attributes) (*o->mutable_attributes())[k] = v;
  return *this;
}

CellBuilder& CellBuilder::Output(std::string value) {
  cell_->set_output(std::move(value));
  return *this;
}

Model::Model(std::string name) : file_(std::make_unique<frontends::ModelFile>(frontends::FromProto({}, name))) {
  file_->model.set_name(std::move(name));
}

Model::Model(frontends::ModelFile file) : file_(std::make_unique<frontends::ModelFile>(std::move(file))) {}
Model::Model(const Model& other)
    : file_(std::make_unique<frontends::ModelFile>(*other.file_)), status_(other.status_) {}
Model::Model(Model&& other) noexcept = default;
Model& Model::operator=(Model other) noexcept {
  std::swap(file_, other.file_);
  std::swap(status_, other.status_);
  return *this;
}
Model::~Model() = default;

absl::StatusOr<Model> Model::Load(const std::string& path) {
  ASSIGN_OR_RETURN(frontends::ModelFile file, frontends::LoadModelFile(path));
  return Model(std::move(file));
}

const std::string& Model::name() const { return file_->model.name(); }

absl::Status Model::SetTraining(const std::string& text) {
  fp::Training training;
  absl::Status parsed = frontends::ParseSection(text, "training", &training);
  if (parsed.ok()) {
    *file_->model.mutable_training() = std::move(training);
  } else if (status_.ok()) {
    status_ = parsed;
  }
  return parsed;
}

Var Model::Input(std::string name, DType dtype, Shape shape) {
  fp::Input* in = file_->model.add_input();
  in->set_name(name);
  in->set_dtype(static_cast<fp::DType>(dtype));
  for (int64_t d : shape) in->add_shape(d);
  return {std::move(name)};
}

fp::Layer* Model::AddLayer(const std::string& name, const std::vector<Var>& inputs) {
  fp::Layer* l = file_->model.add_layer();
  l->set_name(name);
  for (const Var& v : inputs) l->add_inputs(v.name);
  return l;
}

Var Model::Embedding(std::string name, Var ids, int64_t num_embeddings, int64_t embedding_dim) {
  fp::Embedding* e = AddLayer(name, {ids})->mutable_embedding();
  e->set_num_embeddings(num_embeddings);
  e->set_embedding_dim(embedding_dim);
  return {std::move(name)};
}

Var Model::Linear(std::string name, Var x, int64_t in_features, int64_t out_features, bool bias) {
  fp::Linear* l = AddLayer(name, {x})->mutable_linear();
  l->set_in_features(in_features);
  l->set_out_features(out_features);
  l->set_no_bias(!bias);
  return {std::move(name)};
}

Recurrent Model::AddRecurrent(fp::Recurrent* r, const std::string& name, int64_t input_size, int64_t hidden_size,
                              const RecurrentOptions& o, bool lstm) {
  r->set_input_size(input_size);
  r->set_hidden_size(hidden_size);
  if (o.num_layers != 1) r->set_num_layers(o.num_layers);
  r->set_dropout(o.dropout);
  r->set_bidirectional(o.bidirectional);
  r->set_batch_first(o.batch_first);
  r->set_no_bias(!o.bias);
  if (o.lengths) r->set_lengths(o.lengths->name);
  return {{name}, {name + ".h_n"}, {lstm ? name + ".c_n" : ""}};
}

Recurrent Model::RNN(std::string name, Var x, int64_t input_size, int64_t hidden_size,
                     const RecurrentOptions& options) {
  fp::Recurrent* r = AddLayer(name, {x})->mutable_rnn();
  if (options.nonlinearity != "tanh") r->set_nonlinearity(options.nonlinearity);
  return AddRecurrent(r, name, input_size, hidden_size, options, false);
}

Recurrent Model::LSTM(std::string name, Var x, int64_t input_size, int64_t hidden_size,
                      const RecurrentOptions& options) {
  return AddRecurrent(AddLayer(name, {x})->mutable_lstm(), name, input_size, hidden_size, options, true);
}

Recurrent Model::GRU(std::string name, Var x, int64_t input_size, int64_t hidden_size,
                     const RecurrentOptions& options) {
  return AddRecurrent(AddLayer(name, {x})->mutable_gru(), name, input_size, hidden_size, options, false);
}

Var Model::Cell(std::string name, Var x, const CellBuilder& cell, bool batch_first, std::optional<Var> lengths) {
  bool known = false;
  if (status_.ok()) status_ = cell.status();
  for (const fp::Cell& c : file_->model.cell()) known |= c.name() == cell.cell().name();
  if (!known) *file_->model.add_cell() = cell.cell();
  fp::CellLayer* l = AddLayer(name, {x})->mutable_cell();
  l->set_cell(cell.cell().name());
  l->set_batch_first(batch_first);
  if (lengths) l->set_lengths(lengths->name);
  return {std::move(name)};
}

Var Model::Dropout(std::string name, Var x, double p) {
  AddLayer(name, {x})->mutable_dropout()->set_p(p);
  return {std::move(name)};
}

Var Model::Activation(std::string name, Var x, std::string function) {
  AddLayer(name, {x})->mutable_activation()->set_function(std::move(function));
  return {std::move(name)};
}

Var Model::Softmax(std::string name, Var x, int64_t dim) {
  fp::Softmax* s = AddLayer(name, {x})->mutable_softmax();
  if (dim != -1) s->set_dim(dim);
  return {std::move(name)};
}

Var Model::LogSoftmax(std::string name, Var x, int64_t dim) {
  fp::Softmax* s = AddLayer(name, {x})->mutable_log_softmax();
  if (dim != -1) s->set_dim(dim);
  return {std::move(name)};
}

Var Model::Concat(std::string name, std::vector<Var> xs, int64_t dim) {
  AddLayer(name, xs)->mutable_concat()->set_dim(dim);
  return {std::move(name)};
}

Var Model::Select(std::string name, Var x, int64_t dim, int64_t index) {
  fp::Select* s = AddLayer(name, {x})->mutable_select();
  s->set_dim(dim);
  s->set_index(index);
  return {std::move(name)};
}

Var Model::OneHot(std::string name, Var ids, int64_t depth) {
  AddLayer(name, {ids})->mutable_one_hot()->set_depth(depth);
  return {std::move(name)};
}

absl::Status Model::InitLastLayer(const std::string& weight, const std::string& bias) {
  absl::Status s;
  if (file_->model.layer_size() == 0) {
    s = absl::FailedPreconditionError("InitLastLayer: the model has no layer yet");
  } else {
    fp::Layer* l = file_->model.mutable_layer(file_->model.layer_size() - 1);
    if (!weight.empty())
      s = frontends::ParseSection(weight, absl::StrCat(l->name(), " weight_init"), l->mutable_weight_init());
    if (s.ok() && !bias.empty())
      s = frontends::ParseSection(bias, absl::StrCat(l->name(), " bias_init"), l->mutable_bias_init());
  }
  if (status_.ok()) status_ = s;
  return s;
}

void Model::Output(Var v) { file_->model.add_output(v.name); }

void Model::CrossEntropyLoss(Var logits, Var target, std::string reduction, std::optional<Var> lengths) {
  fp::Loss* l = file_->model.mutable_loss();
  l->set_input(logits.name);
  l->set_target(target.name);
  l->set_cross_entropy(true);
  if (reduction != "mean") l->set_reduction(reduction);
  if (lengths) l->set_lengths(lengths->name);
}

void Model::BCEWithLogitsLoss(Var logits, Var target, std::optional<Var> lengths) {
  fp::Loss* l = file_->model.mutable_loss();
  l->set_input(logits.name);
  l->set_target(target.name);
  l->set_bce_with_logits(true);
  if (lengths) l->set_lengths(lengths->name);
}

void Model::MSELoss(Var input, Var target, std::optional<Var> lengths) {
  fp::Loss* l = file_->model.mutable_loss();
  l->set_input(input.name);
  l->set_target(target.name);
  l->set_mse(true);
  if (lengths) l->set_lengths(lengths->name);
}

}  // namespace loom::nn
