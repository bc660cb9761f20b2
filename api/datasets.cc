#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "frontends/model_file.h"
#include "loom/data.h"
#include "runtime/data/char_corpus.h"
#include "runtime/data/csv_series.h"
#include "runtime/data/labelled_text.h"
#include "runtime/data/standardization.h"
#include "runtime/data/utf8.h"
#include "support/status_macros.h"

namespace loom {
namespace {

using frontends::proto::Model;

// How n examples divide: [0, train) trains, then `val` validate, then `test` are held out.
struct Split {
  int64_t train, val, test;
  // Where the part Validate measures begins, and how long it is.
  int64_t measured_begin(bool test_mode) const { return test_mode ? train + val : train; }
  int64_t measured(bool test_mode) const { return test_mode ? test : val; }
};
Split SplitOf(int64_t n, const DataOptions& o) {
  int64_t test = static_cast<int64_t>(static_cast<double>(n) * o.test_split);
  int64_t val = static_cast<int64_t>(static_cast<double>(n) * o.val_split);
  return {n - val - test, val, test};
}

// Where the input's batch (-1) is: 0, or 1 for a sequence-first [T, -1, ...].
int BatchDim(const Model& m, int input) {
  const auto& shape = m.input(input).shape();
  return shape.size() >= 2 && shape[1] == -1 ? 1 : 0;
}
// The size of the dimension beside the batch (the time steps, a window).
int64_t StepsOf(const Model& m, int input) { return m.input(input).shape(1 - BatchDim(m, input)); }

// A batch, made batch-first in f32 (or i64), as the model declares the input: time-major
// for a sequence-first model, widened (exactly) for an f64 one.
Tensor AsDeclared(const Model& m, int input, Tensor t) {
  if (BatchDim(m, input) == 1 && t.rank() >= 2) {
    Shape shape = t.shape();
    std::swap(shape[0], shape[1]);
    int64_t rows = t.shape()[0], cols = t.shape()[1], inner = t.num_elements() / std::max<int64_t>(1, rows * cols);
    Tensor swapped(t.dtype(), shape);
    size_t bytes = static_cast<size_t>(inner) * DTypeSize(t.dtype());
    const char* from = static_cast<const char*>(t.raw_data());
    char* to = static_cast<char*>(swapped.raw_data());
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < cols; ++c) std::memcpy(to + (c * rows + r) * bytes, from + (r * cols + c) * bytes, bytes);
    }
    t = std::move(swapped);
  }
  if (t.dtype() != DType::kF32 || m.input(input).dtype() != frontends::proto::F64) return t;
  Tensor wide(DType::kF64, t.shape());
  for (int64_t i = 0; i < t.num_elements(); ++i) wide.values<double>()[i] = t.values<float>()[i];
  return wide;
}

int InputIndex(const Model& m, const std::string& name) {
  for (int i = 0; i < m.input_size(); ++i) {
    if (m.input(i).name() == name) return i;
  }
  return -1;
}

// The input that is neither the target nor the loss's lengths: what the data fills.
int DataInput(const Model& m) {
  for (int i = 0; i < m.input_size(); ++i) {
    if (m.input(i).name() != m.loss().target() && m.input(i).name() != m.loss().lengths()) return i;
  }
  return -1;
}

// 0..n-1 shuffled by Fisher–Yates with SplitMix64 keyed by (seed, epoch): the same on
// every machine, unlike std::shuffle.
std::vector<int64_t> Permutation(int64_t n, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> p(n);
  std::iota(p.begin(), p.end(), 0);
  uint64_t state = seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(epoch) + 1;
  auto next = [&] {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  for (int64_t i = n - 1; i > 0; --i) std::swap(p[i], p[next() % static_cast<uint64_t>(i + 1)]);
  return p;
}

// How the model's output is to be read: probabilities, log-probabilities or logits.
enum class OutputKind { kProbs, kLogProbs, kLogits };
OutputKind OutputOf(const Model& m) {
  for (const auto& layer : m.layer()) {
    if (m.output_size() == 0 || layer.name() != m.output(0)) continue;
    if (layer.has_softmax()) return OutputKind::kProbs;
    if (layer.has_log_softmax()) return OutputKind::kLogProbs;
  }
  return OutputKind::kLogits;
}

// −log p(target) for the row `logits[0..v)` read as `kind`.
// Of the row of `out` (f32 or f64) that starts at `at`.
double NegLogLikelihood(const Tensor& out, int64_t at, int64_t v, int64_t target, OutputKind kind) {
  auto row = [&](int64_t i) { return out.GetDouble(at + i); };
  if (kind == OutputKind::kProbs) return -std::log(std::max(row(target), 1e-30));
  if (kind == OutputKind::kLogProbs) return -row(target);
  double mx = row(0), sum = 0;
  for (int64_t i = 1; i < v; ++i) mx = std::max(mx, row(i));
  for (int64_t i = 0; i < v; ++i) sum += std::exp(row(i) - mx);
  return mx + std::log(sum) - row(target);
}

// The rows of each batch this process trains on: all of them, or a data-parallel rank's
// share (DataOptions::rank). Batches are laid out for the whole batch, so the ranks
// together see what one process with the whole batch would.
class RowsOfBatch : public Dataset {
 protected:
  void SetRows(const DataOptions& o) {
    batch_ = o.batch;
    whole_ = o.batch * o.ranks;
    first_ = o.batch * o.rank;
  }
  int64_t batch_ = 1;  // this process's rows (also the validation batch: its model's)
  int64_t whole_ = 1;  // every rank's
  int64_t first_ = 0;  // this process's first row of the whole batch
};

// ---- A character corpus for a language model ----
class CharDataset : public RowsOfBatch {
 public:
  static absl::StatusOr<std::unique_ptr<Dataset>> Open(const Model& m, const std::string& path, const DataOptions& o) {
    auto d = std::make_unique<CharDataset>();
    d->model_ = m;
    d->SetRows(o);
    d->input_ = DataInput(m);
    d->target_ = InputIndex(m, m.loss().target());
    d->seq_ = StepsOf(m, d->input_);
    ASSIGN_OR_RETURN(data::CharCorpus corpus, data::LoadCharCorpus(path));
    d->vocab_ = corpus.vocab;
    std::vector<int64_t> ids = corpus.ids;
    if (auto it = o.metadata.find("vocab"); it != o.metadata.end()) {
      // Evaluating a trained model: its alphabet, not this file's.
      ASSIGN_OR_RETURN(d->vocab_, data::CharVocab::Parse(it->second));
      int64_t line = 1, column = 1;  // of the character at hand, for the message
      for (int64_t& id : ids) {
        char32_t c = corpus.vocab.Char(id);
        id = d->vocab_.Id(c);
        if (id < 0) {
          return absl::InvalidArgumentError(
              absl::StrCat(path, ":", line, ":", column, ": character '", data::EncodeUtf8(c), "' (U+",
                           absl::Hex(static_cast<uint32_t>(c), absl::kZeroPad4), ") is not in the model's vocabulary"));
        }
        if (c == U'\n') {
          ++line;
          column = 1;
        } else {
          ++column;
        }
      }
    }
    Split split = SplitOf(static_cast<int64_t>(ids.size()), o);
    d->train_.assign(ids.begin(), ids.begin() + split.train);
    auto measured = ids.begin() + split.measured_begin(o.test);
    d->val_.assign(measured, measured + split.measured(o.test));
    d->stream_ = static_cast<int64_t>(d->train_.size()) / d->whole_;
    return std::unique_ptr<Dataset>(std::move(d));
  }

  int64_t vocab() const override { return vocab_.size(); }
  bool streams() const override { return true; }
  std::string metric() const override { return "bits/char"; }
  // The text in `batch` contiguous streams, walked in order (the hidden state may carry
  // from one batch to the next: truncated BPTT).
  int64_t batches_per_epoch() const override { return std::max<int64_t>(0, (stream_ - 1) / seq_); }
  std::vector<Tensor> Batch(int64_t, int64_t index) const override {
    std::vector<Tensor> inputs(model_.input_size());
    Tensor x(DType::kI64, {batch_, seq_}), y(DType::kI64, {batch_, seq_});
    for (int64_t b = 0; b < batch_; ++b) {
      for (int64_t t = 0; t < seq_; ++t) {
        int64_t at = (first_ + b) * stream_ + index * seq_ + t;
        x.values<int64_t>()[b * seq_ + t] = train_[at];
        y.values<int64_t>()[b * seq_ + t] = train_[at + 1];
      }
    }
    inputs[input_] = AsDeclared(model_, input_, std::move(x));
    inputs[target_] = AsDeclared(model_, target_, std::move(y));
    return inputs;
  }
  std::pair<int64_t, std::string> units_per_batch() const override { return {whole_ * seq_, "chars"}; }

  // The held-out text read as `batch` streams, one character per step with the state
  // carried (a model trained with its state carried never sees a fresh one, and from
  // one it predicts badly for a long while); at most 4,000 characters per stream. The
  // training run's carried state is set aside meanwhile.
  absl::StatusOr<Metric> Validate(CompiledModel& model) const override {
    int64_t length = std::min<int64_t>(static_cast<int64_t>(val_.size()) / batch_, 4000);
    if (length < 2) return Metric{"bits/char", NAN, "val: too little held-out text"};
    std::map<std::string, Tensor> carried = model.CarriedState();
    model.ResetState();
    double nll = 0;
    OutputKind kind = OutputOf(model_);
    for (int64_t t = 0; t + 1 < length; ++t) {
      Tensor x(DType::kI64, {batch_, 1});
      for (int64_t b = 0; b < batch_; ++b) x.values<int64_t>()[b] = val_[b * length + t];
      auto out = model.Step({AsDeclared(model_, input_, std::move(x))});  // [B|1, 1|B, V] alike
      if (!out.ok()) {
        model.SetCarriedState(carried);
        return out.status();
      }
      int64_t v = (*out)[0].shape().back();
      for (int64_t b = 0; b < batch_; ++b) {
        nll += NegLogLikelihood((*out)[0], b * v, v, val_[b * length + t + 1], kind);
      }
    }
    model.SetCarriedState(carried);
    double count = static_cast<double>(batch_) * (length - 1);
    double bpc = nll / count / std::log(2.0);
    return Metric{"bits/char", bpc,
                  absl::StrFormat("val %.3f bits/char (perplexity %.2f)", bpc, std::exp(nll / count))};
  }
  std::map<std::string, std::string> Metadata() const override {
    return {{"data", "chars"}, {"vocab", vocab_.Serialize()}};
  }

 private:
  Model model_;
  int input_ = 0, target_ = 1;
  int64_t seq_ = 1, stream_ = 0;
  data::CharVocab vocab_;
  std::vector<int64_t> train_, val_;
};

// ---- Labelled text for a binary classifier ----
class LabelledDataset : public RowsOfBatch {
 public:
  static absl::StatusOr<std::unique_ptr<Dataset>> Open(const Model& m, const std::string& path, const DataOptions& o) {
    auto d = std::make_unique<LabelledDataset>();
    d->model_ = m;
    d->SetRows(o);
    d->seed_ = o.seed;
    d->input_ = DataInput(m);
    d->target_ = InputIndex(m, m.loss().target());
    d->seq_ = StepsOf(m, d->input_);
    ASSIGN_OR_RETURN(std::vector<data::LabelledExample> examples, data::LoadLabelledText(path));
    // A fixed shuffle before the split, so both halves hold both labels.
    std::vector<int64_t> order = Permutation(static_cast<int64_t>(examples.size()), o.seed, -1);
    Split split = SplitOf(static_cast<int64_t>(examples.size()), o);
    int64_t begin = split.measured_begin(o.test), end = begin + split.measured(o.test);
    for (int64_t i = 0; i < static_cast<int64_t>(order.size()); ++i) {
      if (i < split.train) d->train_.push_back(examples[order[i]]);
      if (i >= begin && i < end) d->val_.push_back(examples[order[i]]);
    }
    if (auto it = o.metadata.find("words"); it != o.metadata.end()) {
      d->words_ = data::WordVocab::Parse(it->second);
    } else {
      d->words_ = data::WordVocab::Build(d->train_, EmbeddingSize(m, d->input_));
    }
    return std::unique_ptr<Dataset>(std::move(d));
  }

  int64_t vocab() const override { return words_.size(); }
  std::string metric() const override { return "accuracy"; }
  int64_t batches_per_epoch() const override { return static_cast<int64_t>(train_.size()) / whole_; }
  std::vector<Tensor> Batch(int64_t epoch, int64_t index) const override {
    std::vector<int64_t> order = Permutation(static_cast<int64_t>(train_.size()), seed_, epoch);
    std::vector<const data::LabelledExample*> picked;
    for (int64_t b = 0; b < batch_; ++b) picked.push_back(&train_[order[index * whole_ + first_ + b]]);
    return Encode(picked);
  }
  std::pair<int64_t, std::string> units_per_batch() const override { return {whole_, "examples"}; }

  absl::StatusOr<Metric> Validate(CompiledModel& model) const override {
    if (val_.empty()) return Metric{"accuracy", NAN, "val: no held-out examples"};
    int64_t correct = 0;
    for (size_t i0 = 0; i0 < val_.size(); i0 += batch_) {
      // The last batch is filled up with its first example; only real ones count.
      std::vector<const data::LabelledExample*> picked;
      for (int64_t b = 0; b < batch_; ++b) picked.push_back(&val_[i0 + b < val_.size() ? i0 + b : i0]);
      std::vector<Tensor> inputs = Encode(picked);
      inputs.erase(inputs.begin() + target_);
      ASSIGN_OR_RETURN(std::vector<Tensor> out, model.Forward(inputs));
      for (int64_t b = 0; b < batch_ && i0 + b < val_.size(); ++b) {
        correct += (out[0].GetDouble(b) > 0) == (picked[b]->label > 0.5f);
      }
    }
    double acc = static_cast<double>(correct) / val_.size();
    return Metric{"accuracy", acc, absl::StrFormat("val accuracy %.1f%% (%d of %d)", 100 * acc, correct, val_.size())};
  }
  std::map<std::string, std::string> Metadata() const override {
    return {{"data", "labelled"}, {"words", words_.Serialize()}};
  }

 private:
  // The embedding that reads the token input bounds the vocabulary (-1: 20,000 words).
  static int64_t EmbeddingSize(const Model& m, int input) {
    for (const auto& layer : m.layer()) {
      if (layer.has_embedding() && layer.inputs_size() > 0 && layer.inputs(0) == m.input(input).name()) {
        return layer.embedding().num_embeddings() > 0 ? layer.embedding().num_embeddings() : 20000;
      }
    }
    return 20000;
  }

  std::vector<Tensor> Encode(const std::vector<const data::LabelledExample*>& picked) const {
    std::vector<Tensor> inputs(model_.input_size());
    Tensor x(DType::kI64, {batch_, seq_}), y(DType::kF32, {batch_, 1});
    for (int64_t b = 0; b < batch_; ++b) {
      std::vector<int64_t> ids = words_.Encode(picked[b]->words, seq_);
      std::copy(ids.begin(), ids.end(), x.values<int64_t>().begin() + b * seq_);
      y.values<float>()[b] = picked[b]->label;
    }
    inputs[input_] = AsDeclared(model_, input_, std::move(x));
    inputs[target_] = AsDeclared(model_, target_, std::move(y));
    return inputs;
  }

  Model model_;
  int input_ = 0, target_ = 1;
  int64_t seq_ = 1;
  uint64_t seed_ = 1;
  std::vector<data::LabelledExample> train_, val_;
  data::WordVocab words_;
};

// ---- A CSV time series for next-value forecasting ----
class SeriesDataset : public RowsOfBatch {
 public:
  static absl::StatusOr<std::unique_ptr<Dataset>> Open(const Model& m, const std::string& path, const DataOptions& o) {
    auto d = std::make_unique<SeriesDataset>();
    d->model_ = m;
    d->SetRows(o);
    d->seed_ = o.seed;
    d->input_ = DataInput(m);
    d->target_ = InputIndex(m, m.loss().target());
    const auto& xs = m.input(d->input_).shape();
    const auto& ys = m.input(d->target_).shape();
    if (xs.size() != 3 || ys.size() != 2) {
      return absl::InvalidArgumentError(
          "a forecasting model takes [batch, window, features] and predicts [batch, outputs]");
    }
    d->window_ = StepsOf(m, d->input_);
    d->features_ = xs[2];
    d->outputs_ = ys[1];
    ASSIGN_OR_RETURN(data::CsvSeries series, data::LoadCsvSeries(path));
    int64_t columns = static_cast<int64_t>(series.columns.size());
    if (columns != d->features_ || d->outputs_ > columns) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", columns, " columns, but the model reads ",
                                                     d->features_, " features and predicts ", d->outputs_));
    }
    d->rows_ = std::move(series.rows);
    // A window and the value after it, at least once: also what the statistics below read.
    if (static_cast<int64_t>(d->rows_.size()) <= d->window_) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", d->rows_.size(), " rows, but the model's window of ",
                                                     d->window_, " and the value after it need at least ",
                                                     d->window_ + 1));
    }
    int64_t windows = static_cast<int64_t>(d->rows_.size()) - d->window_;
    Split split = SplitOf(windows, o);
    d->train_windows_ = split.train;
    d->val_begin_ = split.measured_begin(o.test);
    d->val_windows_ = split.measured(o.test);
    ASSIGN_OR_RETURN(std::optional<data::Standardization> stored, data::LoadStandardization(o.metadata));
    if (stored) {
      if (static_cast<int64_t>(stored->mean.size()) != columns) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": ", columns, " columns, the model was trained on ", stored->mean.size()));
      }
      d->mean_ = stored->mean;
      d->std_ = stored->stddev;
    } else {
      // Standardized on the training rows only.
      int64_t n = d->train_windows_ + d->window_;
      d->mean_.assign(columns, 0);
      d->std_.assign(columns, 0);
      for (int64_t r = 0; r < n; ++r) {
        for (int64_t c = 0; c < columns; ++c) d->mean_[c] += d->rows_[r][c] / n;
      }
      for (int64_t r = 0; r < n; ++r) {
        for (int64_t c = 0; c < columns; ++c) d->std_[c] += std::pow(d->rows_[r][c] - d->mean_[c], 2) / n;
      }
      for (double& s : d->std_) s = std::sqrt(s) > 0 ? std::sqrt(s) : 1;
    }
    return std::unique_ptr<Dataset>(std::move(d));
  }

  int64_t vocab() const override { return 0; }
  std::string metric() const override { return "mse"; }
  int64_t batches_per_epoch() const override { return train_windows_ / whole_; }
  std::vector<Tensor> Batch(int64_t epoch, int64_t index) const override {
    std::vector<int64_t> order = Permutation(train_windows_, seed_, epoch);
    std::vector<int64_t> starts;
    for (int64_t b = 0; b < batch_; ++b) starts.push_back(order[index * whole_ + first_ + b]);
    return Encode(starts);
  }
  std::pair<int64_t, std::string> units_per_batch() const override { return {whole_, "windows"}; }

  // Mean squared error of the forecast in the data's units, next to predicting that
  // the next value repeats the last one.
  absl::StatusOr<Metric> Validate(CompiledModel& model) const override {
    if (val_windows_ < 1) return Metric{"mse", NAN, "val: no held-out windows"};
    double se = 0, baseline = 0;
    int64_t count = 0;
    for (int64_t w0 = 0; w0 < val_windows_; w0 += batch_) {
      std::vector<int64_t> starts;
      for (int64_t b = 0; b < batch_; ++b) starts.push_back(val_begin_ + std::min(w0 + b, val_windows_ - 1));
      std::vector<Tensor> inputs = Encode(starts);
      inputs.erase(inputs.begin() + target_);
      ASSIGN_OR_RETURN(std::vector<Tensor> out, model.Forward(inputs));
      for (int64_t b = 0; b < batch_ && w0 + b < val_windows_; ++b) {
        const std::vector<float>& next = rows_[starts[b] + window_];
        const std::vector<float>& last = rows_[starts[b] + window_ - 1];
        for (int64_t c = 0; c < outputs_; ++c) {
          double predicted = out[0].GetDouble(b * outputs_ + c) * std_[c] + mean_[c];
          se += std::pow(predicted - next[c], 2);
          baseline += std::pow(static_cast<double>(last[c]) - next[c], 2);
          ++count;
        }
      }
    }
    double mse = se / count;
    return Metric{"mse", mse,
                  absl::StrFormat("val mse %.4g (repeat-last baseline %.4g; ratio %.3f)", mse, baseline / count,
                                  mse / baseline * count)};
  }
  std::map<std::string, std::string> Metadata() const override {
    std::map<std::string, std::string> metadata = {{"data", "series"}};
    data::StoreStandardization({mean_, std_}, metadata);
    return metadata;
  }

 private:
  std::vector<Tensor> Encode(const std::vector<int64_t>& starts) const {
    std::vector<Tensor> inputs(model_.input_size());
    Tensor x(DType::kF32, {batch_, window_, features_}), y(DType::kF32, {batch_, outputs_});
    for (int64_t b = 0; b < batch_; ++b) {
      for (int64_t t = 0; t < window_; ++t) {
        for (int64_t c = 0; c < features_; ++c) {
          x.values<float>()[(b * window_ + t) * features_ + c] =
              static_cast<float>((rows_[starts[b] + t][c] - mean_[c]) / std_[c]);
        }
      }
      for (int64_t c = 0; c < outputs_; ++c) {
        y.values<float>()[b * outputs_ + c] = static_cast<float>((rows_[starts[b] + window_][c] - mean_[c]) / std_[c]);
      }
    }
    inputs[input_] = AsDeclared(model_, input_, std::move(x));
    inputs[target_] = AsDeclared(model_, target_, std::move(y));
    return inputs;
  }

  Model model_;
  int input_ = 0, target_ = 1;
  int64_t window_ = 1, features_ = 1, outputs_ = 1, train_windows_ = 0, val_begin_ = 0, val_windows_ = 0;
  uint64_t seed_ = 1;
  std::vector<std::vector<float>> rows_;
  std::vector<double> mean_, std_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Dataset>> OpenDataset(const nn::Model& model, const std::string& path,
                                                     const DataOptions& options) {
  const Model& m = model.file().model;
  if (!m.has_loss()) return absl::InvalidArgumentError("the model has no loss: nothing to train or evaluate");
  int data = DataInput(m), target = InputIndex(m, m.loss().target());
  if (data < 0 || target < 0) return absl::InvalidArgumentError("the model needs a data input and a target input");
  int64_t whole = 0;
  if (options.ranks < 1 || options.rank < 0 || options.rank >= options.ranks || options.batch < 1 ||
      __builtin_mul_overflow(options.batch, options.ranks, &whole)) {
    return absl::InvalidArgumentError(
        absl::StrCat("no batch of ", options.batch, " rows for rank ", options.rank, " of ", options.ranks));
  }
  if (m.loss().cross_entropy() && m.input(data).dtype() == frontends::proto::I64 && m.input(data).shape_size() == 2 &&
      m.input(target).shape_size() == 2) {
    return CharDataset::Open(m, path, options);
  }
  if (m.loss().bce_with_logits() && m.input(data).dtype() == frontends::proto::I64) {
    return LabelledDataset::Open(m, path, options);
  }
  if (m.loss().mse()) return SeriesDataset::Open(m, path, options);
  return absl::InvalidArgumentError(
      "loom reads three kinds of data: a character corpus (cross-entropy over token sequences), labelled text "
      "(bce_with_logits on token ids) and a CSV time series (mse); this model's loss and inputs match none");
}

}  // namespace loom
