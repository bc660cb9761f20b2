#include "compiler/codegen/loops.h"

namespace loom::codegen {

Carried EmitLoop(llvm::IRBuilder<>& b, llvm::Value* begin, llvm::Value* end, const Carried& carried,
                 const LoopBody& body, int interleave) {
  llvm::LLVMContext& ctx = b.getContext();
  llvm::Function* f = b.GetInsertBlock()->getParent();
  llvm::BasicBlock* pre = b.GetInsertBlock();
  llvm::BasicBlock* loop = llvm::BasicBlock::Create(ctx, "loop", f);
  llvm::BasicBlock* exit = llvm::BasicBlock::Create(ctx, "exit", f);
  b.CreateCondBr(b.CreateICmpSLT(begin, end), loop, exit);
  b.SetInsertPoint(loop);
  llvm::PHINode* i = b.CreatePHI(b.getInt64Ty(), 2);
  i->addIncoming(begin, pre);
  Carried phis;
  for (llvm::Value* v : carried) {
    llvm::PHINode* phi = b.CreatePHI(v->getType(), 2);
    phi->addIncoming(v, pre);
    phis.push_back(phi);
  }
  Carried next = body(i, phis);
  llvm::Value* i_next = b.CreateAdd(i, b.getInt64(1));
  llvm::BasicBlock* latch = b.GetInsertBlock();
  i->addIncoming(i_next, latch);
  for (size_t c = 0; c < phis.size(); ++c) llvm::cast<llvm::PHINode>(phis[c])->addIncoming(next[c], latch);
  llvm::BranchInst* back = b.CreateCondBr(b.CreateICmpSLT(i_next, end), loop, exit);
  if (interleave > 0) {
    llvm::LLVMContext& c = b.getContext();
    llvm::Metadata* count[] = {llvm::MDString::get(c, "llvm.loop.interleave.count"),
                               llvm::ConstantAsMetadata::get(b.getInt32(interleave))};
    llvm::MDNode* self = llvm::MDNode::getDistinct(c, {nullptr, llvm::MDNode::get(c, count)});
    self->replaceOperandWith(0, self);
    back->setMetadata(llvm::LLVMContext::MD_loop, self);
  }
  b.SetInsertPoint(exit);
  Carried out;
  for (size_t c = 0; c < phis.size(); ++c) {
    llvm::PHINode* phi = b.CreatePHI(carried[c]->getType(), 2);
    phi->addIncoming(carried[c], pre);
    phi->addIncoming(next[c], latch);
    out.push_back(phi);
  }
  return out;
}

void EmitFor(llvm::IRBuilder<>& b, llvm::Value* begin, llvm::Value* end,
             const std::function<void(llvm::Value* i)>& body, int interleave) {
  EmitLoop(
      b, begin, end, {},
      [&](llvm::Value* i, const Carried&) {
        body(i);
        return Carried{};
      },
      interleave);
}

}  // namespace loom::codegen
