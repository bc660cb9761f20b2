// ONNX's backend node tests (Debian's libonnx-testdata: DIR/test_*/model.onnx with
// test_data_set_*/{input,output}_*.pb) through Loom: each test whose model imports runs
// through the reference interpreter and the JIT, its outputs held to ONNX's own
// tolerance (|got - want| <= 1e-7 + 1e-3·|want|). A test that does not import because an
// op, attribute or type is not supported is counted, not failed; one that imports and
// gives another answer fails the run, and so does any of the recurrent tests that does
// not pass. With --strict (models of our own: tests/onnx/pytorch), every test must
// import and pass, and --atol/--rtol set the tolerance.
//
//   onnx_conformance [DIR] [--verbose] [--strict] [--atol A] [--rtol R]
//   DIR: /usr/share/libonnx-testdata/data/node
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "compiler/pipeline/compile.h"
#include "frontends/model_file.h"
#include "frontends/onnx/import.h"
#include "ir/interpreter.h"
#include "loom/jit.h"
#include "loom/nn.h"
#include "support/status_macros.h"

namespace fs = std::filesystem;

namespace loom {
namespace {

// The tests this runner exists for: each must import and pass.
bool Recurrent(const std::string& test) {
  for (const char* prefix : {"test_lstm_", "test_gru_", "test_rnn_", "test_simple_rnn_"}) {
    if (absl::StartsWith(test, prefix)) return true;
  }
  return false;
}

std::vector<fs::path> Sorted(const fs::path& dir, const std::string& prefix) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (absl::StartsWith(e.path().filename().string(), prefix)) out.push_back(e.path());
  }
  // input_10.pb after input_9.pb.
  std::sort(out.begin(), out.end(), [](const fs::path& a, const fs::path& b) {
    std::string x = a.filename().string(), y = b.filename().string();
    return x.size() != y.size() ? x.size() < y.size() : x < y;
  });
  return out;
}

struct Tolerance {
  double atol = 1e-7, rtol = 1e-3;  // ONNX's
};

// The largest |got - want| of the run, for --verbose.
double max_difference = 0;

absl::Status Compare(const std::vector<Tensor>& got, const std::vector<Tensor>& want, const std::string& how,
                     Tolerance tol) {
  if (got.size() != want.size()) {
    return absl::InternalError(absl::StrCat(how, ": ", got.size(), " outputs, expected ", want.size()));
  }
  for (size_t o = 0; o < want.size(); ++o) {
    if (got[o].shape() != want[o].shape() || got[o].dtype() != want[o].dtype()) {
      return absl::InternalError(absl::StrCat(how, ": output ", o, " has another type or shape"));
    }
    for (int64_t i = 0; i < want[o].num_elements(); ++i) {
      double g = got[o].GetDouble(i), w = want[o].GetDouble(i);
      max_difference = std::max(max_difference, std::abs(g - w));
      if (!(std::abs(g - w) <= tol.atol + tol.rtol * std::abs(w))) {
        return absl::InternalError(absl::StrCat(how, ": output ", o, " element ", i, " is ", g, ", expected ", w));
      }
    }
  }
  return absl::OkStatus();
}

// Runs one test's data sets; an error is a failure.
absl::Status RunTest(Jit& jit, const fs::path& dir, const frontends::ModelFile& file, Tolerance tol) {
  ASSIGN_OR_RETURN(std::unique_ptr<ir::Module> module, pipeline::PrepareModel(file, {}));
  ASSIGN_OR_RETURN(nn::Model model, nn::Model::Load((dir / "model.onnx").string()));
  ASSIGN_OR_RETURN(std::unique_ptr<CompiledModel> compiled, jit.Compile(model, {}, /*seed=*/1));
  for (const fs::path& set : Sorted(dir, "test_data_set_")) {
    std::vector<Tensor> inputs, outputs;
    for (const fs::path& p : Sorted(set, "input_")) {
      ASSIGN_OR_RETURN(Tensor t, frontends::onnx::ReadTensorFile(p.string()));
      inputs.push_back(std::move(t));
    }
    for (const fs::path& p : Sorted(set, "output_")) {
      ASSIGN_OR_RETURN(Tensor t, frontends::onnx::ReadTensorFile(p.string()));
      outputs.push_back(std::move(t));
    }
    ir::Interpreter interpreter(*module, /*seed=*/1);
    for (const auto& [name, value] : file.values) RETURN_IF_ERROR(interpreter.SetGlobal(name, value));
    ASSIGN_OR_RETURN(std::vector<Tensor> interpreted, interpreter.Run("forward", inputs));
    RETURN_IF_ERROR(Compare(interpreted, outputs, absl::StrCat(set.filename().string(), ", interpreter"), tol));
    ASSIGN_OR_RETURN(std::vector<Tensor> jitted, compiled->Forward(inputs));
    RETURN_IF_ERROR(Compare(jitted, outputs, absl::StrCat(set.filename().string(), ", JIT"), tol));
  }
  return absl::OkStatus();
}

int Main(int argc, char** argv) {
  fs::path root = "/usr/share/libonnx-testdata/data/node";
  bool verbose = false, strict = false;
  Tolerance tol;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--verbose") {
      verbose = true;
    } else if (a == "--strict") {
      strict = true;
    } else if ((a == "--atol" || a == "--rtol") && i + 1 < argc) {
      (a == "--atol" ? tol.atol : tol.rtol) = std::atof(argv[++i]);
    } else if (absl::StartsWith(a, "-")) {
      std::fprintf(stderr, "usage: onnx_conformance [DIR] [--verbose] [--strict] [--atol A] [--rtol R]\n");
      return 2;
    } else {
      root = a;
    }
  }
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    std::fprintf(stderr, "onnx_conformance: %s is not a directory (Debian's libonnx-testdata installs it)\n",
                 root.c_str());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<Jit>> jit = Jit::Create({.threads = 1});
  if (!jit.ok()) {
    std::fprintf(stderr, "onnx_conformance: %s\n", jit.status().ToString().c_str());
    return 1;
  }
  int total = 0, supported = 0, passed = 0, recurrent = 0, recurrent_passed = 0;
  std::vector<std::string> failures;
  for (const fs::path& dir : Sorted(root, "")) {
    std::string name = dir.filename().string();
    if (!fs::exists(dir / "model.onnx")) continue;
    ++total;
    bool rnn = !strict && Recurrent(name);
    recurrent += rnn;
    absl::StatusOr<frontends::ModelFile> file = frontends::onnx::ImportOnnxFile((dir / "model.onnx").string());
    if (!file.ok() && file.status().code() == absl::StatusCode::kUnimplemented && !rnn && !strict) {
      if (verbose) std::printf("unsupported %s: %s\n", name.c_str(), std::string(file.status().message()).c_str());
      continue;
    }
    ++supported;
    max_difference = 0;
    absl::Status s = file.ok() ? RunTest(**jit, dir, *file, tol) : file.status();
    if (s.ok()) {
      ++passed;
      recurrent_passed += rnn;
      if (verbose) std::printf("pass %s (largest difference %.3g)\n", name.c_str(), max_difference);
    } else {
      failures.push_back(name);
      std::printf("FAIL %s: %s\n", name.c_str(), std::string(s.message()).c_str());
    }
  }
  if (strict) {
    std::printf("%s: %d of %d passed\n", root.c_str(), passed, total);
    return failures.empty() && total > 0 ? 0 : 1;
  }
  std::printf("ONNX node tests: %d of %d supported, %d passed, %zu failed; recurrent: %d of %d passed\n", supported,
              total, passed, failures.size(), recurrent_passed, recurrent);
  return failures.empty() && recurrent > 0 && recurrent_passed == recurrent ? 0 : 1;
}

}  // namespace
}  // namespace loom

int main(int argc, char** argv) { return loom::Main(argc, argv); }
