// For tests/lit/e2e/tokenizer.test: a loomc header's embedded tokenizers used as a
// program would. `tokenize_driver TEXT...` with -DWORDS: each text's P(label 1) from the
// classifier, printed as loom classify prints it; with -DCHARS: each text's ids.
#include <cmath>
#include <cstdio>
#include <cstring>

#include HEADER

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
#ifdef WORDS
    SentimentLSTM_forward f;
    SentimentLSTM_Tokenize(argv[i], f.input_tokens(), SentimentLSTM_forward::input_tokens_size);
    if (!f.Run()) return 1;
    std::printf("%.4f\n", 1 / (1 + std::exp(-static_cast<double>(f.output_0()[0]))));
#else
    int64_t ids[64];
    int64_t n = CharRNN_Encode(argv[i], ids, 64);
    std::printf("%lld:", static_cast<long long>(n));
    for (int64_t k = 0; k < n; ++k) std::printf(" %lld", static_cast<long long>(ids[k]));
    std::printf("\n");
#endif
  }
}
