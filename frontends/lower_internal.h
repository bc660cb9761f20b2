// The lowering's shared state, split over lower.cc (driver, simple layers, losses) and
// lower_recurrent.cc (RNN, LSTM, GRU and custom cells over time).
#ifndef LOOM_FRONTENDS_LOWER_INTERNAL_H_
#define LOOM_FRONTENDS_LOWER_INTERNAL_H_

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "frontends/composites.h"
#include "frontends/lower.h"

namespace loom::frontends {

class Lowerer {
 public:
  Lowerer(const ModelFile& file, const LowerOptions& options, ir::Module& module)
      : file_(file), model_(file.model), options_(options), module_(module) {}
  const LowerOptions& options() const { return options_; }

  // Lowers into `f`: inference when !training, else with dropout and the loss.
  absl::Status LowerFunction(ir::Function* f, bool training, bool streaming = false);

  // Recurrent layers (lower_recurrent.cc).
  struct Sequence {
    Value* seq;      // time-major [T, B, features]
    Value* lengths;  // [B], or null
    int64_t T, B;
  };
  // Checks a recurrent layer's input [.., .., features] and its lengths, and makes the
  // input time-major.
  absl::StatusOr<Sequence> SequenceInput(int index, Value* x, int64_t features, bool batch_first,
                                         const std::string& lengths, const std::string& what);
  absl::Status LowerRecurrent(int index, const proto::Recurrent& rec, int gates);
  absl::Status LowerCellLayer(int index, const proto::CellLayer& layer);
  // A core op by name with attributes in the text IR's syntax (a cell's ops, op layers);
  // -1 in "shape" and "limit" is `batch`. Errors say what, not where.
  absl::StatusOr<Value*> CoreOp(Builder& b, const std::string& op, const std::vector<Value*>& operands,
                                const google::protobuf::Map<std::string, std::string>& attributes, int64_t batch,
                                bool in_cell);

  // ---- Helpers shared by both files ----
  absl::Status Error(const ir::Location& loc, absl::string_view what) const { return ir::ErrorAt(loc, what); }
  absl::Status LayerError(int index, absl::string_view what) const {
    return ir::ErrorAt(file_.LayerLoc(index), absl::StrCat("layer '", model_.layer(index).name(), "': ", what));
  }
  // Wraps a builder error (shape mismatch) with the layer's position and name.
  absl::Status InLayer(int index, const absl::Status& s) const { return s.ok() ? s : LayerError(index, s.message()); }
  // A size field: -1 is the vocabulary, bound by options.vocab.
  absl::StatusOr<int64_t> Size(int index, const char* field, int64_t value) const;
  // Declares (once) and loads (once per function) a parameter.
  absl::StatusOr<Value*> Param(const std::string& name, Shape shape, ir::Initializer init);
  // The layer's weight or bias initializer, PyTorch's unless the layer overrides it.
  ir::Initializer WeightInit(int index, ir::Initializer pytorch) const;
  ir::Initializer BiasInit(int index, ir::Initializer pytorch) const;
  absl::StatusOr<Value*> Input(int index, int k);  // the layer's k-th input value
  absl::StatusOr<Value*> NamedValue(const std::string& name, const ir::Location& loc);
  void Define(const std::string& name, Value* v) { values_[name] = v; }
  int64_t DropoutSeed(const std::string& site);
  absl::StatusOr<Value*> DropoutCounter();
  // Layer `index`'s dropout rows in x (see Dropout): refused on one rank of several when
  // x has no single axis as long as the batch.
  absl::StatusOr<std::optional<BatchRows>> BatchRowsOf(int index, const Value* x) const;

  const ModelFile& file_;
  const proto::Model& model_;
  LowerOptions options_;
  ir::Module& module_;
  std::unique_ptr<Builder> b_;
  // The type every float value computes in: the float inputs' (f64 for gradient checks
  // against other frameworks), f32 when there are none.
  DType float_ = DType::kF32;
  bool training_ = false;
  bool streaming_ = false;
  std::map<std::string, Value*> values_;
  std::map<std::string, Value*> loaded_;
};

ir::Initializer Uniform(double bound);
ir::Initializer InitFromProto(const proto::Init& init);

}  // namespace loom::frontends

#endif  // LOOM_FRONTENDS_LOWER_INTERNAL_H_
