#include "compiler/codegen/threads.h"

#include <cstddef>
#include <functional>

#include "compiler/codegen/emitter.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/IntrinsicsAArch64.h"
#include "llvm/IR/IntrinsicsX86.h"
#include "llvm/IR/Module.h"
#include "llvm/TargetParser/Triple.h"

namespace loom::codegen {
namespace {

// About 10 µs of pause instructions: a scan step's share of work on the other threads
// usually ends within that; past it, a waiting thread gives its core away.
constexpr int64_t kSpins = 2048;

llvm::Value* HeaderField(llvm::IRBuilder<>& b, llvm::Value* arena, size_t offset) {
  return b.CreateConstGEP1_64(b.getInt8Ty(), arena, static_cast<int64_t>(offset));
}

// The CPU's hint that this is a spin loop (x86 pause, AArch64 yield): the core slows the
// loop down and its sibling hyperthread gets the pipeline.
void EmitPause(llvm::IRBuilder<>& b, const llvm::Triple& triple) {
  if (triple.isX86()) {
    b.CreateIntrinsic(llvm::Intrinsic::x86_sse2_pause, {}, {});
  } else if (triple.isAArch64()) {
    b.CreateIntrinsic(llvm::Intrinsic::aarch64_hint, {}, {b.getInt32(1)});
  }
}

// Emits, at b's insertion point in f, a loop that loads the i64 at `at` (acquire) until
// done(loaded) holds: pause hints for kSpins looks, then sched_yield between looks. Leaves
// b in the block after the loop.
void EmitWaitUntil(llvm::IRBuilder<>& b, llvm::Function* f, const std::string& triple, llvm::Value* at,
                   const std::function<llvm::Value*(llvm::Value*)>& done) {
  llvm::LLVMContext& ctx = f->getContext();
  auto block = [&](const char* name) { return llvm::BasicBlock::Create(ctx, name, f); };
  llvm::BasicBlock *before = b.GetInsertBlock(), *look = block("look"), *keep_waiting = block("keep_waiting"),
                   *pause = block("pause"), *yield = block("yield"), *next = block("next"), *after = block("waited");
  b.CreateBr(look);
  b.SetInsertPoint(look);
  llvm::PHINode* spins = b.CreatePHI(b.getInt64Ty(), 2);
  spins->addIncoming(b.getInt64(0), before);
  llvm::LoadInst* now = b.CreateLoad(b.getInt64Ty(), at);
  now->setAtomic(llvm::AtomicOrdering::Acquire);
  now->setAlignment(llvm::Align(8));
  b.CreateCondBr(done(now), after, keep_waiting);
  b.SetInsertPoint(keep_waiting);
  b.CreateCondBr(b.CreateICmpSLT(spins, b.getInt64(kSpins)), pause, yield);
  b.SetInsertPoint(pause);
  EmitPause(b, llvm::Triple(triple));
  b.CreateBr(next);
  b.SetInsertPoint(yield);
  b.CreateCall(f->getParent()->getOrInsertFunction("sched_yield", b.getInt32Ty()));
  b.CreateBr(next);
  b.SetInsertPoint(next);
  spins->addIncoming(b.CreateAdd(spins, b.getInt64(1)), next);
  b.CreateBr(look);
  b.SetInsertPoint(after);
}

// void name(ptr, i64), internal, never inlined (one call per wait, not its loop at every one).
llvm::Function* WaitingFunction(llvm::Module& module, const char* name) {
  llvm::IRBuilder<> b(module.getContext());
  auto* f = llvm::Function::Create(llvm::FunctionType::get(b.getVoidTy(), {b.getPtrTy(), b.getInt64Ty()}, false),
                                   llvm::Function::InternalLinkage, name, module);
  f->addFnAttr(llvm::Attribute::NoUnwind);
  // Inlined at every barrier, the SentimentLSTM's training step took twice as long to
  // compile (1.06 s against 0.6).
  f->addFnAttr(llvm::Attribute::NoInline);
  return f;
}

}  // namespace

// A centralized barrier: arrivals count up; the last one resets the count and advances
// the generation, which the others wait to see change. Acquire-release on both, so the
// writes before the barrier on every thread are visible after it on every thread.
llvm::Function* BarrierFunction(llvm::Module& module, const std::string& triple) {
  if (llvm::Function* f = module.getFunction("loom.barrier")) return f;
  llvm::Function* f = WaitingFunction(module, "loom.barrier");
  llvm::LLVMContext& ctx = module.getContext();
  llvm::IRBuilder<> b(ctx);
  llvm::Value *lines = f->getArg(0), *threads = f->getArg(1);
  auto block = [&](const char* name) { return llvm::BasicBlock::Create(ctx, name, f); };
  llvm::BasicBlock *entry = block("entry"), *arrive = block("arrive"), *last = block("last"), *wait = block("wait"),
                   *done = block("done");
  b.SetInsertPoint(entry);
  b.CreateCondBr(b.CreateICmpSLE(threads, b.getInt64(1)), done, arrive);

  b.SetInsertPoint(arrive);
  llvm::Value* count = lines;
  llvm::Value* generation = HeaderField(b, lines, kBarrierBytes / 2);
  // The generation is read before arriving: once this thread has arrived, the last one
  // may advance it at any moment.
  llvm::LoadInst* seen = b.CreateLoad(b.getInt64Ty(), generation);
  seen->setAtomic(llvm::AtomicOrdering::Acquire);
  seen->setAlignment(llvm::Align(8));
  llvm::Value* before = b.CreateAtomicRMW(llvm::AtomicRMWInst::Add, count, b.getInt64(1), llvm::Align(8),
                                          llvm::AtomicOrdering::AcquireRelease);
  b.CreateCondBr(b.CreateICmpEQ(before, b.CreateSub(threads, b.getInt64(1))), last, wait);

  b.SetInsertPoint(last);
  b.CreateAlignedStore(b.getInt64(0), count, llvm::Align(8))->setAtomic(llvm::AtomicOrdering::Monotonic);
  b.CreateAlignedStore(b.CreateAdd(seen, b.getInt64(1)), generation, llvm::Align(8))
      ->setAtomic(llvm::AtomicOrdering::Release);
  b.CreateBr(done);

  b.SetInsertPoint(wait);
  EmitWaitUntil(b, f, triple, generation, [&](llvm::Value* now) { return b.CreateICmpNE(now, seen); });
  b.CreateBr(done);

  b.SetInsertPoint(done);
  b.CreateRetVoid();
  return f;
}

llvm::Function* WaitFunction(llvm::Module& module, const std::string& triple) {
  if (llvm::Function* f = module.getFunction("loom.wait")) return f;
  llvm::Function* f = WaitingFunction(module, "loom.wait");
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(module.getContext(), "entry", f));
  llvm::Value *count = f->getArg(0), *value = f->getArg(1);
  EmitWaitUntil(b, f, triple, count, [&](llvm::Value* now) { return b.CreateICmpSGE(now, value); });
  b.CreateRetVoid();
  return f;
}

void EmitEntry(llvm::Module& module, const std::string& symbol, llvm::Function* body, int arena_index, bool threaded) {
  llvm::LLVMContext& ctx = module.getContext();
  llvm::IRBuilder<> b(ctx);
  auto* f = llvm::Function::Create(llvm::FunctionType::get(b.getVoidTy(), {b.getPtrTy()}, false),
                                   llvm::Function::ExternalLinkage, symbol, module);
  f->addFnAttr(llvm::Attribute::NoUnwind);
  // Before its body in the module (and in --emit=llvm's text).
  module.getFunctionList().splice(body->getIterator(), module.getFunctionList(), f->getIterator());
  b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", f));
  llvm::Value* buffers = f->getArg(0);
  llvm::Value* arena = b.CreateLoad(b.getPtrTy(), b.CreateConstGEP1_64(b.getPtrTy(), buffers, arena_index));
  b.CreateStore(b.getInt64(0), HeaderField(b, arena, offsetof(ArenaHeader, op_code_plus_1)));  // no error yet
  if (!threaded) {
    b.CreateCall(body, {buffers, b.getInt64(0)});
    b.CreateRetVoid();
    return;
  }
  llvm::BasicBlock *launch = llvm::BasicBlock::Create(ctx, "launch", f),
                   *alone = llvm::BasicBlock::Create(ctx, "alone", f), *done = llvm::BasicBlock::Create(ctx, "done", f);
  llvm::Value* threads_at = HeaderField(b, arena, offsetof(ArenaHeader, threads));
  llvm::Value* threads = b.CreateLoad(b.getInt64Ty(), threads_at);
  llvm::Value* launcher = b.CreateLoad(b.getPtrTy(), HeaderField(b, arena, offsetof(ArenaHeader, launch)));
  b.CreateCondBr(b.CreateAnd(b.CreateICmpSGT(threads, b.getInt64(1)), b.CreateIsNotNull(launcher)), launch, alone);

  b.SetInsertPoint(launch);
  llvm::Value* context = b.CreateLoad(b.getPtrTy(), HeaderField(b, arena, offsetof(ArenaHeader, launch_context)));
  auto* launch_type =
      llvm::FunctionType::get(b.getVoidTy(), {b.getPtrTy(), b.getInt64Ty(), b.getPtrTy(), b.getPtrTy()}, false);
  b.CreateCall(launch_type, launcher, {context, threads, body, buffers});
  b.CreateBr(done);

  b.SetInsertPoint(alone);
  b.CreateStore(b.getInt64(1), threads_at);  // what the body's shares and barriers count
  b.CreateCall(body, {buffers, b.getInt64(0)});
  b.CreateBr(done);

  b.SetInsertPoint(done);
  b.CreateRetVoid();
}

}  // namespace loom::codegen
