// A program built from loomc's object and header alone. Compiled with -DHEADER, -DMODEL
// (the generated class), -DINPUT (its input accessor) and -DVOCAB: fills the input with
// token (7·i mod VOCAB) at position i — what tests/e2e/*_tokens.npy hold — runs the
// function and writes its first output's raw bytes to argv[1], to compare with loom run.
// With -DTHREADS=N it runs again on N threads (LoomSpawnThreads) and fails unless the
// output is the same bits.
#include <cstdio>
#include <cstring>
#include <vector>

#include HEADER

#define CONCAT(a, b) a##b
#define SIZE_OF(accessor) CONCAT(accessor, _size)

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  MODEL f;  // parameters embedded by loomc --params
  for (int64_t i = 0; i < MODEL::SIZE_OF(INPUT); ++i) f.INPUT()[i] = (7 * i) % VOCAB;
  if (!f.Run()) return 1;
#ifdef THREADS
  static_assert(MODEL::kThreaded, "this model's code is for one thread");
  std::vector<char> one(reinterpret_cast<char*>(f.output_0()),
                        reinterpret_cast<char*>(f.output_0() + MODEL::output_0_size));
  f.SetThreads(THREADS, LoomSpawnThreads);
  if (!f.Run()) return 1;
  if (std::memcmp(one.data(), f.output_0(), one.size()) != 0) return 3;
#endif
  std::FILE* out = std::fopen(argv[1], "wb");
  if (out == nullptr) return 1;
  std::fwrite(f.output_0(), sizeof(*f.output_0()), MODEL::output_0_size, out);
  return std::fclose(out) == 0 ? 0 : 1;
}
