// loom train MODEL --data PATH: compiles the model's training step with the JIT and runs
// it over the data, validating after every epoch. With --save, the checkpoint (model,
// optimizer state, carried state, vocabulary and the position in the data) is written
// atomically after every epoch, at the end and on Ctrl-C, and a CSV log of the run
// beside it (CKPT.csv, for `loom plot`). --resume continues a run exactly where its
// checkpoint left it: same batches in the same order, same optimizer state. --threads
// shares large GEMMs among threads (the results do not change with it). A NaN or
// infinite loss stops the run naming the step, the checkpoint left as the last epoch
// wrote it; --detect-anomaly also checks the parameters after every step and, when
// something goes non-finite, reruns that step in the reference interpreter to name the
// first op that produced a NaN or an infinity.
//
// Under mpirun each process is a rank of a data-parallel run (loom/world.h): --batch is
// per rank, each rank trains on its rows of every whole batch, the compiled step sums
// the gradients; the ranks agree after every step on whether to go on (Ctrl-C reaches
// them at different steps), rank 0 alone prints, logs and writes the checkpoint — after
// the ranks agree on its step — and an error on one rank stops them all.
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "runtime/data/char_corpus.h"
#include "support/status_macros.h"
#include "tools/loom/char_sampler.h"
#include "tools/loom/commands.h"
#include "tools/loom/lr_schedule.h"
#include "tools/loom/progress.h"
#include "tools/loom/run_files.h"
#include "tools/loom/session.h"
#include "tools/loom/threads.h"

namespace loom::cli {
namespace {

// SIGINT, SIGTERM and SIGHUP alike: stop at the next step boundary, with a checkpoint.
volatile std::sig_atomic_t interrupted = 0;
void OnInterrupt(int signal) { interrupted = signal; }

// The run's world, for TrainCommand to stop every rank after an error on this one.
std::shared_ptr<World> joined;

struct Position {
  int64_t epoch = 0, batch = 0, step = 0;
};

absl::StatusOr<Position> PositionOf(const std::map<std::string, std::string>& metadata, const std::string& path) {
  Position p;
  for (auto [key, field] :
       {std::pair<const char*, int64_t*>{"epoch", &p.epoch}, {"batch", &p.batch}, {"step", &p.step}}) {
    auto it = metadata.find(key);
    if (it == metadata.end() || !absl::SimpleAtoi(it->second, field)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": not a training checkpoint (no '", key, "' to resume from)"));
    }
  }
  return p;
}

bool AllFinite(const TensorMap& globals) {
  for (const auto& [name, t] : globals) {
    if (t.dtype() != DType::kF32) continue;
    for (float v : t.values<float>()) {
      if (!std::isfinite(v)) return false;
    }
  }
  return true;
}

class Run {
 public:
  // `saved_step`: the step the checkpoint holds already (a resumed run's), or -1.
  Run(Session& s, std::string save, int64_t saved_step, std::map<std::string, std::string> data_identity)
      : s_(s),
        save_(std::move(save)),
        saved_step_(saved_step),
        data_identity_(std::move(data_identity)),
        lead_(s.world == nullptr || s.world->rank() == 0) {}

  // What the checkpoint holds, for the message that stops a run.
  std::string Saved() const {
    if (save_.empty()) return "";
    if (saved_step_ < 0) return absl::StrCat(" (", save_, " has not been written)");
    return absl::StrCat(" (", save_, " holds step ", saved_step_, ")");
  }

  // Early stopping (--patience): the best validation so far, at which step, and how many
  // validations since; kept in the checkpoint, so that --resume carries them on.
  struct Best {
    double value = NAN;
    int64_t step = -1, since = 0;
  };
  Best best;
  LrSchedule schedule;  // kept in the checkpoint: --resume continues it
  void RestoreBest(const std::map<std::string, std::string>& metadata) {
    auto get = [&](const char* key) { return metadata.count(key) ? metadata.at(key) : std::string(); };
    if (!absl::SimpleAtod(get("best_metric"), &best.value)) best.value = NAN;
    if (!absl::SimpleAtoi(get("best_step"), &best.step)) best.step = -1;
    if (!absl::SimpleAtoi(get("since_best"), &best.since)) best.since = 0;
  }
  // Counts a validation; true when it is the best so far (lower bits/char or mse, higher
  // accuracy).
  bool Improved(const Metric& m, int64_t step) {
    bool higher_is_better = m.name == "accuracy";
    if (std::isnan(best.value) || (higher_is_better ? m.value > best.value : m.value < best.value)) {
      best = {m.value, step, 0};
      return true;
    }
    ++best.since;
    return false;
  }

  // With `copy_to`: the same checkpoint written there as well (CKPT.best).
  absl::Status Save(const Position& p, const std::string& copy_to = "") {
    if (save_.empty()) return absl::OkStatus();
    // A checkpoint of non-finite parameters would only carry the failure on.
    if (!AllFinite(s_.model->globals())) {
      return absl::FailedPreconditionError(
          absl::StrCat("the parameters are no longer finite at step ", p.step, "; not saved", Saved()));
    }
    std::map<std::string, std::string> metadata = s_.data->Metadata();
    metadata.insert(data_identity_.begin(), data_identity_.end());
    metadata["epoch"] = absl::StrCat(p.epoch);
    metadata["batch"] = absl::StrCat(p.batch);
    metadata["step"] = absl::StrCat(p.step);
    metadata["seed"] = absl::StrCat(s_.seed);
    metadata["lr_schedule"] = schedule.spec();
    if (int ranks = s_.world ? s_.world->size() : 1; ranks > 1) {
      // Every rank saves (the carried state is gathered from all), at the same step.
      ASSIGN_OR_RETURN(int64_t agreed, s_.world->Min(p.step));
      if (agreed != p.step) {
        return absl::InternalError(absl::StrCat("rank ", s_.world->rank(), " is at step ", p.step,
                                                " but another rank at step ", agreed, "; not saved", Saved()));
      }
      metadata["ranks"] = absl::StrCat(ranks);
    }
    metadata["whole_batch"] = absl::StrCat(s_.data_options.batch * s_.data_options.ranks);
    metadata["warmup"] = absl::StrCat(schedule.warmup());
    if (best.step >= 0) {
      metadata["best_metric"] = absl::StrFormat("%.17g", best.value);
      metadata["best_step"] = absl::StrCat(best.step);
      metadata["since_best"] = absl::StrCat(best.since);
    }
    RETURN_IF_ERROR(s_.model->SaveCheckpoint(save_, metadata));
    if (!copy_to.empty()) RETURN_IF_ERROR(s_.model->SaveCheckpoint(copy_to, metadata));
    saved_step_ = p.step;
    return absl::OkStatus();
  }

  // step,epoch,loss,<metric>: the mean training loss since the last row; the metric on
  // epoch ends.
  void Log(const Position& p, double loss, const std::string& metric, double value) {
    if (save_.empty() || !lead_) return;
    std::string path = save_ + ".csv";
    bool fresh = !std::ifstream(path).good();
    std::ofstream out(path, std::ios::app);
    if (fresh) out << "step,epoch,loss,val_" << metric << "\n";
    out << p.step << "," << p.epoch << "," << absl::StrFormat("%.6g", loss) << ","
        << (std::isnan(value) ? "" : absl::StrFormat("%.6g", value)) << "\n";
  }

 private:
  Session& s_;
  std::string save_;
  int64_t saved_step_;
  std::map<std::string, std::string> data_identity_;
  bool lead_;  // the rank that writes (all but rank 0 only take part)
};

// --sample-every: the model being trained, compiled again for streaming at batch 1,
// given the current parameters each time it samples, as the seed's training loop does.
class Sampler {
 public:
  static absl::StatusOr<Sampler> Open(Session& s) {
    std::map<std::string, std::string> metadata = s.data->Metadata();
    if (!metadata.count("vocab")) {
      return absl::InvalidArgumentError("--sample-every: only a character model (trained on text) samples");
    }
    Sampler sampler;
    ASSIGN_OR_RETURN(sampler.vocab_, data::CharVocab::Parse(metadata.at("vocab")));
    ASSIGN_OR_RETURN(sampler.model_, s.jit->Compile(nn::Model(s.file),
                                                    {.batch = 1, .vocab = s.data->vocab(), .streaming = true}, s.seed));
    sampler.probs_ = OutputsProbabilities(s.file.model);
    // Primed with a newline where the text has one, else with its first character.
    sampler.prime_ = sampler.vocab_.Id(U'\n') >= 0 ? U"\n" : std::u32string(1, sampler.vocab_.Char(0));
    return sampler;
  }

  absl::StatusOr<std::string> Sample(Session& s, int64_t length, int64_t step) {
    for (const auto& [name, t] : s.model->globals()) {
      absl::Status set = model_->SetParameter(name, t);  // optimizer state is not a parameter
      if (!set.ok() && !absl::IsNotFound(set)) return set;
    }
    std::string text;
    RETURN_IF_ERROR(SampleChars(*model_, vocab_, probs_, prime_, length, 1.0, s.seed + static_cast<uint64_t>(step),
                                [&](const std::string& ch) {
                                  text += ch;
                                  return absl::OkStatus();
                                }));
    return text;
  }

 private:
  data::CharVocab vocab_;
  std::unique_ptr<CompiledModel> model_;
  bool probs_ = false;
  std::u32string prime_;
};

// A loss this many times the run's first (or 1) means training diverged: with a finite
// but absurd loss (Adagrad at lr 1e30 gives 4.8e32) the parameters are garbage already.
constexpr double kDivergence = 1e6;

// The error that stops a run at `step`; with --detect-anomaly, where the NaN came from.
absl::Status NonFinite(Session& s, int64_t step, float loss, const std::vector<Tensor>* batch, const TensorMap* before,
                       const Run& run) {
  std::string what = std::isfinite(loss) ? absl::StrCat("the parameters are no longer finite after step ", step,
                                                        " (its loss was ", loss, ")")
                                         : absl::StrCat("the loss is ", loss, " at step ", step);
  absl::StrAppend(&what, "; stopped", run.Saved());
  if (batch != nullptr) {
    std::cerr << absl::StrFormat("loom: step %d went non-finite; rerunning it in the reference interpreter\n", step);
    ASSIGN_OR_RETURN(std::string why, s.model->ExplainNonFinite(*batch, *before));
    absl::StrAppend(&what, "\n--detect-anomaly: ", why);
  }
  return absl::FailedPreconditionError(what);
}

absl::Status Train(const Args& args) {
  std::string resume = args.Get("--resume"), save = args.Get("--save", resume);
  for (const char* flag : {"--save", "--resume"}) {
    if (args.Has(flag) && args.Get(flag).empty())
      return absl::InvalidArgumentError(absl::StrCat(flag, " needs a file name"));
  }
  ASSIGN_OR_RETURN(double rank_timeout, args.GetDouble("--rank-timeout", 300));
  ASSIGN_OR_RETURN(joined, World::Join({.timeout_seconds = rank_timeout}));
  const bool lead = joined->rank() == 0;
  const int ranks = joined->size();
  // Every option and output path is checked before anything is compiled or trained.
  std::optional<RunLock> lock;
  if (!save.empty() && lead) {
    ASSIGN_OR_RETURN(RunLock taken, RunLock::Take(save));
    lock.emplace(std::move(taken));
  }
  RETURN_IF_ERROR(ThreadsOption(args).status());  // checked before the work, used by OpenSession
  ASSIGN_OR_RETURN(int64_t epochs, args.GetInt("--epochs", args.Has("--steps") ? INT64_MAX : 1));
  ASSIGN_OR_RETURN(int64_t steps, args.GetInt("--steps", INT64_MAX));
  if (epochs < 1 || steps < 1) return absl::InvalidArgumentError("--epochs and --steps must be at least 1");
  ASSIGN_OR_RETURN(int64_t sample_every, args.GetInt("--sample-every", 0));
  ASSIGN_OR_RETURN(int64_t sample_length, args.GetInt("--sample-length", 200));
  if (sample_every < 0 || sample_length < 1) {
    return absl::InvalidArgumentError("--sample-every must be 0 (off) or more, --sample-length at least 1");
  }
  ASSIGN_OR_RETURN(int64_t patience, args.GetInt("--patience", 0));
  if (patience < 0) return absl::InvalidArgumentError("--patience must be 0 (off) or more");
  // From here on Ctrl-C (or SIGTERM, SIGHUP) stops at the next step boundary, with a
  // checkpoint.
  for (int signal : {SIGINT, SIGTERM, SIGHUP}) std::signal(signal, OnInterrupt);
  using Metadata = std::map<std::string, std::string>;
  ASSIGN_OR_RETURN(Metadata data_identity, DataIdentity(args.Get("--data")));
  ASSIGN_OR_RETURN(frontends::ModelFile file, frontends::LoadModelFile(args.positional[0]));
  ASSIGN_OR_RETURN(Session s, OpenSession(std::move(file), args.Get("--data"), args, resume, 0.1, joined));
  if (s.data->batches_per_epoch() < 1) {
    return absl::InvalidArgumentError(absl::StrCat(args.Get("--data"), ": too little data for one batch of ", s.batch,
                                                   " (less --val-split, a smaller --batch or --seq)"));
  }
  Position p;
  int64_t per_epoch = s.data->batches_per_epoch();
  if (!resume.empty()) {
    ASSIGN_OR_RETURN(p, PositionOf(s.metadata, resume));
    if (!args.Has("--other-data")) {
      RETURN_IF_ERROR(CheckSameData(s.metadata, data_identity, args.Get("--data"), resume));
    } else if (p.batch >= per_epoch) {
      // Other data, with fewer batches: the checkpoint's epoch is over in this data.
      ++p.epoch;
      p.batch = 0;
    }
    // Batches are laid out by the whole batch: the same whole batch goes on (on any
    // number of ranks).
    int64_t whole = s.batch * ranks, saved_whole = 0;
    if (auto it = s.metadata.find("whole_batch");
        it != s.metadata.end() && absl::SimpleAtoi(it->second, &saved_whole) && saved_whole != whole) {
      return absl::InvalidArgumentError(absl::StrCat(resume, " was trained on batches of ", saved_whole,
                                                     " examples in all; this run's are ", whole, " (", ranks,
                                                     " rank(s) × --batch ", s.batch, ")"));
    }
    // Rows a killed run logged after its checkpoint: this run logs them again.
    if (lead) RETURN_IF_ERROR(TruncateLog(save + ".csv", p.step));
  }
  int64_t last = std::min(steps, epochs > INT64_MAX / per_epoch ? INT64_MAX : epochs * per_epoch);
  if (p.step >= last) {
    return absl::InvalidArgumentError(absl::StrCat("the run is already at step ", p.step, " of ", last));
  }
  auto [units, unit] = s.data->units_per_batch();
  if (lead) {
    std::string where = ranks == 1 ? "" : absl::StrFormat(" on %d ranks (%d per rank)", ranks, units / ranks);
    std::cerr << absl::StrFormat("training %s on %s: %d batches of %d %s%s per epoch, steps %d to %d\n",
                                 s.file.model.name(), args.Get("--data"), per_epoch, units, unit, where, p.step, last);
  }
  Run run(s, save, resume.empty() ? -1 : p.step, data_identity);
  run.RestoreBest(s.metadata);
  // A resumed run's schedule is its checkpoint's unless given again.
  auto stored = [&](const char* key, const std::string& dflt) {
    auto it = s.metadata.find(key);
    return it == s.metadata.end() ? dflt : it->second;
  };
  ASSIGN_OR_RETURN(int64_t warmup, args.GetInt("--warmup", 0));
  if (!args.Has("--warmup") && !absl::SimpleAtoi(stored("warmup", "0"), &warmup)) warmup = 0;
  ASSIGN_OR_RETURN(run.schedule,
                   LrSchedule::Parse(args.Get("--lr-schedule", stored("lr_schedule", "constant")), warmup));
  double base_lr = s.file.model.training().optimizer().lr();
  std::optional<Sampler> sampler;
  if (sample_every > 0 && lead) {
    ASSIGN_OR_RETURN(sampler, Sampler::Open(s));
  }
  if (resume.empty() && !save.empty() && lead) std::remove((save + ".csv").c_str());  // a new run, a new log
  Progress progress(p.step, last - p.step, units, unit, lead);
  double loss_sum = 0;
  int64_t loss_count = 0, log_every = std::max<int64_t>(1, per_epoch / 10);
  bool detect_anomaly = args.Has("--detect-anomaly");
  double first_loss = NAN;
  TensorMap before;
  // Time in training steps (and the ranks' agreements) and what they summed, for the
  // report at the end.
  const int64_t first_step = p.step;
  double step_seconds = 0;
  int64_t steps_timed = 0;
  World::Traffic traffic_start;
  while (p.step < last) {
    std::vector<Tensor> batch = s.data->Batch(p.epoch, p.batch);
    if (detect_anomaly) before = s.model->globals();
    RETURN_IF_ERROR(s.model->SetLearningRate(run.schedule.At(base_lr, p.step)));
    auto step_start = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(float loss, s.model->TrainStep(batch));
    // The first step compiles: timed from the second on.
    if (p.step > first_step) {
      step_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - step_start).count();
      ++steps_timed;
    } else {
      traffic_start = joined->traffic();
    }
    if (!std::isfinite(loss) || (detect_anomaly && !AllFinite(s.model->globals()))) {
      progress.Finish();
      return NonFinite(s, p.step + 1, loss, detect_anomaly ? &batch : nullptr, &before, run);
    }
    if (std::isnan(first_loss)) first_loss = loss;
    if (std::abs(loss) > kDivergence * std::max(1.0, std::abs(first_loss))) {
      progress.Finish();
      return absl::FailedPreconditionError(
          absl::StrFormat("training diverged: the loss grew from %g to %g by step %d (a smaller --lr?); stopped%s",
                          first_loss, loss, p.step + 1, run.Saved()));
    }
    ++p.step;
    loss_sum += loss;
    ++loss_count;
    bool epoch_end = ++p.batch == per_epoch;
    if (epoch_end) {
      ++p.epoch;
      p.batch = 0;
    }
    progress.Step(p.step, p.batch == 0 ? p.epoch : p.epoch + 1, loss);
    if (epoch_end || p.step == last) {
      ASSIGN_OR_RETURN(Metric m, s.data->Validate(*s.model));
      run.Log(p, loss_sum / loss_count, s.data->metric(), m.value);
      loss_sum = loss_count = 0;
      std::string when = p.batch == 0 ? absl::StrFormat("epoch %d", p.epoch)
                                      : absl::StrFormat("epoch %d (%d of %d batches)", p.epoch + 1, p.batch, per_epoch);
      progress.Note(absl::StrFormat("%s, step %d: loss %.4f, %s", when, p.step, loss, m.text), m.text);
      bool improved = run.Improved(m, p.step);
      RETURN_IF_ERROR(run.Save(p, patience > 0 && improved && !save.empty() ? save + ".best" : ""));
      if (patience > 0 && run.best.since >= patience) {
        progress.Note(absl::StrFormat("stopping early: val %s has not improved for %d validations (best %.6g at "
                                      "step %d%s)",
                                      s.data->metric(), patience, run.best.value, run.best.step,
                                      save.empty() ? "" : absl::StrCat(", saved as ", save, ".best")),
                      "");
        break;
      }
    } else if (p.step % log_every == 0) {
      run.Log(p, loss_sum / loss_count, s.data->metric(), NAN);
      loss_sum = loss_count = 0;
    }
    if (sampler && p.step % sample_every == 0) {
      ASSIGN_OR_RETURN(std::string text, sampler->Sample(s, sample_length, p.step));
      progress.Note(absl::StrCat("--- sample at step ", p.step, " ---\n", text));
    }
    // The ranks stop at one step: each may have been signalled at a different one.
    bool stop = interrupted != 0;
    if (ranks > 1) {
      auto agree_start = std::chrono::steady_clock::now();
      ASSIGN_OR_RETURN(int64_t go_on, joined->Min(stop ? 0 : 1));
      if (p.step > first_step + 1) {
        step_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - agree_start).count();
      }
      stop = go_on == 0;
    }
    if (stop) {
      RETURN_IF_ERROR(run.Save(p));
      progress.Finish();
      return absl::CancelledError(
          absl::StrCat("interrupted",
                       interrupted == SIGTERM  ? " by SIGTERM"
                       : interrupted == SIGHUP ? " by SIGHUP"
                       : interrupted == 0      ? " on another rank"
                                               : "",
                       " at step ", p.step,
                       save.empty() ? "" : absl::StrCat("; saved ", save, " (continue with --resume ", save, ")")));
    }
  }
  progress.Finish();
  if (lead && steps_timed > 0) {
    double per_step = step_seconds / steps_timed;
    std::cerr << absl::StrFormat("timing: %.2f ms per step after the first (%.1f %s/s)\n", 1e3 * per_step,
                                 units / per_step, unit);
    if (ranks > 1) {
      World::Traffic now = joined->traffic();
      double bytes = now.bytes - traffic_start.bytes, messages = now.messages - traffic_start.messages;
      double wait = now.wait_seconds - traffic_start.wait_seconds;
      double agree = now.agree_seconds - traffic_start.agree_seconds;
      double window = now.window_seconds - traffic_start.window_seconds;
      std::cerr << absl::StrFormat(
          "data-parallel: %d ranks; per step %.2f MB summed in %.0f messages (the first %.2f ms before the step "
          "needed a sum), %.2f ms (%.0f%%) waiting for the sums, %.2f ms agreeing to go on\n",
          ranks, bytes / 1e6 / steps_timed, messages / steps_timed, 1e3 * window / steps_timed,
          1e3 * wait / steps_timed, 100 * wait / step_seconds, 1e3 * agree / steps_timed);
    }
  }
  if (s.data_options.test_split > 0) {
    // The held-out part, never trained on nor validated, with the run's vocabulary.
    DataOptions test = s.data_options;
    test.metadata = s.data->Metadata();
    test.test = true;
    ASSIGN_OR_RETURN(std::unique_ptr<Dataset> data, OpenDataset(nn::Model(s.file), args.Get("--data"), test));
    ASSIGN_OR_RETURN(Metric m, data->Validate(*s.model));
    std::string text = absl::StartsWith(m.text, "val ") ? m.text.substr(4) : m.text;
    if (lead)
      std::cerr << absl::StrFormat("test (%g of the data, never trained on nor validated): %s\n",
                                   s.data_options.test_split, text);
  }
  if (!save.empty() && lead) std::cerr << "saved " << save << " (log: " << save << ".csv)\n";
  return absl::OkStatus();
}

}  // namespace

int TrainCommand(const Args& args) {
  absl::Status s = Train(args);
  if (absl::IsCancelled(s)) {
    if (joined == nullptr || joined->rank() == 0) std::cerr << "loom: " << s.message() << "\n";
    return 128 + (interrupted ? interrupted : SIGINT);  // as the shell reports a signal
  }
  if (s.ok()) return 0;
  int code = Fail(s);
  // The other ranks would wait for this one at their next collective.
  if (joined != nullptr && joined->size() > 1) joined->Abort(code);
  return code;
}

}  // namespace loom::cli
