#include "tests/unit/testing/f64.h"

#include "ir/verifier.h"

namespace loom::testing {
namespace {

void Promote(ir::TensorType& t) {
  if (t.dtype == DType::kF32) t.dtype = DType::kF64;
}

void PromoteValue(ir::Value* v) {
  ir::TensorType t = v->type();
  Promote(t);
  v->set_type(t);
}

void PromoteBlock(ir::Block& block) {
  for (ir::Value* a : block.arguments()) PromoteValue(a);
  for (auto& op : block.ops()) {
    for (ir::Value* r : op->results()) PromoteValue(r);
    for (auto& [name, attr] : op->mutable_attrs()) {
      if (auto* d = std::get_if<DType>(&attr); d && *d == DType::kF32) *d = DType::kF64;
      if (auto* t = std::get_if<Tensor>(&attr); t && t->dtype() == DType::kF32) {
        Tensor wide(DType::kF64, t->shape());
        for (int64_t i = 0; i < t->num_elements(); ++i) wide.values<double>()[i] = t->values<float>()[i];
        *t = std::move(wide);
      }
    }
    if (op->has_region()) PromoteBlock(*op->region());
  }
}

}  // namespace

absl::Status PromoteToF64(ir::Module& module) {
  for (ir::Global& g : module.mutable_globals()) Promote(g.type);
  for (const auto& f : module.functions()) {
    PromoteBlock(f->body());
    std::vector<ir::TensorType> results = f->result_types();
    for (auto& t : results) Promote(t);
    f->set_result_types(results);
  }
  return ir::Verify(module);
}

}  // namespace loom::testing
