#include "ir/interpreter.h"

#include <cmath>
#include <unordered_map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ir/interpreter_kernels.h"
#include "support/memory.h"
#include "support/philox.h"
#include "support/status_macros.h"

namespace loom::ir {
namespace {

// Refuses an op whose results would not fit in memory. Only large results are checked:
// asking the kernel how much memory is available costs more than a small op.
absl::Status CheckResultsFit(const Op& op) {
  constexpr uint64_t kChecked = uint64_t{64} << 20;
  uint64_t bytes = 0;
  for (int i = 0; i < op.num_results(); ++i) {
    const TensorType& t = op.result(i)->type();
    bytes = AddBytes(bytes, ByteSize(t.dtype, t.shape));
  }
  return bytes < kChecked ? absl::OkStatus() : CheckAllocation(absl::StrCat("'", op.name(), "'"), bytes);
}

// The index of the first NaN or infinity in `t`, or -1.
int64_t FirstNonFinite(const Tensor& t) {
  if (!IsFloat(t.dtype())) return -1;
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    if (!std::isfinite(t.GetDouble(i))) return i;
  }
  return -1;
}

// What a terminator yields: values this block computed are moved out (a value yielded
// twice is then copied from its first place), values from outside are copied.
std::vector<Tensor> Yield(const Op& terminator, std::unordered_map<const Value*, Tensor>& computed,
                          const std::unordered_map<const Value*, const Tensor*>& env) {
  std::vector<Tensor> out;
  for (int i = 0; i < terminator.num_operands(); ++i) {
    const Value* v = terminator.operand(i);
    int first = 0;
    while (terminator.operand(first) != v) ++first;
    if (first < i) {
      Tensor copy = out[first];
      out.push_back(std::move(copy));
    } else if (auto it = computed.find(v); it != computed.end()) {
      out.push_back(std::move(it->second));
    } else {
      out.push_back(*env.at(v));
    }
  }
  return out;
}

absl::StatusOr<std::vector<Tensor>> RunBlock(const Block& block, std::span<const Tensor* const> args,
                                             KernelContext& ctx) {
  std::unordered_map<const Value*, Tensor> computed;  // node-based: addresses stay put
  std::unordered_map<const Value*, const Tensor*> env;
  for (int i = 0; i < block.num_arguments(); ++i) env[block.argument(i)] = args[i];
  for (const auto& op : block.ops()) {
    if (op->info().has(kTerminator)) return Yield(*op, computed, env);
    std::vector<const Tensor*> operands;
    for (Value* v : op->operands()) operands.push_back(env.at(v));
    Kernel kernel = GetKernel(op->code());
    if (kernel == nullptr) {
      return absl::UnimplementedError(absl::StrCat("no interpreter kernel for '", op->name(), "'"));
    }
    if (absl::Status s = CheckResultsFit(*op); !s.ok()) return ErrorAt(op->loc(), s.message());
    absl::StatusOr<std::vector<Tensor>> results = kernel(*op, operands, ctx);
    if (!results.ok()) {
      // An op in a region may have said where it failed already.
      return absl::StrContains(results.status().message(), "error: ") ? results.status()
                                                                      : ErrorAt(op->loc(), results.status().message());
    }
    for (int i = 0; i < op->num_results(); ++i) {
      if (TypeOf((*results)[i]) != op->result(i)->type()) {
        return absl::InternalError(absl::StrCat("interpreter kernel of '", op->name(), "' produced ",
                                                TypeOf((*results)[i]).ToString(), " for ",
                                                op->result(i)->type().ToString()));
      }
      if (int64_t at = ctx.detect_anomaly ? FirstNonFinite((*results)[i]) : -1; at >= 0) {
        ctx.anomaly_op = op.get();
        ctx.anomaly_value = (*results)[i].GetDouble(at);
        return ErrorAt(op->loc(), absl::StrCat("'", op->name(), "' produced ", ctx.anomaly_value));
      }
      env[op->result(i)] = &(computed[op->result(i)] = std::move((*results)[i]));
    }
  }
  return absl::InternalError("block has no terminator");
}

// The context refers to itself (regions run nested blocks), so it is set up in place.
void InitContext(KernelContext& ctx, std::map<std::string, Tensor, std::less<>>* globals) {
  ctx.globals = globals;
  ctx.run_block = [&ctx](const Block& block, std::span<const Tensor* const> args) {
    return RunBlock(block, args, ctx);
  };
}

uint64_t HashName(absl::string_view name) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h;
}

}  // namespace

Tensor InitialValue(const Global& global, uint64_t seed) {
  Tensor t(global.type.dtype, global.type.shape);
  const Initializer& init = global.init;
  uint64_t key = seed ^ HashName(global.name);
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    double v = 0;
    switch (init.kind) {
      case Initializer::Kind::kZeros: v = 0; break;
      case Initializer::Kind::kOnes: v = 1; break;
      case Initializer::Kind::kConstant: v = init.a; break;
      case Initializer::Kind::kUniform: v = init.a + (init.b - init.a) * UniformDouble(RandomBits(key, 0, i)); break;
      case Initializer::Kind::kNormal: {
        // Box-Muller; 1 - u keeps the logarithm finite.
        double u1 = 1.0 - UniformDouble(RandomBits(key, 0, i));
        double u2 = UniformDouble(RandomBits(key, 1, i));
        v = init.a + init.b * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
        break;
      }
    }
    t.SetDouble(i, v);
  }
  return t;
}

Interpreter::Interpreter(const Module& module, uint64_t seed) : module_(module) {
  for (const Global& g : module.globals()) globals_.emplace(g.name, InitialValue(g, seed));
}

const Tensor* Interpreter::GetGlobal(absl::string_view name) const {
  auto it = globals_.find(name);
  return it == globals_.end() ? nullptr : &it->second;
}

absl::Status Interpreter::SetGlobal(absl::string_view name, Tensor value) {
  auto it = globals_.find(name);
  if (it == globals_.end()) return absl::NotFoundError(absl::StrCat("no global @", name));
  if (TypeOf(value) != TypeOf(it->second)) {
    return absl::InvalidArgumentError(
        absl::StrCat("@", name, " is ", TypeOf(it->second).ToString(), ", got ", TypeOf(value).ToString()));
  }
  it->second = std::move(value);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Tensor>> Interpreter::Run(absl::string_view function, std::vector<Tensor> inputs) {
  const Function* f = module_.FindFunction(function);
  if (f == nullptr) return absl::NotFoundError(absl::StrCat("no function @", function));
  std::vector<TensorType> want = f->input_types();
  if (inputs.size() != want.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("@", function, " takes ", want.size(), " inputs, got ", inputs.size()));
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (TypeOf(inputs[i]) != want[i]) {
      return absl::InvalidArgumentError(absl::StrCat("input ", i, " of @", function, " must be ", want[i].ToString(),
                                                     ", got ", TypeOf(inputs[i]).ToString()));
    }
  }
  KernelContext ctx;
  InitContext(ctx, &globals_);
  ctx.detect_anomaly = detect_anomaly_;
  ctx.collectives = collectives_;
  std::vector<const Tensor*> args;
  for (const Tensor& t : inputs) args.push_back(&t);
  absl::StatusOr<std::vector<Tensor>> results = RunBlock(f->body(), args, ctx);
  anomaly_ = {.op = ctx.anomaly_op, .scan_steps = std::move(ctx.anomaly_steps), .value = ctx.anomaly_value};
  return results;
}

absl::StatusOr<std::vector<Tensor>> EvaluateOp(const Op& op, std::span<const Tensor* const> operands) {
  Kernel kernel = GetKernel(op.code());
  if (kernel == nullptr) {
    return absl::UnimplementedError(absl::StrCat("no interpreter kernel for '", op.name(), "'"));
  }
  KernelContext ctx;
  InitContext(ctx, nullptr);
  return kernel(op, operands, ctx);
}

}  // namespace loom::ir
