// A program built from loomc's object and header alone: fills the char-RNN's input with
// token (7·i mod 75) at step i — what tests/e2e/char_tokens.npy holds — runs @forward
// and writes the output's raw bytes to argv[1], for comparison with `loom run`.
#include <cstdio>

#include "char_rnn.h"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  CharRNN_forward f;  // parameters embedded by loomc --params
  for (int64_t i = 0; i < CharRNN_forward::input_chars_size; ++i) f.input_chars()[i] = (7 * i) % 75;
  f.Run();
  std::FILE* out = std::fopen(argv[1], "wb");
  if (out == nullptr) return 1;
  std::fwrite(f.output_0(), sizeof(float), CharRNN_forward::output_0_size, out);
  return std::fclose(out) == 0 ? 0 : 1;
}
