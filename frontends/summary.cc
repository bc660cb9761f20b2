#include "frontends/summary.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace loom::frontends {
namespace {

std::string Bool(bool b) { return b ? "True" : "False"; }

std::string Recurrent(const char* kind, const proto::Recurrent& r) {
  std::string s = absl::StrCat(kind, "(", r.input_size(), ", ", r.hidden_size());
  if (r.num_layers() > 1) absl::StrAppend(&s, ", num_layers=", r.num_layers());
  if (!r.nonlinearity().empty() && r.nonlinearity() != "tanh") {
    absl::StrAppend(&s, ", nonlinearity=", r.nonlinearity());
  }
  if (r.no_bias()) absl::StrAppend(&s, ", bias=False");
  if (r.batch_first()) absl::StrAppend(&s, ", batch_first=True");
  if (r.dropout() > 0) absl::StrAppend(&s, ", dropout=", r.dropout());
  if (r.bidirectional()) absl::StrAppend(&s, ", bidirectional=True");
  return s + ")";
}

// The module line PyTorch prints (Loom-only layers in the same style).
std::string Describe(const proto::Layer& l) {
  switch (l.kind_case()) {
    case proto::Layer::kEmbedding:
      return absl::StrCat("Embedding(", l.embedding().num_embeddings(), ", ", l.embedding().embedding_dim(), ")");
    case proto::Layer::kLinear:
      return absl::StrCat("Linear(in_features=", l.linear().in_features(), ", out_features=", l.linear().out_features(),
                          ", bias=", Bool(!l.linear().no_bias()), ")");
    case proto::Layer::kRnn: return Recurrent("RNN", l.rnn());
    case proto::Layer::kLstm: return Recurrent("LSTM", l.lstm());
    case proto::Layer::kGru: return Recurrent("GRU", l.gru());
    case proto::Layer::kDropout: return absl::StrCat("Dropout(p=", l.dropout().p(), ", inplace=False)");
    case proto::Layer::kActivation: {
      const std::string& f = l.activation().function();
      return f == "relu" ? "ReLU()" : f == "tanh" ? "Tanh()" : "Sigmoid()";
    }
    case proto::Layer::kSoftmax:
      return absl::StrCat("Softmax(dim=", l.softmax().has_dim() ? l.softmax().dim() : -1, ")");
    case proto::Layer::kLogSoftmax:
      return absl::StrCat("LogSoftmax(dim=", l.log_softmax().has_dim() ? l.log_softmax().dim() : -1, ")");
    case proto::Layer::kConcat: return absl::StrCat("Concat(dim=", l.concat().dim(), ")");
    case proto::Layer::kSelect:
      return absl::StrCat("Select(dim=", l.select().dim(), ", index=", l.select().index(), ")");
    case proto::Layer::kOneHot: return absl::StrCat("OneHot(depth=", l.one_hot().depth(), ")");
    case proto::Layer::kCell:
      return absl::StrCat("Cell(", l.cell().cell(), l.cell().batch_first() ? ", batch_first=True" : "",
                          l.cell().reverse() ? ", reverse=True" : "", ")");
    case proto::Layer::kOp: return absl::StrCat("Op(", l.op().op(), ")");
    case proto::Layer::kParam: return absl::StrCat("Parameter(", absl::StrJoin(l.param().shape(), ", "), ")");
    case proto::Layer::KIND_NOT_SET: break;
  }
  return "?";
}

}  // namespace

std::string WithThousands(int64_t n) {
  std::string digits = absl::StrCat(n < 0 ? -n : n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? absl::StrCat("-", out) : out;
}

std::string Summarize(const proto::Model& model, const ir::Module& module,
                      const std::map<std::string, ir::TensorType>& value_types) {
  std::string out = absl::StrCat(model.name(), "(\n");
  for (const proto::Layer& l : model.layer()) absl::StrAppend(&out, "  (", l.name(), "): ", Describe(l), "\n");
  out += ")\n\n";
  absl::StrAppendFormat(&out, "%-16s %-22s %12s\n", "Layer", "Output", "Parameters");
  int64_t total = 0;
  for (const proto::Layer& l : model.layer()) {
    int64_t count = 0;
    for (const ir::Global& g : module.globals()) {
      // A layer's parameters are "<layer>.<name>"; a param layer is its own.
      bool own = l.has_param() ? g.name == l.name() : absl::StartsWith(g.name, l.name() + ".");
      if (g.trainable && own) count += g.type.num_elements();
    }
    total += count;
    auto it = value_types.find(l.name());
    absl::StrAppendFormat(&out, "%-16s %-22s %12s\n", l.name(), it == value_types.end() ? "-" : it->second.ToString(),
                          WithThousands(count));
  }
  absl::StrAppend(&out, "\nTotal parameters: ", WithThousands(total), "\n");
  return out;
}

}  // namespace loom::frontends
