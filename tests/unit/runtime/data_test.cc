// The data readers: UTF-8 decoding and its error positions, the character alphabet, the
// word vocabulary, labelled lines and CSV series, each on small hand-made files.
#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "runtime/data/char_corpus.h"
#include "runtime/data/csv_series.h"
#include "runtime/data/labelled_text.h"
#include "runtime/data/standardization.h"
#include "runtime/data/utf8.h"

namespace loom::data {
namespace {

std::string TempFile(const std::string& name, const std::string& contents) {
  std::string path = (std::filesystem::temp_directory_path() / ("loom_data_test_" + name)).string();
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

TEST(Utf8Test, DecodesEveryLengthAndRoundTrips) {
  std::string text = "a\xC3\xA9\xE2\x80\x94\xF0\x9F\x90\xB3";  // a é — 🐳
  auto decoded = DecodeUtf8(text, "f");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, (std::u32string{U'a', U'\u00E9', U'\u2014', U'\U0001F433'}));
  EXPECT_EQ(EncodeUtf8(*decoded), text);
}

TEST(Utf8Test, InvalidBytesAreNamedByLineAndColumn) {
  struct Case {
    std::string bytes, message;
  };
  const Case cases[] = {
      {"ab\ncd\xFF", "f:2:3: invalid UTF-8 (byte 0xFF)"},        // not a lead byte
      {"\xC0\x80", "f:1:1: invalid UTF-8 (byte 0xC0)"},          // overlong NUL
      {"x\xED\xA0\x80", "f:1:2: invalid UTF-8 (byte 0xED)"},     // a surrogate
      {"\xF4\x90\x80\x80", "f:1:1: invalid UTF-8 (byte 0xF4)"},  // beyond U+10FFFF
      {"ok\xE2\x80", "f:1:3: invalid UTF-8 (byte 0xE2)"},        // truncated
      {"\x80", "f:1:1: invalid UTF-8 (byte 0x80)"},              // a lone continuation
  };
  for (const Case& c : cases) {
    auto decoded = DecodeUtf8(c.bytes, "f");
    ASSERT_FALSE(decoded.ok()) << c.message;
    EXPECT_EQ(decoded.status().message(), c.message);
  }
}

TEST(CharCorpusTest, AlphabetIsSortedAndTravels) {
  auto corpus = LoadCharCorpus(TempFile("corpus.txt", "hello, w\xC3\xB6rld"));
  ASSERT_TRUE(corpus.ok()) << corpus.status();
  // Sorted code points: ' ' ',' 'd' 'e' 'h' 'l' 'o' 'r' 'w' 'ö'.
  EXPECT_EQ(corpus->vocab.size(), 10);
  EXPECT_EQ(corpus->ids[0], corpus->vocab.Id(U'h'));
  EXPECT_EQ(corpus->vocab.Id(U' '), 0);
  EXPECT_EQ(corpus->vocab.Char(9), U'\u00F6');
  EXPECT_EQ(corpus->vocab.Id(U'z'), -1);
  auto back = CharVocab::Parse(corpus->vocab.Serialize());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->Serialize(), corpus->vocab.Serialize());
  EXPECT_FALSE(CharVocab::Parse("ba").ok());  // not sorted: not an alphabet we wrote
  EXPECT_EQ(LoadCharCorpus(TempFile("one.txt", "aaaa")).status().message(),
            TempFile("one.txt", "aaaa") + ": a character corpus needs at least two distinct characters");
}

TEST(LabelledTextTest, ReadsLinesAndBuildsAFrequencyVocabulary) {
  auto examples = LoadLabelledText(TempFile("l.tsv", "1\tBuy NOW, buy!\r\n\n0\tsee you at 5\n"));
  ASSERT_TRUE(examples.ok()) << examples.status();
  ASSERT_EQ(examples->size(), 2u);
  EXPECT_EQ((*examples)[0].words, (std::vector<std::string>{"buy", "now", "buy"}));
  EXPECT_EQ((*examples)[0].label, 1.0f);
  EXPECT_EQ((*examples)[1].words, (std::vector<std::string>{"see", "you", "at", "5"}));
  // Capped at 4 ids: pad, unknown and the two most frequent words ("buy", then "now",
  // first seen of the words used once).
  WordVocab v = WordVocab::Build(*examples, 4);
  EXPECT_EQ(v.size(), 4);
  EXPECT_EQ(v.Encode({"buy", "now", "see"}, 5), (std::vector<int64_t>{0, 0, 2, 3, WordVocab::kUnknown}));
  EXPECT_EQ(v.Encode({"buy", "now", "buy"}, 2), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(WordVocab::Parse(v.Serialize()).Encode({"now"}, 1), (std::vector<int64_t>{3}));
}

TEST(CsvSeriesTest, HeaderIsOptionalAndRowsMustAgree) {
  auto with = LoadCsvSeries(TempFile("h.csv", "births, day\n10,1\n12.5, 2\n"));
  ASSERT_TRUE(with.ok()) << with.status();
  EXPECT_EQ(with->columns, (std::vector<std::string>{"births", "day"}));
  EXPECT_EQ(with->rows, (std::vector<std::vector<float>>{{10, 1}, {12.5f, 2}}));
  auto without = LoadCsvSeries(TempFile("n.csv", "1,2\n3,4\n"));
  ASSERT_TRUE(without.ok());
  EXPECT_EQ(without->columns, (std::vector<std::string>{"column 1", "column 2"}));
  std::string nan = TempFile("nan.csv", "1,2\nnan,4\n");
  EXPECT_EQ(LoadCsvSeries(nan).status().message(), nan + ":2: field 1 ('nan') is not a finite number");
  std::string header_only = TempFile("ho.csv", "a,b\n");
  EXPECT_EQ(LoadCsvSeries(header_only).status().message(), header_only + ": no data rows");
}

TEST(StandardizationTest, RoundTripsExactlyAndRefusesMalformedStatistics) {
  std::map<std::string, std::string> metadata;
  StoreStandardization({{9912.345678901234, 3.5}, {1234.5678901234567, 2.0}}, metadata);
  auto back = LoadStandardization(metadata);
  ASSERT_TRUE(back.ok() && back->has_value());
  EXPECT_EQ((*back)->mean, (std::vector<double>{9912.345678901234, 3.5}));
  EXPECT_EQ((*back)->stddev, (std::vector<double>{1234.5678901234567, 2.0}));
  EXPECT_FALSE(LoadStandardization({})->has_value());
  for (auto bad : std::vector<std::map<std::string, std::string>>{{{"mean", "1,2"}},
                                                                  {{"mean", "1,x"}, {"std", "1,1"}},
                                                                  {{"mean", "1"}, {"std", "0"}},
                                                                  {{"mean", "1,2"}, {"std", "1"}}}) {
    EXPECT_EQ(LoadStandardization(bad).status().message(),
              "the checkpoint's column statistics (mean, std) are malformed");
  }
}

}  // namespace
}  // namespace loom::data
