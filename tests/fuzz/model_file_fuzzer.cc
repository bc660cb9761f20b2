// Graph description files (text format): load, lower with small sizes, add the
// training step when there is a loss and an optimizer.
//
// Structure-aware: the custom mutator below parses an input as a model description
// and sets one number in it (a size, a shape, a rate, an init bound) to a value at an
// overflow or validity boundary (0, -1, 2^31, 2^32, 2^40, 2^62, INT64_MAX, NaN, ...),
// so that runs reach the size arithmetic and validation behind the parser, which
// byte-level mutations of text seldom do. Inputs it cannot parse get libFuzzer's own
// mutations.
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "compiler/autodiff/train_step.h"
#include "compiler/pipeline/compile.h"
#include "compiler/pipeline/training_options.h"
#include "frontends/lower.h"
#include "frontends/model.pb.h"
#include "frontends/model_file.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "loom/tensor.h"

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace {

namespace pb = ::google::protobuf;

constexpr int64_t kInts[] = {0,
                             -1,
                             1,
                             2,
                             (int64_t{1} << 31) - 1,
                             int64_t{1} << 31,
                             int64_t{1} << 32,
                             (int64_t{1} << 40) + 1,
                             int64_t{1} << 62,
                             (int64_t{1} << 62) + 1,
                             std::numeric_limits<int64_t>::max(),
                             std::numeric_limits<int64_t>::min(),
                             -(int64_t{1} << 31)};
constexpr double kDoubles[] = {0.0, -0.0, -1.0, 1.0, 1.5, 1e30, -1e30, 1e-30, 2.0};

// Every (message, field, index) holding a number, depth first.
struct Slot {
  pb::Message* message;
  const pb::FieldDescriptor* field;
  int index;  // -1 when not repeated
};

void CollectNumbers(pb::Message* m, std::vector<Slot>& out) {
  const pb::Reflection* r = m->GetReflection();
  std::vector<const pb::FieldDescriptor*> fields;
  r->ListFields(*m, &fields);
  for (const pb::FieldDescriptor* f : fields) {
    int n = f->is_repeated() ? r->FieldSize(*m, f) : 1;
    for (int i = 0; i < n; ++i) {
      int index = f->is_repeated() ? i : -1;
      switch (f->cpp_type()) {
        case pb::FieldDescriptor::CPPTYPE_INT64:
        case pb::FieldDescriptor::CPPTYPE_DOUBLE: out.push_back({m, f, index}); break;
        case pb::FieldDescriptor::CPPTYPE_MESSAGE:
          CollectNumbers(f->is_repeated() ? r->MutableRepeatedMessage(m, f, i) : r->MutableMessage(m, f), out);
          break;
        default: break;
      }
    }
  }
}

void SetBoundary(const Slot& s, std::mt19937_64& rng) {
  const pb::Reflection* r = s.message->GetReflection();
  if (s.field->cpp_type() == pb::FieldDescriptor::CPPTYPE_INT64) {
    int64_t v = kInts[rng() % std::size(kInts)];
    s.index < 0 ? r->SetInt64(s.message, s.field, v) : r->SetRepeatedInt64(s.message, s.field, s.index, v);
  } else {
    double special[] = {std::nan(""), INFINITY, -INFINITY};
    double v = rng() % 4 == 0 ? special[rng() % 3] : kDoubles[rng() % std::size(kDoubles)];
    s.index < 0 ? r->SetDouble(s.message, s.field, v) : r->SetRepeatedDouble(s.message, s.field, s.index, v);
  }
}

// The mutator's parse fails often (its input may be any bytes): quietly.
class Quiet : public pb::io::ErrorCollector {
 public:
  void AddError(int, pb::io::ColumnNumber, const std::string&) override {}
};

}  // namespace

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned int seed) {
  std::mt19937_64 rng(seed);
  loom::frontends::proto::Model model;
  pb::TextFormat::Parser parser;
  Quiet quiet;
  parser.RecordErrorsTo(&quiet);
  parser.AllowPartialMessage(true);
  std::vector<Slot> slots;
  if (rng() % 4 != 0 && parser.ParseFromString(std::string(reinterpret_cast<const char*>(data), size), &model)) {
    CollectNumbers(&model, slots);
  }
  if (slots.empty()) return LLVMFuzzerMutate(data, size, max_size);
  int edits = 1 + static_cast<int>(rng() % 3);
  for (int i = 0; i < edits; ++i) SetBoundary(slots[rng() % slots.size()], rng);
  std::string text;
  if (!pb::TextFormat::PrintToString(model, &text) || text.size() > max_size) {
    return LLVMFuzzerMutate(data, size, max_size);
  }
  std::copy(text.begin(), text.end(), data);
  return text.size();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = loom::frontends::ParseModelText(std::string(reinterpret_cast<const char*>(data), size), "fuzz.pbtxt");
  if (!file.ok()) return 0;
  loom::frontends::LowerOptions options;
  options.batch = 2;
  options.vocab = 5;
  auto module = loom::frontends::LowerModel(*file, options);
  if (!module.ok()) return 0;
  // Every value a model that lowers may hold is within the element limit: the sizes
  // that later arithmetic (arenas, byte counts) multiply stay far from overflow.
  for (const loom::ir::Global& g : (*module)->globals()) {
    if (loom::NumElements(g.type.shape) > loom::kMaxElements) __builtin_trap();
  }
  if (!file->model.has_loss() || !file->model.training().has_optimizer()) return 0;
  auto train = loom::pipeline::TrainStepOptionsFor(*file);
  if (train.ok()) (void)loom::autodiff::AddTrainStep(**module, *train);
  return 0;
}
