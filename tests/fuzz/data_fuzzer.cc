// The data loaders: the first byte picks one (character corpus, labelled text, CSV
// series), the rest is the file.
#include <cstdint>
#include <string>

#include "runtime/data/char_corpus.h"
#include "runtime/data/csv_series.h"
#include "runtime/data/labelled_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  absl::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto corpus = loom::data::ParseCharCorpus(bytes, "fuzz.txt");
      if (corpus.ok()) {
        auto back = loom::data::CharVocab::Parse(corpus->vocab.Serialize());
        if (!back.ok() || back->size() != corpus->vocab.size()) __builtin_trap();
      }
      break;
    }
    case 1: {
      auto examples = loom::data::ParseLabelledText(bytes, "fuzz.tsv");
      if (examples.ok()) {
        auto vocab = loom::data::WordVocab::Build(*examples, 50);
        for (const auto& e : *examples) (void)vocab.Encode(e.words, 8);
      }
      break;
    }
    case 2: (void)loom::data::ParseCsvSeries(bytes, "fuzz.csv"); break;
  }
  return 0;
}
