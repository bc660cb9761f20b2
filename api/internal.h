// What lies behind loom/jit.h's pimpl: the compiler's objects a CompiledModel and a Jit
// hold. Loom's own tools and tests include this; users of the installed package cannot
// (it is not installed) and need not.
#ifndef LOOM_API_INTERNAL_H_
#define LOOM_API_INTERNAL_H_

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "compiler/codegen/compiled_function.h"
#include "compiler/codegen/jit_engine.h"
#include "compiler/pipeline/pipelines.h"
#include "frontends/lower.h"
#include "ir/ir.h"
#include "loom/jit.h"

namespace loom {

struct Jit::Impl {
  // Held while compiling and while a model's table of functions changes: models and
  // sessions compile on first use, from whichever threads call them.
  std::mutex mu;
  pipeline::Pipeline pipeline;
  std::unique_ptr<codegen::JitEngine> engine;
  std::map<std::string, std::shared_ptr<const codegen::Executable>> cache;  // by printed IR + function
};

struct CompiledModel::Impl {
  Jit& jit;
  std::unique_ptr<ir::Module> module;
  // The description compiled (--seq, --lr applied by loom train), in model-file text:
  // checkpoints carry it, so `loom sample CKPT` and `loom eval CKPT` need no model file.
  std::string description;
  std::map<std::string, int64_t> length_limits;  // LowerOptions::length_limits
  TensorMap globals;
  std::map<std::string, std::unique_ptr<codegen::CompiledFunction>> functions;
  // The compiled functions keep their weights packed until this changes.
  int64_t params_version = 1;
  std::atomic<int> sessions{0};  // live Sessions, which read the parameters
  // What ComputeGradients lowers again (the prepared module's @loss has been through the
  // pre-autodiff passes, which may merge scans: the flows are per layer here), and the
  // module it adds its gradient functions to, once, with the code compiled for them.
  std::shared_ptr<const frontends::ModelFile> file;
  frontends::LowerOptions lower;
  std::unique_ptr<ir::Module> grad_module;
  // A data-parallel run's (CompileOptions::world, of more than one rank), which every
  // function's all_reduce sums over; null otherwise.
  std::shared_ptr<World> world;
  Collectives* collectives = nullptr;
  std::map<std::string, std::unique_ptr<codegen::CompiledFunction>> grad_functions;
};

struct Session::Impl {
  CompiledModel::Impl& model;
  std::map<std::string, std::unique_ptr<codegen::CompiledFunction>> functions;
  TensorMap state;  // the globals the functions write: this session's
};

}  // namespace loom

#endif  // LOOM_API_INTERNAL_H_
