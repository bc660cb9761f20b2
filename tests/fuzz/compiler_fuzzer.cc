// The differential fuzzer of the compiler. An input names a random valid module (every
// op of the table, scans with lengths and reverse, fusion, globals) and the data to run
// it on; every rewriting pass must leave the reference interpreter's results exactly as
// they were, and the JIT (after the default pipeline) must compute them to 1e-4 — or
// within the spread of the interpreter's results on slightly moved inputs, where f32
// rounding alone makes more than that — and fail where the interpreter fails, with the
// same message.
//
// Input layout (structure-aware: the custom mutator below keeps it):
//   [0, 8)   module seed        [8]  module size (ops)
//   [9]      which pass checks this run's data   [10, 18) data seed
//   [18, …)  edits, 4 bytes each: input, element (2 bytes), special value
// A module is generated, put through every pass and JIT-compiled once, then kept (the
// last kCachedModules of them); most mutations change only the data, so most runs
// execute machine code already compiled on new values, and 1 in kNewModuleOdds asks
// for a new module.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <list>
#include <map>
#include <random>

#include "compiler/codegen/compiled_function.h"
#include "compiler/passes/pass_manager.h"
#include "compiler/pipeline/compile.h"
#include "compiler/pipeline/registry.h"
#include "ir/interpreter.h"
#include "ir/printer.h"
#include "tests/unit/testing/random_module.h"

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace {

using loom::Tensor;

constexpr size_t kHeader = 18;
constexpr int kCachedModules = 4096;
constexpr unsigned kNewModuleOdds = 256;

// Values that take kernels to their edges: signed zeros, saturation of tanh and
// sigmoid, exp overflow, tiny magnitudes; for integers, ids outside any table and zero
// divisors.
constexpr double kSpecialFloats[] = {0.0,  -0.0,  1.0,  -1.0,  0.5,  -3.0,  9.0, -9.0,
                                     20.0, -20.0, 90.0, -90.0, 1e-7, -1e-7, 1e4, -1e4};
constexpr double kSpecialInts[] = {0, 1, 2, -1, 3, 7, 1000, -1000};

struct Outcome {
  absl::StatusOr<std::vector<Tensor>> results;
  loom::codegen::CompiledFunction::Globals globals_before, globals;
};

struct Compiled {
  std::unique_ptr<loom::ir::Module> module;
  // The module after each rewriting pass, in the registry's order.
  std::vector<std::unique_ptr<loom::ir::Module>> rewritten;
  std::unique_ptr<loom::codegen::CompiledFunction> jit;
};

loom::codegen::JitEngine& Jit() {
  static auto* jit = loom::codegen::JitEngine::Create()->release();
  return *jit;
}

// Passes that rewrite a function in place (autodiff and train-step add functions and
// need a loss; loop_optimizations_test and the gradient tests cover them).
const std::vector<std::string>& RewritingPasses() {
  static const auto* passes = [] {
    auto* names = new std::vector<std::string>;
    for (const loom::pipeline::PassInfo& p : loom::pipeline::RegisteredPasses()) {
      if (p.name != "autodiff" && p.name != "train-step") names->emplace_back(p.name);
    }
    names->push_back("default");
    return names;
  }();
  return *passes;
}

uint64_t Read64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

Outcome Interpret(const loom::ir::Module& m, const std::vector<Tensor>& inputs) {
  loom::ir::Interpreter interp(m, /*seed=*/5);
  Outcome o{absl::UnknownError("not run"), interp.globals(), {}};
  o.results = interp.Run("main", inputs);
  o.globals = interp.globals();
  return o;
}

// How many perturbed runs judge an element the JIT computed differently, how far their
// inputs move (relative), and how much further than they move the JIT may be.
constexpr int kPerturbedRuns = 3;
constexpr double kPerturbation = 0x1p-20;
constexpr double kSpreadFactor = 4;

// Where `got` departs from `want` beyond the tolerance, or "" when it does not. An element
// beyond it is still accepted when the interpreter's own result moves as far when the
// inputs move by a few ulps (`perturbed`): where large terms cancel, two f32 summation
// orders differ by far more than any tolerance, and only the spread tells how far.
std::string Difference(const Tensor& got, const Tensor& want, double rtol, double atol,
                       const std::vector<const Tensor*>& perturbed) {
  if (got.dtype() != want.dtype() || got.shape() != want.shape()) return "dtype or shape";
  for (int64_t i = 0; i < want.num_elements(); ++i) {
    double x = got.GetDouble(i), y = want.GetDouble(i);
    if (x == y || (std::isnan(x) && std::isnan(y))) continue;
    double allowed = rtol * std::abs(y) + atol;
    if (std::abs(x - y) <= allowed) continue;
    double spread = 0;
    bool seen = false;  // the JIT's value is one a perturbed run gave
    for (const Tensor* t : perturbed) {
      double p = t->GetDouble(i);
      seen |= x == p || (std::isnan(x) && std::isnan(p));
      if (std::isfinite(p) && std::isfinite(y)) spread = std::max(spread, std::abs(p - y));
    }
    if (seen || (std::isfinite(x) && std::abs(x - y) <= allowed + kSpreadFactor * spread)) continue;
    return "element " + std::to_string(i) + ": interpreter " + std::to_string(y) + " (perturbed inputs move it by " +
           std::to_string(spread) + "), got " + std::to_string(x);
  }
  return "";
}

// What disagrees between `want` and `got`, or "" when nothing does: the same error, or
// the same results and globals within the tolerance (see Difference for `perturbed`;
// runs that failed are left out of it).
std::string Disagreement(const Outcome& want, const Outcome& got, double rtol, double atol,
                         const std::vector<Outcome>& perturbed) {
  if (want.results.ok() != got.results.ok() || (!want.results.ok() && want.results.status() != got.results.status())) {
    return "interpreter: " + want.results.status().ToString() + "; got: " + got.results.status().ToString();
  }
  if (!want.results.ok()) return "";
  if (want.results->size() != got.results->size()) return "the number of results differs";
  std::vector<const Outcome*> ran;
  for (const Outcome& o : perturbed) {
    if (o.results.ok()) ran.push_back(&o);
  }
  for (size_t i = 0; i < want.results->size(); ++i) {
    std::vector<const Tensor*> moved;
    for (const Outcome* o : ran) moved.push_back(&(*o->results)[i]);
    std::string diff = Difference((*got.results)[i], (*want.results)[i], rtol, atol, moved);
    if (!diff.empty()) return "result " + std::to_string(i) + " differs, " + diff;
  }
  for (const auto& [name, value] : want.globals) {
    auto it = got.globals.find(name);
    if (it == got.globals.end()) return "global @" + name + " is missing";
    std::vector<const Tensor*> moved;
    for (const Outcome* o : ran) moved.push_back(&o->globals.at(name));
    std::string diff = Difference(it->second, value, rtol, atol, moved);
    if (!diff.empty()) return "global @" + name + " differs, " + diff;
  }
  return "";
}

// A finding: says what disagreed and prints the module, then crashes so that libFuzzer
// keeps the input.
void Check(const std::string& disagreement, const char* pipeline, const loom::ir::Module& module) {
  if (disagreement.empty()) return;
  std::fprintf(stderr, "compiler fuzzer: %s after %s, in\n%s", disagreement.c_str(), pipeline,
               loom::ir::Print(module).c_str());
  __builtin_trap();
}

// The interpreter's outcomes with every float input scaled by 1 ± kPerturbation, signs
// drawn per element: only needed, so only computed, when the JIT departs from the
// interpreter.
std::vector<Outcome> Perturbed(const loom::ir::Module& m, const std::vector<Tensor>& inputs) {
  std::vector<Outcome> out;
  std::minstd_rand signs(1);
  for (int run = 0; run < kPerturbedRuns; ++run) {
    std::vector<Tensor> moved = inputs;
    for (Tensor& x : moved) {
      if (!loom::IsFloat(x.dtype())) continue;
      for (int64_t i = 0; i < x.num_elements(); ++i) {
        x.SetDouble(i, x.GetDouble(i) * (1 + (signs() % 2 ? kPerturbation : -kPerturbation)));
      }
    }
    out.push_back(Interpret(m, moved));
  }
  return out;
}

std::vector<Tensor> Inputs(const loom::ir::Function& main, const uint8_t* data, size_t size) {
  std::vector<Tensor> inputs = loom::testing::RandomInputs(main, Read64(data + 10));
  if (inputs.empty()) return inputs;
  for (size_t at = kHeader; at + 4 <= size; at += 4) {
    Tensor& x = inputs[data[at] % inputs.size()];
    if (x.num_elements() == 0) continue;
    int64_t element = (data[at + 1] | data[at + 2] << 8) % x.num_elements();
    uint8_t v = data[at + 3];
    x.SetDouble(element, loom::IsFloat(x.dtype()) ? kSpecialFloats[v % std::size(kSpecialFloats)]
                                                  : kSpecialInts[v % std::size(kSpecialInts)]);
  }
  return inputs;
}

Outcome RunJit(loom::codegen::CompiledFunction& f, const std::vector<Tensor>& inputs, const Outcome& interpreted) {
  Outcome o{absl::UnknownError("not run"), interpreted.globals_before, interpreted.globals_before};
  o.results = f.Run(inputs, o.globals);
  return o;
}

// The module `data` names, put through every pass and the JIT, from the cache or now
// (then `*fresh` is set).
const Compiled& Module(const uint8_t* data, bool* fresh) {
  using Key = std::pair<uint64_t, int>;
  static auto* lru = new std::list<std::pair<Key, Compiled>>;
  static auto* index = new std::map<Key, std::list<std::pair<Key, Compiled>>::iterator>;
  Key key{Read64(data), 4 + data[8] % 28};
  if (auto it = index->find(key); it != index->end()) {
    lru->splice(lru->begin(), *lru, it->second);
    return lru->front().second;
  }
  *fresh = true;
  Compiled c;
  loom::testing::RandomModuleOptions options;
  options.num_ops = key.second;
  auto module = loom::testing::RandomModule(key.first, options);
  if (!module.ok()) __builtin_trap();  // the generator makes valid modules only
  c.module = std::move(*module);
  for (const std::string& pipeline : RewritingPasses()) {
    c.rewritten.push_back(loom::ir::CloneModule(*c.module));
    loom::passes::PassManager pm;
    if (!loom::pipeline::AddPipeline(pm, pipeline).ok() || !pm.Run(*c.rewritten.back()).ok()) __builtin_trap();
  }
  auto jit = loom::pipeline::CompileFunction(Jit(), *c.module, "main");
  if (!jit.ok()) __builtin_trap();
  c.jit = std::move(*jit);
  if (index->size() == kCachedModules) {
    index->erase(lru->back().first);
    lru->pop_back();
  }
  lru->emplace_front(key, std::move(c));
  (*index)[key] = lru->begin();
  return lru->front().second;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < kHeader) return 0;
  bool fresh = false;
  const Compiled& c = Module(data, &fresh);
  std::vector<Tensor> inputs = Inputs(*c.module->FindFunction("main"), data, size);
  Outcome want = Interpret(*c.module, inputs);
  // Passes are exact rewrites: equal results but for the sign of zero. A new module is
  // checked after every pass, a cached one after the pass this input picks.
  size_t n = c.rewritten.size();
  for (size_t p = 0; p < n; ++p) {
    if (fresh || p == data[9] % n)
      Check(Disagreement(want, Interpret(*c.rewritten[p], inputs), 0, 0, {}), RewritingPasses()[p].c_str(), *c.module);
  }
  Outcome jit = RunJit(*c.jit, inputs, want);
  if (!Disagreement(want, jit, 1e-4, 1e-5, {}).empty()) {
    Check(Disagreement(want, jit, 1e-4, 1e-5, Perturbed(*c.module, inputs)), "the default pipeline, in the JIT",
          *c.module);
  }
  return 0;
}

// Mutates the edits (7 times in 8), the data seed, or, 1 time in kNewModuleOdds, the
// module.
extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned int seed) {
  if (max_size < kHeader) return size;
  if (size < kHeader) {
    std::memset(data + size, 0, kHeader - size);
    size = kHeader;
  }
  unsigned choice = seed % kNewModuleOdds;
  if (choice == 0) {
    LLVMFuzzerMutate(data, 10, 10);  // the module (and the pass to check)
  } else if (choice < kNewModuleOdds / 8) {
    LLVMFuzzerMutate(data + 9, 9, 9);  // the pass to check and the data seed
  } else {
    size = kHeader + LLVMFuzzerMutate(data + kHeader, size - kHeader, max_size - kHeader);
  }
  return size;
}
