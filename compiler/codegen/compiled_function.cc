#include "compiler/codegen/compiled_function.h"

#include <atomic>

#include "absl/strings/str_cat.h"
#include "compiler/passes/explicit_lengths.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "support/status_macros.h"

namespace loom::codegen {

absl::StatusOr<std::unique_ptr<CompiledFunction>> CompiledFunction::Compile(JitEngine& jit, const ir::Module& module,
                                                                            const std::string& function) {
  std::unique_ptr<ir::Module> copy = ir::CloneModule(module);
  ir::Function* f = copy->FindFunction(function);
  if (f == nullptr) return absl::NotFoundError(absl::StrCat("no function @", function));
  RETURN_IF_ERROR(passes::MakeAllLengthsExplicit(f->body()).status());
  auto context = std::make_unique<llvm::LLVMContext>();
  auto compiled = std::unique_ptr<CompiledFunction>(new CompiledFunction());
  // Every compilation gets its own symbol: one JIT holds many modules.
  static std::atomic<int64_t> serial{0};
  std::string symbol = absl::StrCat("loom_", function, "_", serial++);
  ASSIGN_OR_RETURN(std::unique_ptr<llvm::Module> llvm_module,
                   EmitFunction(*copy, *f, *context, symbol, &compiled->layout_));
  ASSIGN_OR_RETURN(void* address, jit.Add(std::move(llvm_module), std::move(context), symbol));
  compiled->entry_ = reinterpret_cast<Entry>(address);
  compiled->scratch_ = std::make_unique<Tensor>(DType::kI1, Shape{compiled->layout_.scratch_bytes});
  return compiled;
}

absl::StatusOr<std::vector<Tensor>> CompiledFunction::Run(const std::vector<Tensor>& inputs, Globals& globals) {
  if (inputs.size() != layout_.inputs.size()) {
    return absl::InvalidArgumentError(absl::StrCat("expected ", layout_.inputs.size(), " inputs, got ", inputs.size()));
  }
  std::vector<void*> buffers;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (ir::TypeOf(inputs[i]) != layout_.inputs[i]) {
      return absl::InvalidArgumentError(absl::StrCat("input ", i, " must be ", layout_.inputs[i].ToString(), ", got ",
                                                     ir::TypeOf(inputs[i]).ToString()));
    }
    buffers.push_back(const_cast<void*>(inputs[i].raw_data()));
  }
  std::vector<Tensor> outputs;
  for (const ir::TensorType& t : layout_.outputs) outputs.emplace_back(t.dtype, t.shape);
  for (Tensor& t : outputs) buffers.push_back(t.raw_data());
  for (size_t g = 0; g < layout_.globals.size(); ++g) {
    auto it = globals.find(layout_.globals[g]);
    if (it == globals.end()) return absl::NotFoundError(absl::StrCat("global @", layout_.globals[g], " has no value"));
    if (ir::TypeOf(it->second) != layout_.global_types[g]) {
      return absl::InvalidArgumentError(absl::StrCat("global @", layout_.globals[g], " must be ",
                                                     layout_.global_types[g].ToString(), ", got ",
                                                     ir::TypeOf(it->second).ToString()));
    }
    buffers.push_back(it->second.raw_data());
  }
  buffers.push_back(scratch_->raw_data());
  entry_(buffers.data());
  return outputs;
}

}  // namespace loom::codegen
