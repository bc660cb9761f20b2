// Matrix products as generated code: for each GemmPlan, an internal LLVM function (the
// kernel) that computes C = op(A)·op(B) for a range of B's column panels, and one that
// packs op(B) into those panels. Plain LLVM vector IR — <lanes x float> loads, splats,
// llvm.fmuladd, masked loads and stores at the edges — so one emitter serves every
// target; the TargetMachine turns it into AVX2, AVX-512 or NEON.
//
// Kernel: void (ptr A, ptr B, ptr C, i64 first_panel, i64 end_panel, i64 first_row_tile,
// i64 end_row_tile), A [M,K] (or [K,M] with trans_a) and C [M,N] row-major and
// contiguous; B packed, or in place as [K,N] when the product reads it so
// (ReadsBInPlace). For each K block, for each panel, the row tiles (or the other way
// round: GemmPlan::rows_outside): each tile's accumulators are phi nodes of its K loop.
#ifndef LOOM_COMPILER_CODEGEN_GEMM_EMITTER_H_
#define LOOM_COMPILER_CODEGEN_GEMM_EMITTER_H_

#include "compiler/codegen/gemm_plan.h"
#include "llvm/IR/IRBuilder.h"

namespace loom::codegen {

class GemmEmitter {
 public:
  GemmEmitter(llvm::Module& module, const VectorRegisters& registers);

  GemmPlan Plan(const GemmShape& shape) const { return PlanGemm(shape, registers_); }

  // Whether a product is better off reading op(B) in place than packing it first: B is
  // not transposed, and either one row tile uses each element of it once or all of it
  // stays in cache while the row tiles take turns.
  static bool ReadsBInPlace(const GemmPlan& plan);

  // C = op(A)·op(B) at b's insertion point, on this thread; `packed` says whether
  // `bdata` holds the panels of `plan` (EmitPack) or B in place.
  void EmitProduct(llvm::IRBuilder<>& b, const GemmPlan& plan, llvm::Value* a, llvm::Value* bdata, bool packed,
                   llvm::Value* c);
  // The columns of the panels [first, end) of C = op(A)·op(B), on this thread (a fused
  // loop consumes a product panel by panel). K > 0.
  void EmitPanels(llvm::IRBuilder<>& b, const GemmPlan& plan, llvm::Value* a, llvm::Value* bdata, bool packed,
                  llvm::Value* c, llvm::Value* first, llvm::Value* end);
  // The work units [first, end) of C = op(A)·op(B) (GemmPlan::num_units), on this thread:
  // threads share a product by units, so that a product of 15 panels and 8 row tiles
  // splits evenly over two threads, and a weight gradient's threads each pack only their
  // own row tiles of Aᵀ. K > 0.
  void EmitUnits(llvm::IRBuilder<>& b, const GemmPlan& plan, llvm::Value* a, llvm::Value* bdata, bool packed,
                 llvm::Value* c, llvm::Value* first, llvm::Value* end);
  // Packs op(B) (B as stored: [K,N], or [N,K] with trans_b) into plan.packed_b_elements()
  // elements at `packed`, 64-byte aligned.
  void EmitPack(llvm::IRBuilder<>& b, const GemmPlan& plan, llvm::Value* bdata, llvm::Value* packed);
  // The panels [first, end) of it only (threads share the packing as they share the
  // panels).
  void EmitPackPanels(llvm::IRBuilder<>& b, const GemmPlan& plan, llvm::Value* bdata, llvm::Value* packed,
                      llvm::Value* first, llvm::Value* end);

 private:
  llvm::Function* Kernel(const GemmPlan& plan, bool packed);
  llvm::Function* Packer(const GemmPlan& plan);

  llvm::Module& module_;
  VectorRegisters registers_;
};

}  // namespace loom::codegen

#endif  // LOOM_COMPILER_CODEGEN_GEMM_EMITTER_H_
