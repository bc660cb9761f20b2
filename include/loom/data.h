// What `loom train` and `loom eval` feed a model: a data file read as the kind of data
// the model's loss asks for, cut into batches of the model's shapes.
//   cross_entropy over a sequence of token ids  → a character corpus (language model)
//   bce_with_logits on a [batch, 1] label         → labelled text (classifier)
//   mse                                           → a CSV time series (forecasting)
// Batches are a pure function of (seed, epoch, index), so a resumed run sees the same
// data in the same order.
#ifndef LOOM_DATA_H_
#define LOOM_DATA_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "loom/jit.h"
#include "loom/nn.h"
#include "loom/tensor.h"

namespace loom {

struct Metric {
  std::string name;  // "accuracy", "bits/char", "mse"
  double value;
  std::string text;  // for people: "val accuracy 93.1%" and the like
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  // The size -1 layer sizes take (the model's vocabulary), or 0.
  virtual int64_t vocab() const = 0;
  // Whether Validate runs the model as a stream (compile it with @step).
  virtual bool streams() const { return false; }
  virtual int64_t batches_per_epoch() const = 0;
  // Every input of the model, the target included, in the model file's order.
  virtual std::vector<Tensor> Batch(int64_t epoch, int64_t index) const = 0;
  // What a batch holds, for throughput: {count, "chars"}.
  virtual std::pair<int64_t, std::string> units_per_batch() const = 0;
  // The model's metric on the held-out part, and its name.
  virtual absl::StatusOr<Metric> Validate(CompiledModel& model) const = 0;
  virtual std::string metric() const = 0;
  // What a checkpoint must keep to read data the same way again (the vocabulary, the
  // normalization).
  virtual std::map<std::string, std::string> Metadata() const = 0;
};

struct DataOptions {
  int64_t batch = 1;
  double val_split = 0.1;
  uint64_t seed = 1;
  // From a checkpoint: the vocabulary and normalization to use instead of building them.
  std::map<std::string, std::string> metadata;
  // The data's last test_split (after the shuffle, for labelled text) is held out from
  // training and validation; with `test`, Validate measures that part instead.
  double test_split = 0;
  bool test = false;
  // One rank of a data-parallel run: `batch` is this rank's share of a whole batch of
  // batch · ranks rows, laid out as one process with the whole batch would see them;
  // Batch gives rows rank · batch onwards, units_per_batch counts the whole batch's.
  int64_t rank = 0, ranks = 1;
};

// `model`'s inputs must already have their final shapes (--seq applied).
absl::StatusOr<std::unique_ptr<Dataset>> OpenDataset(const nn::Model& model, const std::string& path,
                                                     const DataOptions& options);

}  // namespace loom

#endif  // LOOM_DATA_H_
