#include "tools/loom/char_sampler.h"

#include "runtime/data/utf8.h"
#include "runtime/sampling.h"
#include "support/status_macros.h"

namespace loom::cli {

bool OutputsProbabilities(const frontends::proto::Model& model) {
  bool probs = false;
  for (const auto& layer : model.layer()) probs |= layer.name() == model.output(0) && layer.has_softmax();
  return probs;
}

absl::Status SampleChars(CompiledModel& model, const data::CharVocab& vocab, bool probs, const std::u32string& prime,
                         int64_t length, double temperature, uint64_t seed,
                         const std::function<absl::Status(const std::string&)>& emit) {
  model.ResetState();
  loom_sampling::Uniform uniform(seed);
  int64_t next = -1, fed = static_cast<int64_t>(prime.size());
  for (int64_t i = 0; i < fed + length - 1; ++i) {
    Tensor x(DType::kI64, {1, 1});
    x.values<int64_t>()[0] = i < fed ? vocab.Id(prime[i]) : next;
    ASSIGN_OR_RETURN(std::vector<Tensor> y, model.Step({x}));
    next = loom_sampling::Draw(y[0].values<float>().data(), vocab.size(), probs, temperature, uniform);
    if (i + 1 >= fed) RETURN_IF_ERROR(emit(data::EncodeUtf8(vocab.Char(next))));
  }
  return absl::OkStatus();
}

}  // namespace loom::cli
