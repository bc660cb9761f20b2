#include "compiler/codegen/compiled_function.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "runtime/thread_pool.h"
#include "support/memory.h"
#include "support/status_macros.h"

namespace loom::codegen {

namespace {

// The interpreter's message for the same error.
absl::Status RecordedError(const ArenaHeader& e) {
  auto code = static_cast<ir::OpCode>(e.op_code_plus_1 - 1);
  std::string op(ir::GetOpInfo(code).name);
  if (code == ir::OpCode::kDiv) return absl::InvalidArgumentError(absl::StrCat("'", op, "' integer division by zero"));
  if (code == ir::OpCode::kGather) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", op, "' index ", e.value, " is out of range for a table of ", e.bound, " rows"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("'", op, "' index ", e.value, " is out of range for ", e.bound, " rows"));
}

// The ArenaCollectives callbacks over a Collectives.
void StartSum(void* context, int64_t id, void* data, int64_t count, int64_t dtype) {
  static_cast<Collectives*>(context)->Start(id, data, count, static_cast<DType>(dtype));
}
void WaitSum(void* context, int64_t id) { static_cast<Collectives*>(context)->Wait(id); }

}  // namespace

CompiledFunction::CompiledFunction(std::shared_ptr<const Executable> executable)
    : executable_(std::move(executable)),
      scratch_(Tensor::Uninitialized(DType::kI1, {executable_->layout.scratch_bytes})) {
  // Nothing packed yet, no error, the barrier at rest.
  std::memset(scratch_.raw_data(), 0, kArenaHeaderBytes);
}

ArenaHeader& CompiledFunction::Header() { return *static_cast<ArenaHeader*>(scratch_.raw_data()); }

absl::StatusOr<std::unique_ptr<CompiledFunction>> CompiledFunction::Create(std::shared_ptr<const Executable> executable,
                                                                           absl::string_view name) {
  RETURN_IF_ERROR(CheckAllocation(absl::StrCat(name, ", scratch arena"), executable->layout.scratch_bytes));
  return std::unique_ptr<CompiledFunction>(new CompiledFunction(std::move(executable)));
}

absl::StatusOr<std::vector<Tensor>> CompiledFunction::Run(const std::vector<Tensor>& inputs, Globals& globals,
                                                          int64_t params_version) {
  return Run(inputs, globals, globals, params_version);
}

absl::StatusOr<std::vector<Tensor>> CompiledFunction::Run(const std::vector<Tensor>& inputs, const Globals& shared,
                                                          Globals& own, int64_t params_version) {
  const BufferLayout& layout = executable_->layout;
  if (inputs.size() != layout.inputs.size()) {
    return absl::InvalidArgumentError(absl::StrCat("expected ", layout.inputs.size(), " inputs, got ", inputs.size()));
  }
  std::vector<void*> buffers;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (ir::TypeOf(inputs[i]) != layout.inputs[i]) {
      return absl::InvalidArgumentError(absl::StrCat("input ", i, " must be ", layout.inputs[i].ToString(), ", got ",
                                                     ir::TypeOf(inputs[i]).ToString()));
    }
    buffers.push_back(const_cast<void*>(inputs[i].raw_data()));
  }
  std::vector<Tensor> outputs;
  uint64_t output_bytes = 0;
  for (const ir::TensorType& t : layout.outputs) output_bytes = AddBytes(output_bytes, ByteSize(t.dtype, t.shape));
  // Large outputs only: asking how much memory is available costs more than a small call.
  if (output_bytes >= (uint64_t{64} << 20)) RETURN_IF_ERROR(CheckAllocation("the outputs", output_bytes));
  // Generated code writes every element of its outputs.
  for (const ir::TensorType& t : layout.outputs) outputs.push_back(Tensor::Uninitialized(t.dtype, t.shape));
  for (Tensor& t : outputs) buffers.push_back(t.raw_data());
  for (size_t g = 0; g < layout.globals.size(); ++g) {
    const std::string& name = layout.globals[g];
    const Tensor* value = nullptr;
    if (auto it = own.find(name); it != own.end()) {
      value = &it->second;
    } else if (auto shared_it = shared.find(name); shared_it != shared.end()) {
      if (std::count(layout.stored_globals.begin(), layout.stored_globals.end(), name)) {
        return absl::FailedPreconditionError(
            absl::StrCat("global @", name, " is written by the run: the caller needs its own"));
      }
      value = &shared_it->second;
    }
    if (value == nullptr) return absl::NotFoundError(absl::StrCat("global @", name, " has no value"));
    if (ir::TypeOf(*value) != layout.global_types[g]) {
      return absl::InvalidArgumentError(absl::StrCat("global @", name, " must be ", layout.global_types[g].ToString(),
                                                     ", got ", ir::TypeOf(*value).ToString()));
    }
    // Only the globals in `own` are written (stored_globals); the shared ones are read.
    buffers.push_back(const_cast<void*>(value->raw_data()));
  }
  buffers.push_back(scratch_.raw_data());
  ArenaHeader& header = Header();
  header.params_version = params_version;
  header.threads = !layout.threaded ? 1 : threads_ > 0 ? std::min(threads_, NumThreads()) : NumThreads();
  header.launch = header.threads > 1 ? &RunOnThreads : nullptr;
  header.launch_context = nullptr;
  auto* collectives = reinterpret_cast<ArenaCollectives*>(static_cast<char*>(scratch_.raw_data()) + kCollectivesOffset);
  *collectives = collectives_ == nullptr ? ArenaCollectives{} : ArenaCollectives{&StartSum, &WaitSum, collectives_};
  executable_->entry(buffers.data());
  if (collectives_ != nullptr) RETURN_IF_ERROR(collectives_->TakeError());
  if (Header().op_code_plus_1 != 0) return RecordedError(Header());
  return outputs;
}

}  // namespace loom::codegen
