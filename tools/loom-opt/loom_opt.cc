// loom-opt: reads a module (text or binary IR), runs the passes named on the command
// line in order, and prints the result — or runs a function with the interpreter.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "compiler/codegen/emitter.h"
#include "compiler/codegen/out_of_memory.h"
#include "compiler/codegen/target.h"
#include "compiler/passes/pass_manager.h"
#include "compiler/pipeline/compile.h"
#include "compiler/pipeline/registry.h"
#include "ir/interpreter.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/serialize.h"
#include "ir/verifier.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/raw_ostream.h"
#include "runtime/npy.h"
#include "support/files.h"
#include "support/memory.h"
#include "support/philox.h"
#include "support/status_macros.h"
#include "tools/common/flags.h"
#include "tools/loom-opt/tensor_format.h"

namespace loom {
namespace {

struct Options {
  std::string file;
  // Each entry is one pass ("unroll=4", "train-step=adam,lr=0.01") or, from --pipeline,
  // a comma-separated list of passes without commas in their options.
  std::vector<std::pair<std::string, bool>> passes;  // (spec, is a --pipeline list)
  bool verify_each = false, print_after_all = false, pass_timing = false;
  std::string emit = "text";
  std::string target, cpu = codegen::DefaultCpu();
  std::string output;
  std::string run;
  std::vector<std::string> inputs;
  bool random_inputs = false;
  uint64_t seed = 1;
  std::string output_dir;
};

bool IsRegisteredPass(absl::string_view name) {
  for (const auto& p : pipeline::RegisteredPasses()) {
    if (p.name == name) return true;
  }
  return false;
}

// Each registered pass is an option (--cse, --unroll=4), run in command-line order.
const flags::Tool& LoomOptTool() {
  using flags::Flag;
  using flags::Repeated;
  static const flags::Tool* tool = [] {
    std::vector<Flag> options;
    for (const auto& p : pipeline::RegisteredPasses()) {
      options.push_back({.name = std::string(p.name),
                         .value = "OPTIONS",
                         .help = std::string(p.description),
                         .repeated = true,
                         .optional_value = true});
    }
    std::vector<Flag> rest = {
        Repeated({"pipeline", "a,b=1,c", "",
                  "passes as one comma-separated list (repeatable, in order with the others);\n"
                  "or a pipeline's name: what the JIT and loomc run on each function, its lengths\n"
                  "made explicit, then the pipeline's passes (default,-PASS leaves one out):\n" +
                      pipeline::DescribePipelines("  ")}),
        {"verify-each", "", "", "verify the module after every pass"},
        {"print-after-all", "", "", "print the module after every pass (to stderr)"},
        {"pass-timing", "", "", "print each pass's wall time (to stderr)"},
        {"emit", "text|binary|llvm|asm", "text",
         "the output: the IR as text or binary; llvm prints the LLVM IR the code generator\n"
         "emits for every function, before optimization; asm the optimized machine code"},
        {"target", "TRIPLE", "this machine's", "llvm and asm for another architecture (aarch64-linux-gnu)"},
        {"target-cpu", "CPU", "host, or $LOOM_TARGET_CPU",
         "llvm and asm for that CPU (x86-64-v3, skylake-avx512, generic, neoverse-n1)"},
        {"o", "FILE", "standard output", "write the output to FILE"},
        {"run", "FUNC", "",
         "after the passes, run FUNC with the reference interpreter and print its\n"
         "results instead of the module"},
        Repeated({"input", "FILE.npy", "", "an input of FUNC (repeat, in order)"}),
        {"random-inputs", "", "",
         "make FUNC's inputs: floats uniform in [-1, 1), integers in [0, 4),\n"
         "i1 fair coins, drawn with --seed"},
        {"seed", "N", "1", "seed for parameter initializers and random inputs"},
        {"output-dir", "DIR", "", "also write FUNC's results as DIR/result<i>.npy (DIR is created)"},
    };
    options.insert(options.end(), rest.begin(), rest.end());
    return new flags::Tool("loom-opt", "",
                           {{"", "[passes] FILE", 1, 1, "",
                             "Reads a Loom IR module (text, or the binary form; '-' reads standard input),\n"
                             "runs the passes given on the command line in that order (--canonicalize --cse\n"
                             "--unroll=4), verifies the result and prints it.\n",
                             options}},
                           "");
  }();
  return *tool;
}

absl::StatusOr<Options> OptionsOf(const flags::Args& args) {
  Options o;
  o.file = args.positional[0];
  o.verify_each = args.Has("--verify-each");
  o.print_after_all = args.Has("--print-after-all");
  o.pass_timing = args.Has("--pass-timing");
  o.random_inputs = args.Has("--random-inputs");
  o.emit = args.Get("--emit", o.emit);
  if (o.emit != "text" && o.emit != "binary" && o.emit != "llvm" && o.emit != "asm") {
    return absl::InvalidArgumentError(absl::StrCat("--emit takes text, binary, llvm or asm, got '", o.emit, "'"));
  }
  o.target = args.Get("--target");
  o.cpu = args.Get("--target-cpu", o.cpu);
  o.output = args.Get("-o");
  o.run = args.Get("--run");
  o.inputs = args.GetAll("--input");
  ASSIGN_OR_RETURN(int64_t seed, args.GetInt("--seed", 1));
  o.seed = static_cast<uint64_t>(seed);
  o.output_dir = args.Get("--output-dir");
  for (const auto& [flag, value] : args.in_order) {
    std::string name = flag.substr(2);
    if (flag == "--pipeline") {
      o.passes.push_back({value, true});
    } else if (IsRegisteredPass(name)) {
      o.passes.push_back({value.empty() ? name : absl::StrCat(name, "=", value), false});
    }
  }
  return o;
}

absl::StatusOr<std::string> ReadInput(const std::string& file) {
  if (file != "-") return ReadFile(file);
  std::ostringstream ss;
  ss << std::cin.rdbuf();
  return ss.str();
}

// Text IR has no control characters but tab, newline and carriage return; the binary
// form always has some (field tags and lengths).
bool LooksLikeText(absl::string_view bytes) {
  for (char c : bytes) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 && c != '\t' && c != '\n' && c != '\r') return false;
  }
  return true;
}

Tensor RandomInput(const ir::TensorType& type, uint64_t seed, uint64_t which) {
  Tensor t(type.dtype, type.shape);
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    auto bits = RandomBits(seed, which, i);
    double u = UniformDouble(bits);
    t.SetDouble(i, IsFloat(type.dtype)        ? 2 * u - 1
                   : type.dtype == DType::kI1 ? (bits[1] & 1)
                                              : static_cast<int>(u * 4));
  }
  return t;
}

absl::Status RunFunction(const ir::Module& module, const Options& o) {
  const ir::Function* f = module.FindFunction(o.run);
  if (f == nullptr) return absl::NotFoundError(absl::StrCat("no function @", o.run, " in the module"));
  std::vector<Tensor> inputs;
  std::vector<ir::TensorType> types = f->input_types();
  if (o.random_inputs) {
    uint64_t bytes = 0;
    for (const ir::TensorType& t : types) bytes = AddBytes(bytes, ByteSize(t.dtype, t.shape));
    RETURN_IF_ERROR(CheckAllocation(absl::StrCat("--random-inputs for @", o.run), bytes));
    for (size_t i = 0; i < types.size(); ++i) inputs.push_back(RandomInput(types[i], o.seed, i));
  } else {
    for (const std::string& path : o.inputs) {
      ASSIGN_OR_RETURN(Tensor t, ReadNpy(path));
      inputs.push_back(std::move(t));
    }
  }
  ir::Interpreter interp(module, o.seed);
  ASSIGN_OR_RETURN(std::vector<Tensor> results, interp.Run(o.run, std::move(inputs)));
  if (!o.output_dir.empty()) RETURN_IF_ERROR(CreateDirectories(o.output_dir));
  for (size_t i = 0; i < results.size(); ++i) {
    std::cout << "result " << i << ": " << ir::TypeOf(results[i]).ToString() << " = " << FormatTensorValues(results[i])
              << "\n";
    if (!o.output_dir.empty()) {
      RETURN_IF_ERROR(WriteNpy(absl::StrCat(o.output_dir, "/result", i, ".npy"), results[i]));
    }
  }
  return absl::OkStatus();
}

// Every function's generated LLVM IR, or (asm) the target's optimized assembly of it:
// what loomc builds (products on the calling thread).
absl::StatusOr<std::string> EmitCode(const ir::Module& module, const Options& o) {
  bool assembly = o.emit == "asm";
  ASSIGN_OR_RETURN(std::unique_ptr<codegen::Target> target, codegen::Target::Create(o.target, o.cpu, 2));
  codegen::EmitOptions options{.registers = target->vector_registers(), .triple = target->triple()};
  llvm::LLVMContext context;
  std::string text;
  for (const auto& fn : module.functions()) {
    // The passes given on the command line have run: nothing more but what codegen needs.
    ASSIGN_OR_RETURN(pipeline::OptimizedFunction lowered,
                     pipeline::OptimizeFunction(module, fn->name(), *pipeline::FindNamedPipeline("O0")));
    const ir::Function* f = lowered.function;
    codegen::BufferLayout layout;
    auto m = std::make_unique<llvm::Module>(module.name(), context);
    RETURN_IF_ERROR(codegen::EmitFunction(*lowered.module, *f, "loom_" + f->name(), options, *m, &layout));
    llvm::raw_string_ostream os(text);
    os << (assembly ? "# @" : "; @") << f->name() << ": buffers = " << layout.inputs.size() << " inputs, "
       << layout.outputs.size() << " outputs, " << layout.globals.size() << " globals, scratch of "
       << layout.scratch_bytes << " bytes\n";
    if (assembly) {
      target->Prepare(*m);
      target->Optimize(*m);
      ASSIGN_OR_RETURN(std::string asm_text, target->Emit(*m, /*assembly=*/true));
      os << asm_text;
    } else {
      m->print(os, nullptr);
    }
  }
  return text;
}

absl::Status Main(const Options& o) {
  ASSIGN_OR_RETURN(std::string bytes, ReadInput(o.file));
  std::unique_ptr<ir::Module> module;
  if (LooksLikeText(bytes)) {
    ASSIGN_OR_RETURN(module, ir::ParseModule(bytes, o.file == "-" ? "<stdin>" : o.file));
  } else {
    absl::StatusOr<std::unique_ptr<ir::Module>> binary = ir::DeserializeModule(bytes);
    if (!binary.ok()) return absl::InvalidArgumentError(absl::StrCat(o.file, ": ", binary.status().message()));
    module = *std::move(binary);
  }
  RETURN_IF_ERROR(ir::Verify(*module));

  passes::PassManagerOptions pm_options;
  pm_options.verify_each = o.verify_each;
  pm_options.print_after_all = o.print_after_all ? &std::cerr : nullptr;
  pm_options.timing = o.pass_timing;
  passes::PassManager pm(pm_options);
  for (const auto& [spec, is_list] : o.passes) {
    if (is_list) {
      RETURN_IF_ERROR(pipeline::AddPipeline(pm, spec));
    } else {
      ASSIGN_OR_RETURN(std::unique_ptr<passes::Pass> pass, pipeline::CreatePass(spec));
      pm.AddPass(std::move(pass));
    }
  }
  RETURN_IF_ERROR(pm.Run(*module));
  if (o.pass_timing) std::cerr << pm.TimingReport();
  RETURN_IF_ERROR(ir::Verify(*module));

  if (!o.run.empty()) return RunFunction(*module, o);
  std::string out;
  if (o.emit == "llvm" || o.emit == "asm") {
    ASSIGN_OR_RETURN(out, EmitCode(*module, o));
  } else {
    out = o.emit == "binary" ? ir::SerializeModule(*module) : ir::Print(*module);
  }
  if (o.output.empty()) {
    std::cout << out;
    return absl::OkStatus();
  }
  return WriteFileAtomically(o.output, out);
}

}  // namespace
}  // namespace loom

namespace {

int Main(int argc, char** argv) {
  const loom::flags::Tool& tool = loom::LoomOptTool();
  std::variant<loom::flags::Args, int> args = tool.Parse(argc, argv);
  if (const int* exit = std::get_if<int>(&args)) return *exit;
  absl::StatusOr<loom::Options> options = loom::OptionsOf(std::get<loom::flags::Args>(args));
  if (!options.ok()) return tool.UsageError(std::string(options.status().message()));
  absl::Status status = loom::Main(*options);
  return status.ok() ? 0 : tool.Fail(status);
}

}  // namespace

int main(int argc, char** argv) { return loom::RunReportingOutOfMemory("loom-opt", Main, argc, argv); }
