// loomc --emit=exe: programs with a generated main. For a character model, a sampler:
// it feeds the --prime text through @step one character at a time and draws the rest
// with the same sampler as `loom sample` (runtime/sampling.h, embedded), so for a
// checkpoint and a seed both print the same text. For other models, .npy in and out.
#ifndef LOOM_TOOLS_LOOMC_EXE_H_
#define LOOM_TOOLS_LOOMC_EXE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "compiler/codegen/emitter.h"

namespace loom::loomc {

struct SamplerSpec {
  std::string model;                    // the model's name (its class prefix)
  std::string input;                    // @step's token input
  std::string alphabet;                 // the checkpoint's vocabulary, UTF-8
  bool probabilities = false;           // the output is a softmax (else logits)
  const codegen::BufferLayout* layout;  // of @step
  std::string header;                   // the generated header's file name
};

// A C identifier from a model, function or parameter name (the generated code's names).
// `bytes` as a C string literal, every byte escaped.
std::string Literal(const std::string& bytes);
std::string Identifier(const std::string& name);

// The generated main's source.
std::string SamplerMain(const SamplerSpec& spec);

// For any other model: PROGRAM IN.npy... OUT.npy... — the function's inputs from .npy
// files and its outputs to .npy files. An input must be exactly what numpy.save writes
// for the function's dtype and shape (a C-ordered array, format 1.0): the program
// compares the header byte for byte instead of parsing it.
struct ArraysSpec {
  std::string model, function, header;
  const codegen::BufferLayout* layout;
  std::vector<std::string> input_names;
  // A forecasting model's column statistics (from its checkpoint): the first input is
  // standardized with them and the first output mapped back, as `loom run` does.
  std::vector<double> mean, stddev;
};
std::string ArraysMain(const ArraysSpec& spec);

// Compiles dir/main.cc with `object` into `out` with the C++ compiler `cxx` (the
// system's, or a cross compiler such as aarch64-linux-gnu-g++). `dir` also holds the
// header.
absl::Status LinkProgram(const std::string& cxx, const std::string& dir, const std::string& object,
                         const std::string& out);

}  // namespace loom::loomc

#endif  // LOOM_TOOLS_LOOMC_EXE_H_
