// loomc: a model file compiled ahead of time. Each requested function (forward, step,
// train_step, ...) goes through the JIT's pipeline and LLVM for a chosen CPU into one
// object file (or its assembly, its LLVM IR, or the Loom IR after the passes). With
// --header, a C++ header declares, per function, a class that owns the function's
// buffers in the ABI order (inputs, outputs, parameters and state, scratch) and names
// each; with --params, the checkpoint's parameters are embedded in the object as
// read-only data and copied in by the class's constructor.
#include <stdlib.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "compiler/codegen/emitter.h"
#include "compiler/codegen/out_of_memory.h"
#include "compiler/codegen/target.h"
#include "compiler/pipeline/compile.h"
#include "frontends/params.h"
#include "ir/interpreter.h"
#include "ir/printer.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Triple.h"
#include "loom/checkpoint.h"
#include "runtime/data/standardization.h"
#include "runtime/data/vocabulary_size.h"
#include "support/files.h"
#include "support/memory.h"
#include "support/status_macros.h"
#include "tools/common/flags.h"
#include "tools/loomc/exe.h"
#include "tools/loomc/tokenizer.h"

namespace loom::loomc {
namespace {

struct Options {
  std::string model, out, header, emit = "obj", params, target, cpu;
  pipeline::Pipeline pipeline = pipeline::DefaultPipeline();
  std::vector<std::string> functions = {"forward"};
  int64_t batch = 1, vocab = 0;
  int opt_level = 2;
  bool streaming = false, print_after_all = false, timing = false;
};

const flags::Tool& LoomcTool() {
  using flags::Flag;
  static const flags::Tool* tool = new flags::Tool(
      "loomc", "",
      {{"",
        "MODEL.pbtxt -o OUT",
        1,
        1,
        "",
        "Compiles a model's functions ahead of time for a chosen CPU into an object file (or its\n"
        "assembly, its LLVM IR, the Loom IR after the passes, or a program).\n",
        {
            flags::Required({"o", "OUT", "", "the output file (written whole or not at all)"}),
            {"emit", "obj|asm|llvm|ir|exe", "obj",
             "an object file, its assembly, the optimized LLVM IR, or the Loom IR after the\n"
             "passes; exe, with --params: a program. For a character model it samples text as\n"
             "loom sample does; for others it runs the first of --functions on .npy files\n"
             "(PROGRAM IN.npy... OUT.npy...)"},
            {"header", "OUT.h", "", "with obj: a C++ header with a class per function"},
            {"functions", "a,b", "forward",
             "the functions to compile (also step, train_step, loss, as the model has them)"},
            {"params", "CKPT", "",
             "embed these parameters (and size the vocabulary from them); an ONNX model's own weights are embedded "
             "without it"},
            {"batch", "N", "1", "the batch size bound to -1 dimensions"},
            {"vocab", "N", "from --params", "the vocabulary size bound to -1 sizes"},
            {"streaming", "", "", "lower @step (one time step, state kept between calls)"},
            {"target", "TRIPLE", "this machine's",
             "compile for another architecture: aarch64-linux-gnu, x86_64-linux-gnu, ...; --emit=exe\n"
             "links with TRIPLE-g++ (or $LOOM_CROSS_CXX)"},
            {"target-cpu", "CPU", "host, or $LOOM_TARGET_CPU; generic for another --target",
             "host or an LLVM CPU name for the target: x86-64, x86-64-v3 (AVX2), skylake-avx512,\n"
             "znver4; generic, neoverse-n1, cortex-a72, ... for aarch64"},
            {.name = "O", .value = "0|1|2|3", .dflt = "2", .help = "LLVM's optimization level", .prefix = true},
            {"pipeline", "NAME", "default",
             "Loom's passes before code generation: a pipeline's name, a name and passes it\n"
             "leaves out (default,-gate-fusion), or a comma-separated list of passes\n"
             "(loom-opt --help):\n" +
                 pipeline::DescribePipelines("  ")},
            {"print-after-all", "", "", "the Loom IR after every pass, on stderr"},
            {"pass-timing", "", "", "each pass's wall time, on stderr"},
        }}},
      "");
  return *tool;
}

absl::StatusOr<Options> OptionsOf(const flags::Args& args) {
  Options o;
  o.model = args.positional[0];
  o.out = args.Get("-o");
  o.emit = args.Get("--emit", o.emit);
  if (o.emit != "obj" && o.emit != "asm" && o.emit != "llvm" && o.emit != "ir" && o.emit != "exe") {
    return absl::InvalidArgumentError(absl::StrCat("--emit takes obj, asm, llvm, ir or exe, got '", o.emit, "'"));
  }
  o.header = args.Get("--header");
  if (args.Has("--functions")) o.functions = absl::StrSplit(args.Get("--functions"), ',', absl::SkipEmpty());
  o.params = args.Get("--params");
  if (args.Has("--pipeline")) {
    ASSIGN_OR_RETURN(o.pipeline, pipeline::ParsePipeline(args.Get("--pipeline")));
  }
  o.cpu = args.Get("--target-cpu");
  o.target = args.Get("--target");
  for (auto [flag, value] : {std::pair{"--batch", &o.batch}, std::pair{"--vocab", &o.vocab}}) {
    ASSIGN_OR_RETURN(*value, args.GetInt(flag, *value));
    if (args.Has(flag) && *value < 1) {
      return absl::InvalidArgumentError(absl::StrCat(flag, " takes a positive integer, got '", args.Get(flag), "'"));
    }
  }
  std::string level = args.Get("-O", "2");
  if (level.size() != 1 || level[0] < '0' || level[0] > '3') {
    return absl::InvalidArgumentError(absl::StrCat("-O takes 0, 1, 2 or 3, got '", level, "'"));
  }
  o.opt_level = level[0] - '0';
  o.streaming = args.Has("--streaming");
  o.print_after_all = args.Has("--print-after-all");
  o.timing = args.Has("--pass-timing");
  // Another architecture's default CPU is its baseline; this machine's, $LOOM_TARGET_CPU or itself.
  if (o.cpu.empty()) o.cpu = o.target.empty() ? codegen::DefaultCpu() : "generic";
  if (!o.header.empty() && o.emit != "obj") return absl::InvalidArgumentError("--header goes with --emit=obj");
  return o;
}

const char* CType(DType d) {
  switch (d) {
    case DType::kF32: return "float";
    case DType::kF64: return "double";
    case DType::kI32: return "int32_t";
    case DType::kI64: return "int64_t";
    case DType::kI1: return "uint8_t";
  }
  return "void";
}

struct Compiled {
  std::string function, symbol;
  codegen::BufferLayout layout;
  std::vector<std::string> input_names;
};

// What a function's class allocates: its inputs, outputs, parameters and state, and
// scratch arena (saturated, so that a huge model is reported, never wrapped).
uint64_t BufferBytes(const codegen::BufferLayout& l) {
  uint64_t bytes = static_cast<uint64_t>(l.scratch_bytes);
  for (const auto* types : {&l.inputs, &l.outputs, &l.global_types}) {
    for (const ir::TensorType& t : *types) bytes = AddBytes(bytes, ByteSize(t.dtype, t.shape) + 128);
  }
  return bytes;
}

// The class for one function: named accessors over its buffers, Run().
std::string HeaderClass(const std::string& model, const Compiled& c, bool embedded) {
  const codegen::BufferLayout& l = c.layout;
  std::ostringstream h;
  std::string cls = Identifier(model) + "_" + Identifier(c.function);
  size_t n = l.inputs.size() + l.outputs.size() + l.globals.size() + 1;
  h << "// @" << c.function << ": " << l.inputs.size() << " inputs, " << l.outputs.size() << " outputs, "
    << l.globals.size() << " parameters and state buffers, " << l.scratch_bytes << " bytes of scratch.\n";
  h << "class " << cls << " {\n public:\n";
  std::vector<std::pair<std::string, const ir::TensorType*>> buffers;
  for (size_t i = 0; i < l.inputs.size(); ++i)
    buffers.push_back({"input_" + Identifier(c.input_names[i]), &l.inputs[i]});
  for (size_t i = 0; i < l.outputs.size(); ++i) buffers.push_back({absl::StrCat("output_", i), &l.outputs[i]});
  for (size_t i = 0; i < l.globals.size(); ++i) buffers.push_back({Identifier(l.globals[i]), &l.global_types[i]});
  for (size_t i = 0; i < buffers.size(); ++i) {
    const ir::TensorType& t = *buffers[i].second;
    std::string where = i < l.inputs.size() ? "input"
                        : i < l.inputs.size() + l.outputs.size()
                            ? "output"
                            : "parameter or state @" + l.globals[i - l.inputs.size() - l.outputs.size()];
    bool packed =
        i >= l.inputs.size() + l.outputs.size() &&
        std::count(l.packed_globals.begin(), l.packed_globals.end(), l.globals[i - l.inputs.size() - l.outputs.size()]);
    h << "  // " << where << ": " << t.ToString() << (packed ? " (Run packs it; see ParametersChanged)" : "") << "\n";
    h << "  " << CType(t.dtype) << "* " << buffers[i].first << "() { " << (packed ? "ParametersChanged(); " : "")
      << "return static_cast<" << CType(t.dtype) << "*>(buffers_[" << i << "]); }\n";
    h << "  static constexpr int64_t " << buffers[i].first << "_size = " << t.num_elements() << ";\n";
  }
  h << "\n  // All the buffers, in bytes.\n  static constexpr unsigned long long kBufferBytes = " << BufferBytes(l)
    << "ull;\n";
  h << "  // Throws std::bad_alloc (having freed what it took) when memory cannot be had.\n";
  h << "  " << cls << "() {\n    try {\n";
  for (size_t i = 0; i < buffers.size(); ++i) {
    const ir::TensorType& t = *buffers[i].second;
    h << "      buffers_[" << i << "] = Allocate(" << ByteSize(t.dtype, t.shape) << "ull);\n";
  }
  h << "      buffers_[" << n - 1 << "] = Allocate(" << l.scratch_bytes << "ull);\n";
  h << "    } catch (...) {\n      for (void* b : buffers_) std::free(b);\n      throw;\n    }\n";
  if (embedded) {
    for (size_t g = 0; g < l.globals.size(); ++g) {
      size_t i = l.inputs.size() + l.outputs.size() + g;
      h << "    std::memcpy(buffers_[" << i << "], " << Identifier(model) << "_param_" << Identifier(l.globals[g])
        << ", " << ByteSize(l.global_types[g].dtype, l.global_types[g].shape) << "ull);\n";
    }
  }
  h << "  }\n  ~" << cls << "() {\n    for (void* b : buffers_) std::free(b);\n  }\n";
  h << "  " << cls << "(const " << cls << "&) = delete;\n  " << cls << "& operator=(const " << cls
    << "&) = delete;\n\n";
  auto code = [](ir::OpCode op) { return static_cast<int64_t>(op) + 1; };  // codegen::ArenaHeader
  h << "  // Runs @" << c.function << " on the buffers (parameters and state are updated in place).\n"
    << "  // False when an id was outside its table or an integer was divided by zero (the rest\n"
    << "  // of the run went on; such a row reads as zeros, such a quotient is 0): FormatError.\n";
  h << "  bool Run() {\n    Record()[" << offsetof(codegen::ArenaHeader, params_version) / 8 << "] = params_version_;\n"
    << "    Record()[" << offsetof(codegen::ArenaHeader, threads) / 8 << "] = threads_;\n"
    << "    std::memcpy(&Record()[" << offsetof(codegen::ArenaHeader, launch) / 8 << "], &launch_, sizeof launch_);\n"
    << "    std::memcpy(&Record()[" << offsetof(codegen::ArenaHeader, launch_context) / 8
    << "], &launch_context_, sizeof launch_context_);\n    " << c.symbol
    << "(buffers_);\n    return Record()[0] == 0;\n  }\n";
  h << "  // Whether Run can use several threads: " << (l.threaded ? "yes" : "no, too little work between its ops")
    << ".\n  static constexpr bool kThreaded = " << (l.threaded ? "true" : "false") << ";\n"
    << "  // Run on `threads` threads through `launch` (LoomSpawnThreads, or your pool's),\n"
    << "  // else on the calling thread (the default). The results are the same bits.\n"
    << "  void SetThreads(int64_t threads, LoomLaunch launch, void* context = nullptr) {\n"
    << "    threads_ = threads;\n    launch_ = launch;\n    launch_context_ = context;\n  }\n";
  h << "  // Run keeps a copy of the weights packed for its matrix products, made again when\n"
    << "  // this was called since (a parameter's accessor calls it): call it after writing a\n"
    << "  // parameter through a pointer taken before the last Run.\n"
    << "  void ParametersChanged() { ++params_version_; }\n";
  h << "  // After a failed Run, the message Loom's interpreter gives for the same error.\n"
    << "  void FormatError(char* out, size_t size) const {\n"
    << "    const int64_t* r = Record();\n"
    << "    long long value = r[1], bound = r[2];\n"
    << "    if (r[0] == " << code(ir::OpCode::kDiv)
    << ") std::snprintf(out, size, \"'div' integer division by zero\");\n"
    << "    else if (r[0] == " << code(ir::OpCode::kGather)
    << ") std::snprintf(out, size, \"'gather' index %lld is out of range for a table of %lld rows\", value, bound);\n"
    << "    else std::snprintf(out, size, \"'scatter_add' index %lld is out of range for %lld rows\", value, bound);\n"
    << "  }\n\n private:\n";
  h << "  int64_t* Record() const { return static_cast<int64_t*>(buffers_[" << n - 1 << "]); }\n";
  h << "  static void* Allocate(unsigned long long bytes) {\n"
       "    if (bytes > (1ull << 62)) throw std::bad_alloc();\n"
       "    size_t rounded = static_cast<size_t>((bytes + 63) / 64 * 64 + 64);\n"
       "    void* p = std::aligned_alloc(64, rounded);\n"
       "    if (p == nullptr) throw std::bad_alloc();\n"
       "    std::memset(p, 0, rounded);\n    return p;\n  }\n";
  h << "  void* buffers_[" << n << "] = {};\n  int64_t params_version_ = 1;\n"
    << "  int64_t threads_ = 1;\n  LoomLaunch launch_ = nullptr;\n  void* launch_context_ = nullptr;\n};\n\n";
  return h.str();
}

std::string Header(const Options& o, const std::string& model, const std::vector<Compiled>& compiled,
                   const std::vector<std::string>& embedded_names, const std::string& tokenizer) {
  std::ostringstream h;
  h << "// Generated by loomc from " << o.model << " (model " << model << "), batch " << o.batch << ", for "
    << (o.target.empty() ? "this machine" : o.target) << ", CPU " << o.cpu << ". Do not edit.\n"
    << "//\n"
    << "// Link with the object file loomc wrote; it holds the generated code and any\n"
    << "// embedded parameters, and needs only libc and libm (aligned_alloc, free, memcpy,\n"
    << "// memset, sched_yield; pow and f64 exp, log, tanh if the model uses them). Each class\n"
    << "// below owns one function's buffers, 64-byte aligned and zeroed, in the order the\n"
    << "// function takes them. Run uses the calling thread, or more: SetThreads.\n"
    << "#pragma once\n\n#include <cstddef>\n#include <cstdint>\n#include <cstdio>\n#include <cstdlib>\n#include "
       "<cstring>\n#include <new>\n#include <thread>\n#include <vector>\n"
    << (tokenizer.empty() ? ""
                          : "#include <algorithm>\n#include <cctype>\n#include <string>\n#include <unordered_map>\n")
    << "\n"
    << "// How Run starts its threads: call task(arg, i) for every i in [0, n), on n threads\n"
    << "// running at the same time (the tasks wait for each other), and return when all have\n"
    << "// returned. A thread pool's own, or std::thread's: LoomSpawnThreads (below).\n"
    << "using LoomLaunch = void (*)(void* context, int64_t n, void (*task)(void* arg, int64_t i), void* arg);\n"
    << "#ifndef LOOM_SPAWN_THREADS_DEFINED\n#define LOOM_SPAWN_THREADS_DEFINED\n"
    << "// Starts n - 1 std::threads for each call (some tens of microseconds): for calls that\n"
    << "// take milliseconds; a pool of your own is the thing for shorter ones.\n"
    << "inline void LoomSpawnThreads(void*, int64_t n, void (*task)(void*, int64_t), void* arg) {\n"
    << "  std::vector<std::thread> others;\n"
    << "  for (int64_t i = 1; i < n; ++i) others.emplace_back(task, arg, i);\n"
    << "  task(arg, 0);\n  for (std::thread& t : others) t.join();\n}\n#endif\n\n"
    << "extern \"C\" {\n";
  for (const Compiled& c : compiled) h << "void " << c.symbol << "(void** buffers);\n";
  for (const std::string& g : embedded_names) {
    h << "extern const unsigned char " << Identifier(model) << "_param_" << Identifier(g) << "[];\n";
  }
  h << "}\n\n";
  for (const Compiled& c : compiled) h << HeaderClass(model, c, !embedded_names.empty());
  h << tokenizer;
  return h.str();
}

// The C++ compiler that links a program for the target: the system's ($CXX, else c++)
// for this machine, a cross compiler for another ($LOOM_CROSS_CXX, else Debian's name
// for it, e.g. aarch64-linux-gnu-g++).
std::string Compiler(const codegen::Target& target) {
  const char* env = std::getenv(target.is_host() ? "CXX" : "LOOM_CROSS_CXX");
  if (env != nullptr && *env) return env;
  if (target.is_host()) return "c++";
  llvm::Triple t(target.triple());
  return absl::StrCat(t.getArchName().str(), "-", t.getOSName().str(), "-", t.getEnvironmentName().str(), "-g++");
}

absl::Status Main(Options o) {
  // The outputs can be written: checked before anything is compiled.
  RETURN_IF_ERROR(CheckWritable(o.out));
  if (!o.header.empty()) RETURN_IF_ERROR(CheckWritable(o.header));
  ASSIGN_OR_RETURN(frontends::ModelFile file, frontends::LoadModelFile(o.model));
  // An imported model (ONNX) brings its weights; a model file's are random until trained.
  if (o.emit == "exe" && o.params.empty() && file.values.empty()) {
    return absl::InvalidArgumentError("--emit=exe builds a program around trained parameters: it needs --params CKPT");
  }
  Checkpoint params;
  frontends::LowerOptions lower;
  lower.batch = o.batch;
  lower.vocab = o.vocab;
  lower.streaming = o.streaming;
  if (!o.params.empty()) {
    ASSIGN_OR_RETURN(Checkpoint c, LoadCheckpoint(o.params));
    // A character model's program samples text: it runs @step.
    if (o.emit == "exe" && c.metadata.count("vocab")) {
      lower.streaming = true;
      o.functions = {"step"};
    }
    if (lower.vocab == 0) lower.vocab = data::VocabularySize(c.metadata);
    params = std::move(c);
  }
  ASSIGN_OR_RETURN(std::unique_ptr<ir::Module> module, pipeline::PrepareModel(file, lower, o.pipeline));
  std::vector<std::string> available;
  for (const auto& f : module->functions()) available.push_back(f->name());
  for (const std::string& fn : o.functions) {
    if (module->FindFunction(fn) == nullptr) {
      return absl::NotFoundError(absl::StrCat("model '", module->name(), "' has no function '", fn, "' (it has ",
                                              absl::StrJoin(available, ", "), ")"));
    }
  }
  Checkpoint embedded;
  if (!o.params.empty()) {
    // Optimizer state and counters the checkpoint lacks start as a fresh run's do.
    std::map<std::string, Tensor, std::less<>> fresh;
    for (const ir::Global& g : module->globals()) {
      if (!g.trainable) fresh.emplace(g.name, ir::InitialValue(g, 0));
    }
    ASSIGN_OR_RETURN(embedded, frontends::StateFromCheckpoint(*module, params, o.params, fresh));
  } else if (!file.values.empty()) {
    // An imported model's weights (an ONNX file's initializers) are its parameters.
    std::map<std::string, Tensor, std::less<>> state;
    for (const ir::Global& g : module->globals()) state.emplace(g.name, ir::InitialValue(g, 0));
    RETURN_IF_ERROR(frontends::ApplyValues(file, state));
    for (const ir::Global& g : module->globals()) embedded.tensors.emplace_back(g.name, std::move(state.at(g.name)));
  }

  ASSIGN_OR_RETURN(std::unique_ptr<codegen::Target> target, codegen::Target::Create(o.target, o.cpu, o.opt_level));
  codegen::EmitOptions emit_options{.registers = target->vector_registers(), .triple = target->triple()};
  std::string ir_text;
  llvm::LLVMContext context;
  auto code = std::make_unique<llvm::Module>(Identifier(module->name()), context);
  std::vector<Compiled> compiled;
  for (const std::string& fn : o.functions) {
    ASSIGN_OR_RETURN(
        pipeline::OptimizedFunction optimized,
        pipeline::OptimizeFunction(
            *module, fn, o.pipeline,
            {.verify_each = true, .print_after_all = o.print_after_all ? &std::cerr : nullptr, .timing = o.timing}));
    if (o.timing) std::cerr << "@" << fn << ":\n" << optimized.timing;
    const ir::Module& copy = *optimized.module;
    const ir::Function* f = optimized.function;
    if (o.emit == "ir") {
      ir_text += ir::Print(copy);
      continue;
    }
    Compiled c{fn, "loom_" + Identifier(module->name()) + "_" + Identifier(fn), {}, {}};
    for (ir::Value* a : f->body().arguments()) c.input_names.push_back(a->name_hint());
    RETURN_IF_ERROR(codegen::EmitFunction(copy, *f, c.symbol, emit_options, *code, &c.layout));
    // The class allocates its buffers when made: say now if that cannot work here.
    uint64_t bytes = BufferBytes(c.layout);
    if (bytes > (uint64_t{1} << 62)) {
      return absl::ResourceExhaustedError(
          absl::StrFormat("@%s needs %d bytes of buffers: no machine has that", fn, bytes));
    }
    if (target->is_host() && bytes > AvailableMemoryBytes()) {
      std::cerr << absl::StrFormat(
          "loomc: warning: @%s needs %d bytes (%.1f GiB) of buffers, this machine has %d available (%.1f GiB): "
          "its class's constructor will throw std::bad_alloc here\n",
          fn, bytes, bytes / 1073741824.0, AvailableMemoryBytes(), AvailableMemoryBytes() / 1073741824.0);
    }
    compiled.push_back(std::move(c));
  }
  if (o.emit == "ir") return WriteFileAtomically(o.out, ir_text);

  std::vector<std::string> embedded_names;
  for (const auto& [name, t] : embedded.tensors) {
    llvm::StringRef bytes(static_cast<const char*>(t.raw_data()), t.byte_size());
    auto* data = llvm::ConstantDataArray::getString(context, bytes, /*AddNull=*/false);
    auto* g = new llvm::GlobalVariable(*code, data->getType(), /*isConstant=*/true, llvm::GlobalValue::ExternalLinkage,
                                       data, Identifier(module->name()) + "_param_" + Identifier(name));
    g->setAlignment(llvm::Align(64));
    embedded_names.push_back(name);
  }
  target->Prepare(*code);
  std::string errors;
  llvm::raw_string_ostream es(errors);
  if (llvm::verifyModule(*code, &es)) return absl::InternalError(absl::StrCat("invalid LLVM IR: ", errors));
  target->Optimize(*code);
  std::string out;
  if (o.emit == "llvm") {
    llvm::raw_string_ostream os(out);
    code->print(os, nullptr);
  } else {
    ASSIGN_OR_RETURN(out, target->Emit(*code, o.emit == "asm"));
  }
  if (o.emit == "exe") {
    char dir_template[] = "/tmp/loomc.XXXXXX";
    if (mkdtemp(dir_template) == nullptr) return absl::InternalError("cannot make a temporary directory");
    std::string dir = dir_template;
    auto alphabet = params.metadata.find("vocab");
    std::string input;
    for (const auto& in : file.model.input()) {
      if (in.name() != file.model.loss().target()) {
        input = in.name();
        break;
      }
    }
    bool probs = false;
    for (const auto& layer : file.model.layer()) probs |= layer.name() == file.model.output(0) && layer.has_softmax();
    ArraysSpec arrays{
        module->name(), compiled[0].function, "model.h", &compiled[0].layout, compiled[0].input_names, {}, {}};
    ASSIGN_OR_RETURN(std::optional<data::Standardization> stats, data::LoadStandardization(params.metadata));
    if (stats) {
      arrays.mean = stats->mean;
      arrays.stddev = stats->stddev;
    }
    std::string main_source =
        alphabet != params.metadata.end()
            ? SamplerMain({module->name(), input, alphabet->second, probs, &compiled[0].layout, "model.h"})
            : ArraysMain(arrays);
    absl::Status s = WriteFileAtomically(dir + "/model.o", out);
    if (s.ok()) s = WriteFileAtomically(dir + "/model.h", Header(o, module->name(), compiled, embedded_names, ""));
    if (s.ok()) s = WriteFileAtomically(dir + "/main.cc", main_source);
    // Linked beside the output, then renamed: a failed link leaves no program behind.
    if (s.ok()) s = LinkProgram(Compiler(*target), dir, dir + "/model.o", o.out + ".tmp");
    if (s.ok() && std::rename((o.out + ".tmp").c_str(), o.out.c_str()) != 0) {
      s = absl::PermissionDeniedError(absl::StrCat(o.out, ": cannot write"));
    }
    std::remove((o.out + ".tmp").c_str());
    if (s.ok()) std::filesystem::remove_all(dir);
    return s;
  }
  RETURN_IF_ERROR(WriteFileAtomically(o.out, out));
  if (o.header.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::string tokenizer, TokenizerSource(Identifier(module->name()), params.metadata));
  absl::Status header = WriteFileAtomically(o.header, Header(o, module->name(), compiled, embedded_names, tokenizer));
  if (!header.ok()) std::remove(o.out.c_str());  // both files or neither
  return header;
}

}  // namespace
}  // namespace loom::loomc

namespace {

int Main(int argc, char** argv) {
  const loom::flags::Tool& tool = loom::loomc::LoomcTool();
  std::variant<loom::flags::Args, int> args = tool.Parse(argc, argv);
  if (const int* exit = std::get_if<int>(&args)) return *exit;
  auto options = loom::loomc::OptionsOf(std::get<loom::flags::Args>(args));
  if (!options.ok()) return tool.UsageError(std::string(options.status().message()));
  absl::Status s = loom::loomc::Main(*options);
  return s.ok() ? 0 : tool.Fail(s);
}

}  // namespace

int main(int argc, char** argv) { return loom::RunReportingOutOfMemory("loomc", Main, argc, argv); }
