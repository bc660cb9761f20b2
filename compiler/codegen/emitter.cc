#include "compiler/codegen/emitter.h"

#include <algorithm>
#include <cstddef>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "absl/strings/str_cat.h"
#include "compiler/codegen/gemm_emitter.h"
#include "compiler/codegen/loops.h"
#include "compiler/codegen/threads.h"
#include "ir/random_draws.h"
#include "ir/work.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/MDBuilder.h"
#include "llvm/IR/Module.h"
#include "support/status_macros.h"

namespace loom::codegen {
namespace {

using ir::OpCode;
using llvm::Value;
using Index = std::vector<Value*>;

int64_t Align64(int64_t n) { return (n + 63) / 64 * 64; }

class Emitter {
 public:
  Emitter(const ir::Module& module, llvm::LLVMContext& ctx, llvm::Module& out, const EmitOptions& options)
      : module_(module),
        ctx_(ctx),
        out_(out),
        b_(ctx),
        gemm_(out, options.registers),
        triple_(options.triple),
        always_threaded_(options.always_threaded) {}

  absl::Status EmitFunction(const ir::Function& fn, const std::string& symbol, BufferLayout* layout) {
    // The body every thread runs: void (void** buffers, i64 thread); EmitEntry wraps it.
    auto* fty = llvm::FunctionType::get(b_.getVoidTy(), {b_.getPtrTy(), b_.getInt64Ty()}, false);
    llvm::Function* f = llvm::Function::Create(fty, llvm::Function::InternalLinkage, symbol + ".thread", out_);
    f->addFnAttr(llvm::Attribute::NoUnwind);
    fn_ = f;
    b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", f));
    Value* buffers = f->getArg(0);
    thread_ = f->getArg(1);
    barrier_ = BarrierFunction(out_, triple_);
    int slot = 0;
    auto buffer = [&](int i) { return b_.CreateLoad(b_.getPtrTy(), b_.CreateConstGEP1_64(b_.getPtrTy(), buffers, i)); };
    for (ir::Value* a : fn.body().arguments()) {
      layout->inputs.push_back(a->type());
      ptr_[a] = buffer(slot++);
    }
    for (const ir::TensorType& t : fn.result_types()) {
      layout->outputs.push_back(t);
      outputs_.push_back(buffer(slot++));
    }
    for (const ir::Global& g : module_.globals()) {
      layout->globals.push_back(g.name);
      layout->global_types.push_back(g.type);
      globals_[g.name] = buffer(slot++);
    }
    scratch_ = buffer(slot++);
    for (const auto& op : fn.body().ops()) {
      if (op->code() == OpCode::kStore) layout->stored_globals.push_back(op->Attr<ir::SymbolRef>("global").name);
    }
    auto* threads =
        b_.CreateLoad(b_.getInt64Ty(), b_.CreateConstGEP1_64(b_.getInt8Ty(), scratch_, offsetof(ArenaHeader, threads)));
    run_threads_ = threads;
    buffers_end_ = threads;
    barrier_lines_ = llvm::IRBuilder<>(buffers_end_).CreateConstGEP1_64(b_.getInt8Ty(), scratch_, kAllThreadsBarrier);
    // A function with a wavefront (passes/wavefront.cc) is made of steps too small to
    // share: thread 0 runs everything but the wavefront's second scan, thread 1 that.
    for (const auto& op : fn.body().ops()) wavefront_ |= op->BoolAttr("wavefront") && op->BoolAttr("with_next");
    threads_ = wavefront_ ? I64(1) : threads;
    if (wavefront_) wait_ = WaitFunction(out_, triple_);
    // Loads must copy when their global is stored before they are last read.
    int index = 0;
    for (const auto& op : fn.body().ops()) {
      top_level_index_[op.get()] = index;
      if (op->code() == OpCode::kStore) first_store_.emplace(op->Attr<ir::SymbolRef>("global").name, index);
      ++index;
    }
    // What the function returns is computed straight into the caller's output buffers
    // (where its op writes a buffer of its own; the rest is copied at the return).
    const ir::Op& ret = *fn.body().terminator();
    for (int i = 0; i < ret.num_operands(); ++i) preassigned_.emplace(ret.operand(i), outputs_[i]);
    UpdateInPlace(fn);
    PackParameters(fn, layout);
    RETURN_IF_ERROR(EmitBlock(fn.body()));
    WaitForSums(nullptr);
    // This run's update made the packed copies stale: the next run remakes them.
    for (const auto& [key, pack] : parameter_packs_) {
      if (!first_store_.count(key.global)) continue;
      Serial();
      Store(DType::kI64, scratch_, I64(kPackedVersion), I64(0));
    }
    EndSerial();
    b_.CreateRetVoid();
    layout->scratch_bytes = scratch_bytes_;
    layout->threaded = always_threaded_ || wavefront_ || (barriers_ > 0 && work_ >= kWorkPerBarrier * barriers_);
    if (!layout->threaded) {
      // One thread: the shares are whole, thread 0's code unconditional, the barriers
      // gone once LLVM folds the constants — the code a serial compiler would make.
      thread_->replaceAllUsesWith(I64(0));
      threads->replaceAllUsesWith(I64(1));
      threads->eraseFromParent();
      std::vector<llvm::CallInst*> barriers;
      for (llvm::User* u : barrier_->users()) {
        auto* call = llvm::dyn_cast<llvm::CallInst>(u);
        if (call != nullptr && call->getFunction() == f) barriers.push_back(call);
      }
      for (llvm::CallInst* call : barriers) call->eraseFromParent();
      if (barrier_->use_empty()) barrier_->eraseFromParent();
    }
    EmitEntry(out_, symbol, f, slot - 1, layout->threaded);
    return absl::OkStatus();
  }

 private:
  // A weight packed for one panel width: a value of the function (a scan invariant), or
  // a parameter by name (kept packed between runs).
  struct PackedKey {
    const ir::Value* value;
    std::string global;
    bool transposed;
    int64_t nr;
    bool operator<(const PackedKey& o) const {
      return std::tie(value, global, transposed, nr) < std::tie(o.value, o.global, o.transposed, o.nr);
    }
  };
  // Element indices of ArenaHeader's versions, as i64s.
  static constexpr int64_t kParamsVersion = offsetof(ArenaHeader, params_version) / 8;
  static constexpr int64_t kPackedVersion = offsetof(ArenaHeader, packed_version) / 8;

  // ---- Types, memory, loops ----
  llvm::Type* Elem(DType d) {
    switch (d) {
      case DType::kF32: return b_.getFloatTy();
      case DType::kF64: return b_.getDoubleTy();
      case DType::kI32: return b_.getInt32Ty();
      case DType::kI64: return b_.getInt64Ty();
      case DType::kI1: return b_.getInt8Ty();  // bools are bytes in memory
    }
    return b_.getFloatTy();
  }
  Value* I64(int64_t v) { return b_.getInt64(v); }
  // The arena plan: a buffer is taken from the free list (first fit) when its value is
  // defined and given back after the value's last use; scratch_bytes_ is the high water.
  struct Slot {
    int64_t offset, bytes;
  };
  Value* Alloc(const ir::TensorType& t) {
    return AllocBytes(std::max<int64_t>(1, t.num_elements()) * DTypeSize(t.dtype));
  }
  Value* AllocBytes(int64_t size) {
    int64_t bytes = Align64(size);
    int64_t offset = -1;
    for (auto it = free_.begin(); it != free_.end(); ++it) {
      if (it->bytes < bytes) continue;
      offset = it->offset;
      it->offset += bytes;
      it->bytes -= bytes;
      if (it->bytes == 0) free_.erase(it);
      break;
    }
    if (offset < 0) {
      offset = scratch_bytes_;
      // Saturated: an arena beyond int64 is refused by its size check, never wrapped.
      if (__builtin_add_overflow(scratch_bytes_, bytes, &scratch_bytes_)) scratch_bytes_ = INT64_MAX;
    }
    // In the entry block, so that every thread has the pointer wherever it is made (in
    // thread 0's code, say).
    Value* p = llvm::IRBuilder<>(buffers_end_).CreateConstGEP1_64(b_.getInt8Ty(), scratch_, offset);
    slots_[p] = {offset, bytes};
    return p;
  }
  // A buffer freed since the last barrier is free after the next: a thread may still be
  // reading it (thread 0 in its serial code, say), and the op that would reuse it may
  // run without a barrier (Parallel).
  void FreeSlot(Value* p) {
    if (defer_frees_) return deferred_frees_.push_back(p);
    if (written_ || serial_end_ != nullptr) return phase_frees_.push_back(p);
    ReturnSlot(p);
  }
  void ReturnSlot(Value* p) {
    Slot s = slots_.at(p);
    auto it = std::lower_bound(free_.begin(), free_.end(), s.offset,
                               [](const Slot& a, int64_t off) { return a.offset < off; });
    it = free_.insert(it, s);
    // Merge with the neighbours.
    if (it + 1 != free_.end() && it->offset + it->bytes == (it + 1)->offset) {
      it->bytes += (it + 1)->bytes;
      free_.erase(it + 1);
    }
    if (it != free_.begin() && (it - 1)->offset + (it - 1)->bytes == it->offset) {
      (it - 1)->bytes += it->bytes;
      free_.erase(it);
    }
  }
  // Values share an arena buffer when one aliases another (reshape): count its holders.
  // Where op result v is written: the next-carry buffer when a scan body yields v as a
  // carry (so carries cost no copy per step), else a fresh arena buffer.
  Value* Dest(const ir::Value* v) {
    auto it = preassigned_.find(v);
    return it != preassigned_.end() ? it->second : Alloc(v->type());
  }

  // Only op results hold buffers; block arguments point into their parent's values.
  void Hold(const ir::Value* v) {
    auto it = ptr_.find(v);
    if (it == ptr_.end() || !slots_.count(Whole(it->second))) return;
    ++holders_[Whole(it->second)];
    held_.insert(v);
  }
  void Release(const ir::Value* v) {
    if (!held_.erase(v)) return;
    Value* p = Whole(ptr_.at(v));
    if (--holders_[p] == 0) FreeSlot(p);
  }
  // The arena buffer `p` points into: itself, or the bucket of an all_reduce (its results
  // are parts of one buffer, free when the last is).
  Value* Whole(Value* p) {
    auto it = part_of_.find(p);
    return it == part_of_.end() ? p : it->second;
  }
  int64_t Bytes(const ir::TensorType& t) { return t.num_elements() * DTypeSize(t.dtype); }
  Value* Load(DType d, Value* base, Value* index) {
    llvm::LoadInst* load = b_.CreateLoad(Elem(d), b_.CreateGEP(Elem(d), base, index));
    if (written_scope_ && !updated_in_place_.count(base))
      load->setMetadata(llvm::LLVMContext::MD_noalias, written_scope_);
    return d == DType::kI1 ? b_.CreateICmpNE(load, b_.getInt8(0)) : static_cast<Value*>(load);
  }
  void Store(DType d, Value* base, Value* index, Value* v) {
    if (d == DType::kI1) v = b_.CreateZExt(v, b_.getInt8Ty());
    llvm::StoreInst* store = b_.CreateStore(v, b_.CreateGEP(Elem(d), base, index));
    if (written_scope_) store->setMetadata(llvm::LLVMContext::MD_alias_scope, written_scope_);
  }
  void Copy(Value* dst, Value* src, int64_t bytes) {
    if (bytes > 0) b_.CreateMemCpy(dst, llvm::MaybeAlign(1), src, llvm::MaybeAlign(1), bytes);
  }

  // for (i = 0; i < n; ++i) body(i)
  void For(Value* n, const std::function<void(Value*)>& body, int interleave = 0) {
    EmitFor(b_, I64(0), n, body, interleave);
  }
  // Nested loops over `shape`, innermost last (contiguous).
  void ForShape(const Shape& shape, const std::function<void(const Index&)>& body, Index idx = {}, int interleave = 0) {
    if (idx.size() == shape.size()) return body(idx);
    For(
        I64(shape[idx.size()]),
        [&](Value* i) {
          Index next = idx;
          next.push_back(i);
          ForShape(shape, body, next, interleave);
        },
        idx.size() + 1 == shape.size() ? interleave : 0);
  }
  // ---- Threads (threads.h) ----
  // Code that thread 0 alone runs: opens an `if (thread == 0)` block, or continues the
  // open one (consecutive serial ops need no barrier between them).
  void Serial() {
    Writes();
    if (serial_end_ != nullptr) return;
    Sync();
    llvm::BasicBlock* only = llvm::BasicBlock::Create(ctx_, "thread0", fn_);
    serial_end_ = llvm::BasicBlock::Create(ctx_, "thread0.end", fn_);
    b_.CreateCondBr(b_.CreateICmpEQ(thread_, I64(0)), only, serial_end_);
    b_.SetInsertPoint(only);
  }
  void EndSerial() {
    if (serial_end_ == nullptr) return;
    b_.CreateBr(serial_end_);
    b_.SetInsertPoint(serial_end_);
    serial_end_ = nullptr;
    written_ = true;
  }
  // Code every thread runs, each its share (Share): after a barrier, when anything was
  // written since the last one — unless the op being emitted (tracked_op_) has written
  // nothing yet and reads nothing written since: its results go to buffers of its own
  // (frees wait for the barrier), so it may run beside the ops before it (the slices of
  // a product, the bias gradient's sum beside the product reading the same gates).
  void Parallel() {
    EndSerial();
    if (tracked_op_ != nullptr && !op_wrote_ && !untracked_ && !ReadsDirty(*tracked_op_)) return;
    Sync();
  }
  bool ReadsDirty(const ir::Op& op) {
    for (ir::Value* v : op.operands()) {
      if (dirty_.count(P(v))) return true;
    }
    if (auto it = pending_.find(&op); it != pending_.end()) {
      for (const DeferredProduct& d : it->second) {
        if (dirty_.count(d.a) || dirty_.count(d.b)) return true;
      }
    }
    return false;
  }
  // Code that writes follows: the tracked op's (into its results), or code no tracked op
  // runs, whose writes dirty_ cannot name.
  void Writes() {
    if (tracked_op_ != nullptr) {
      op_wrote_ = true;
    } else {
      untracked_ = true;
    }
  }
  // Between two steps of one op: what every thread wrote is read by what follows.
  void Between() {
    if (serial_end_ != nullptr) return;
    written_ = true;
    Sync();
  }
  void Sync() {
    if (!written_) return;
    // Not in a wavefront's code: each thread alone in its part.
    if (auto* one = llvm::dyn_cast<llvm::ConstantInt>(threads_); one == nullptr || !one->isOne()) {
      barriers_ += trip_;
      b_.CreateCall(barrier_, {barrier_lines_, threads_});
    }
    Passed();
  }
  // After a barrier: nothing is pending.
  void Passed() {
    written_ = false;
    untracked_ = false;
    dirty_.clear();
    for (Value* p : phase_frees_) ReturnSlot(p);
    phase_frees_.clear();
  }
  // This thread's part [begin, end) of [0, n), in whole multiples of `grain`: the same
  // part on every call, so that a thread works on the same columns at every step. The
  // caller writes its part: the next op waits for it.
  struct Range {
    Value *begin, *end;
  };
  Range Share(int64_t n, int64_t grain) {
    Writes();
    if (wavefront_) Serial();
    if (serial_end_ != nullptr) return {I64(0), I64(n)};
    written_ = true;
    int64_t units = (n + grain - 1) / grain;
    auto bound = [&](Value* thread) {
      Value* unit = b_.CreateUDiv(b_.CreateMul(I64(units), thread), threads_);
      return b_.CreateBinaryIntrinsic(llvm::Intrinsic::umin, b_.CreateMul(unit, I64(grain)), I64(n));
    };
    return {bound(thread_), bound(b_.CreateAdd(thread_, I64(1)))};
  }
  // ForShape over this thread's share of the outermost dimension of `shape` longer than
  // one (all of it in thread 0's serial code): a batch of one shares its [1, H] cell
  // loop by columns. A flat loop is split at multiples of 64 elements, so that each
  // element is computed by the same vector code (or the same scalar remainder) whatever
  // the thread count.
  void ForShare(const Shape& shape, const std::function<void(const Index&)>& body, int interleave = 0) {
    if (shape.empty()) Serial();
    if (serial_end_ != nullptr) return ForShape(shape, body, {}, interleave);
    size_t dim = 0;
    while (dim + 1 < shape.size() && shape[dim] == 1) ++dim;
    bool flat = dim + 1 == shape.size();
    Range share = Share(shape[dim], flat ? 64 : 1);
    EmitFor(
        b_, share.begin, share.end,
        [&](Value* i) {
          Index idx(dim, I64(0));
          idx.push_back(i);
          ForShape(shape, body, idx, interleave);
        },
        flat ? interleave : 0);
  }

  // ForShape with dimension `dim` limited to [begin, end).
  void ForShapeRange(const Shape& shape, size_t dim, Value* begin, Value* end,
                     const std::function<void(const Index&)>& body, Index idx = {}) {
    if (idx.size() == shape.size()) return body(idx);
    bool split = idx.size() == dim;
    EmitFor(b_, split ? begin : I64(0), split ? end : I64(shape[idx.size()]), [&](Value* i) {
      Index next = idx;
      next.push_back(i);
      ForShapeRange(shape, dim, begin, end, body, next);
    });
  }
  // A copy of `bytes` bytes: shared by the threads when large, else on thread 0 (small
  // copies in a row then share one barrier).
  void CopyOp(Value* dst, Value* src, int64_t bytes) {
    if (bytes < kSharedCopyBytes && !always_threaded_) {
      Serial();
      return Copy(dst, src, bytes);
    }
    Parallel();
    SharedCopy(dst, src, bytes);
  }
  // This thread's share of a copy, by bytes.
  void SharedCopy(Value* dst, Value* src, int64_t bytes) {
    Range share = Share(bytes, 64);
    b_.CreateMemCpy(b_.CreateGEP(b_.getInt8Ty(), dst, share.begin), llvm::MaybeAlign(1),
                    b_.CreateGEP(b_.getInt8Ty(), src, share.begin), llvm::MaybeAlign(1),
                    b_.CreateSub(share.end, share.begin));
  }
  static constexpr int64_t kSharedCopyBytes = 64 << 10;

  // sum idx[d] * strides[d] + base
  Value* Offset(const Index& idx, const std::vector<int64_t>& strides, int64_t base = 0) {
    Value* off = I64(base);
    for (size_t d = 0; d < idx.size(); ++d) {
      if (strides[d] != 0) off = b_.CreateAdd(off, b_.CreateMul(idx[d], I64(strides[d])));
    }
    return off;
  }
  Value* Linear(const Index& idx, const Shape& shape) { return Offset(idx, Strides(shape)); }

  // ---- Scalars ----
  Value* FConst(DType d, double v) { return llvm::ConstantFP::get(Elem(d), v); }
  Value* Zero(DType d) {
    return IsFloat(d) ? FConst(d, 0) : d == DType::kI1 ? b_.getFalse() : llvm::ConstantInt::get(Elem(d), 0);
  }
  Value* Intrinsic(llvm::Intrinsic::ID id, Value* x) { return b_.CreateIntrinsic(id, {x->getType()}, {x}); }

  Value* Cast(Value* x, DType from, DType to) {
    if (from == to) return x;
    if (to == DType::kI1) return IsFloat(from) ? b_.CreateFCmpUNE(x, FConst(from, 0)) : b_.CreateICmpNE(x, Zero(from));
    if (from == DType::kI1) return IsFloat(to) ? b_.CreateUIToFP(x, Elem(to)) : b_.CreateZExt(x, Elem(to));
    if (IsFloat(from) && IsFloat(to)) return b_.CreateFPCast(x, Elem(to));
    if (IsFloat(from)) return b_.CreateIntrinsic(llvm::Intrinsic::fptosi_sat, {Elem(to), x->getType()}, {x});
    if (IsFloat(to)) return b_.CreateSIToFP(x, Elem(to));
    return b_.CreateSExtOrTrunc(x, Elem(to));
  }

  absl::StatusOr<Value*> Scalar(const ir::Op& op, const std::vector<Value*>& x) {
    DType d = op.operand(0)->type().dtype;
    bool fp = IsFloat(d);
    switch (op.code()) {
      case OpCode::kNeg: return fp ? b_.CreateFNeg(x[0]) : b_.CreateSub(Zero(d), x[0]);
      case OpCode::kAbs:
        return fp ? Intrinsic(llvm::Intrinsic::fabs, x[0])
                  : b_.CreateSelect(b_.CreateICmpSLT(x[0], Zero(d)), b_.CreateSub(Zero(d), x[0]), x[0]);
      case OpCode::kRelu:  // x < 0 ? 0 : x, so NaN passes through
        return b_.CreateSelect(fp ? b_.CreateFCmpOLT(x[0], Zero(d)) : b_.CreateICmpSLT(x[0], Zero(d)), Zero(d), x[0]);
      // f32 transcendentals are polynomials in IR (vector_math below) so loops vectorize;
      // f64 (the precision of gradient checks) keeps libm.
      case OpCode::kExp: return d == DType::kF32 ? ExpF32(x[0]) : Intrinsic(llvm::Intrinsic::exp, x[0]);
      case OpCode::kLog: return d == DType::kF32 ? LogF32(x[0]) : Intrinsic(llvm::Intrinsic::log, x[0]);
      case OpCode::kTanh: return d == DType::kF32 ? TanhF32(x[0]) : Intrinsic(llvm::Intrinsic::tanh, x[0]);
      case OpCode::kSigmoid: {
        Value* e =
            d == DType::kF32 ? ExpF32(b_.CreateFNeg(x[0])) : Intrinsic(llvm::Intrinsic::exp, b_.CreateFNeg(x[0]));
        return b_.CreateFDiv(FConst(d, 1), b_.CreateFAdd(FConst(d, 1), e));
      }
      case OpCode::kSqrt: return Intrinsic(llvm::Intrinsic::sqrt, x[0]);
      case OpCode::kRsqrt: return b_.CreateFDiv(FConst(d, 1), Intrinsic(llvm::Intrinsic::sqrt, x[0]));
      case OpCode::kCast: return Cast(x[0], d, op.Attr<DType>("dtype"));
      case OpCode::kStopGradient: return x[0];
      case OpCode::kAdd: return fp ? b_.CreateFAdd(x[0], x[1]) : b_.CreateAdd(x[0], x[1]);
      case OpCode::kSub: return fp ? b_.CreateFSub(x[0], x[1]) : b_.CreateSub(x[0], x[1]);
      case OpCode::kMul: return fp ? b_.CreateFMul(x[0], x[1]) : b_.CreateMul(x[0], x[1]);
      case OpCode::kDiv: {
        if (fp) return b_.CreateFDiv(x[0], x[1]);
        // As the interpreter: min / -1 wraps; division by zero is an error (the result 0).
        Value* zero = b_.CreateICmpEQ(x[1], Zero(d));
        RecordError(zero, op, b_.CreateSExtOrTrunc(x[0], b_.getInt64Ty()), I64(0));
        Value* minus1 = b_.CreateICmpEQ(x[1], llvm::ConstantInt::get(Elem(d), -1, true));
        Value* safe = b_.CreateSelect(b_.CreateOr(zero, minus1), llvm::ConstantInt::get(Elem(d), 1), x[1]);
        Value* q = b_.CreateSDiv(x[0], safe);
        return b_.CreateSelect(zero, Zero(d), b_.CreateSelect(minus1, b_.CreateSub(Zero(d), x[0]), q));
      }
      case OpCode::kMax:
      case OpCode::kMin: {
        bool max = op.code() == OpCode::kMax;
        if (!fp) {
          Value* first = max ? b_.CreateICmpSGE(x[0], x[1]) : b_.CreateICmpSLE(x[0], x[1]);
          return b_.CreateSelect(first, x[0], x[1]);
        }
        Value* first = max ? b_.CreateFCmpOGE(x[0], x[1]) : b_.CreateFCmpOLE(x[0], x[1]);
        Value* pick = b_.CreateSelect(first, x[0], x[1]);
        Value* pick_b_nan = b_.CreateSelect(b_.CreateFCmpUNO(x[1], x[1]), x[1], pick);
        return b_.CreateSelect(b_.CreateFCmpUNO(x[0], x[0]), x[0], pick_b_nan);  // NaN wins
      }
      case OpCode::kPow: return b_.CreateIntrinsic(llvm::Intrinsic::pow, {x[0]->getType()}, {x[0], x[1]});
      case OpCode::kCompare: {
        const std::string& dir = op.Attr<std::string>("direction");
        if (fp) {
          return dir == "eq"   ? b_.CreateFCmpOEQ(x[0], x[1])
                 : dir == "ne" ? b_.CreateFCmpUNE(x[0], x[1])
                 : dir == "lt" ? b_.CreateFCmpOLT(x[0], x[1])
                 : dir == "le" ? b_.CreateFCmpOLE(x[0], x[1])
                 : dir == "gt" ? b_.CreateFCmpOGT(x[0], x[1])
                               : b_.CreateFCmpOGE(x[0], x[1]);
        }
        bool u = d == DType::kI1;  // false < true
        return dir == "eq"   ? b_.CreateICmpEQ(x[0], x[1])
               : dir == "ne" ? b_.CreateICmpNE(x[0], x[1])
               : dir == "lt" ? (u ? b_.CreateICmpULT(x[0], x[1]) : b_.CreateICmpSLT(x[0], x[1]))
               : dir == "le" ? (u ? b_.CreateICmpULE(x[0], x[1]) : b_.CreateICmpSLE(x[0], x[1]))
               : dir == "gt" ? (u ? b_.CreateICmpUGT(x[0], x[1]) : b_.CreateICmpSGT(x[0], x[1]))
                             : (u ? b_.CreateICmpUGE(x[0], x[1]) : b_.CreateICmpSGE(x[0], x[1]));
      }
      case OpCode::kSelect: return b_.CreateSelect(x[0], x[1], x[2]);
      // Not elementwise: EmitOp emits them whole.
      case OpCode::kMatmul:
      case OpCode::kReduceSum:
      case OpCode::kReduceMax:
      case OpCode::kReshape:
      case OpCode::kTranspose:
      case OpCode::kBroadcastInDim:
      case OpCode::kConcat:
      case OpCode::kSlice:
      case OpCode::kPad:
      case OpCode::kGather:
      case OpCode::kScatterAdd:
      case OpCode::kOneHot:
      case OpCode::kIota:
      case OpCode::kConstant:
      case OpCode::kRandomUniform:
      case OpCode::kBernoulli:
      case OpCode::kLoad:
      case OpCode::kStore:
      case OpCode::kAllReduce:
      case OpCode::kScan:
      case OpCode::kFusion:
      case OpCode::kYield:
      case OpCode::kReturn: break;
    }
    return absl::InternalError(absl::StrCat("'", op.name(), "' is not elementwise"));
  }

  // ---- Vector math: Cephes' single-precision polynomials, branch-free ----
  // Multiply-adds are llvm.fmuladd: one FMA instruction where the target has them (more
  // accurate, and half the instructions), a multiply and an add where it has not.
  Value* F(double v) { return FConst(DType::kF32, v); }
  Value* Fma(Value* a, Value* b, Value* c) {
    return b_.CreateIntrinsic(llvm::Intrinsic::fmuladd, {a->getType()}, {a, b, c});
  }
  Value* Poly(Value* x, std::initializer_list<double> coefficients) {  // highest degree first
    Value* y = nullptr;
    for (double c : coefficients) y = y ? Fma(y, x, F(c)) : F(c);
    return y;
  }
  // y·2^n for an integer-valued float n in [-254, 254]: two exponent-field scalings, so
  // neither factor overflows or underflows on the way.
  Value* ScaleByPow2(Value* y, Value* n) {
    Value* ni = b_.CreateFPToSI(n, b_.getInt32Ty());
    Value* n1 = b_.CreateAShr(ni, 1);
    Value* n2 = b_.CreateSub(ni, n1);
    auto scale = [&](Value* k) {
      return b_.CreateBitCast(b_.CreateShl(b_.CreateAdd(k, b_.getInt32(127)), 23), b_.getFloatTy());
    };
    return b_.CreateFMul(b_.CreateFMul(y, scale(n1)), scale(n2));
  }
  Value* ExpF32(Value* x) {
    Value* c = b_.CreateMinNum(b_.CreateMaxNum(x, F(-104.0)), F(88.72283935546875));
    Value* n = Intrinsic(llvm::Intrinsic::floor, Fma(c, F(1.44269504088896341), F(0.5)));
    Value* r = Fma(n, F(2.12194440e-4), Fma(n, F(-0.693359375), c));  // c - n·ln 2, in two parts
    Value* z = b_.CreateFMul(r, r);
    Value* p =
        Poly(r, {1.9875691500E-4, 1.3981999507E-3, 8.3334519073E-3, 4.1665795894E-2, 1.6666665459E-1, 5.0000001201E-1});
    Value* y = b_.CreateFAdd(Fma(p, z, r), F(1));
    Value* e = ScaleByPow2(y, n);
    Value* inf = F(std::numeric_limits<float>::infinity());
    e = b_.CreateSelect(b_.CreateFCmpOGT(x, F(88.72283935546875)), inf, e);
    e = b_.CreateSelect(b_.CreateFCmpOLT(x, F(-104.0)), F(0), e);
    return b_.CreateSelect(b_.CreateFCmpUNO(x, x), x, e);
  }
  Value* LogF32(Value* x) {
    // Subnormals are scaled into the normal range first.
    Value* tiny = b_.CreateFCmpOLT(x, F(1.17549435e-38));
    Value* xs = b_.CreateSelect(tiny, b_.CreateFMul(x, F(8388608.0)), x);
    Value* bits = b_.CreateBitCast(xs, b_.getInt32Ty());
    Value* e = b_.CreateSIToFP(b_.CreateSub(b_.CreateLShr(bits, 23), b_.getInt32(126)), b_.getFloatTy());
    e = b_.CreateSelect(tiny, b_.CreateFSub(e, F(23)), e);
    Value* m = b_.CreateBitCast(b_.CreateOr(b_.CreateAnd(bits, b_.getInt32(0x007fffff)), b_.getInt32(0x3f000000)),
                                b_.getFloatTy());  // in [0.5, 1)
    Value* low = b_.CreateFCmpOLT(m, F(0.707106781186547524));
    e = b_.CreateSelect(low, b_.CreateFSub(e, F(1)), e);
    Value* t = b_.CreateFSub(b_.CreateSelect(low, b_.CreateFAdd(m, m), m), F(1));
    Value* z = b_.CreateFMul(t, t);
    Value* y = b_.CreateFMul(
        b_.CreateFMul(Poly(t, {7.0376836292E-2, -1.1514610310E-1, 1.1676998740E-1, -1.2420140846E-1, 1.4249322787E-1,
                               -1.6668057665E-1, 2.0000714765E-1, -2.4999993993E-1, 3.3333331174E-1}),
                      t),
        z);
    y = Fma(e, F(-2.12194440e-4), y);
    y = Fma(z, F(-0.5), y);
    Value* r = Fma(e, F(0.693359375), b_.CreateFAdd(t, y));
    Value* inf = F(std::numeric_limits<float>::infinity());
    r = b_.CreateSelect(b_.CreateFCmpOEQ(x, inf), inf, r);
    r = b_.CreateSelect(b_.CreateFCmpOEQ(x, F(0)), F(-std::numeric_limits<float>::infinity()), r);
    return b_.CreateSelect(b_.CreateFCmpULT(x, F(0)), F(std::numeric_limits<float>::quiet_NaN()), r);  // NaN too
  }
  Value* TanhF32(Value* x) {
    Value* a = Intrinsic(llvm::Intrinsic::fabs, x);
    // |x| > 0.625: 1 - 2/(e^{2|x|} + 1); below, an odd polynomial keeps the relative error small.
    Value* big = b_.CreateFSub(F(1), b_.CreateFDiv(F(2), b_.CreateFAdd(ExpF32(b_.CreateFAdd(a, a)), F(1))));
    big = b_.CreateCopySign(big, x);
    Value* z = b_.CreateFMul(x, x);
    Value* small = Fma(
        b_.CreateFMul(
            Poly(z, {-5.70498872745E-3, 2.06390887954E-2, -5.37397155531E-2, 1.33314422036E-1, -3.33332819422E-1}), z),
        x, x);
    Value* r = b_.CreateSelect(b_.CreateFCmpOGT(a, F(0.625)), big, small);
    r = b_.CreateSelect(b_.CreateFCmpOEQ(x, F(0)), x, r);  // keeps the sign of zero
    return b_.CreateSelect(b_.CreateFCmpUNO(x, x), x, r);
  }

  // ---- Philox4x32-10, as support/philox.h ----
  std::pair<Value*, Value*> RandomBits(int64_t seed, Value* counter, Value* index) {
    auto lo = [&](Value* v) { return b_.CreateTrunc(v, b_.getInt32Ty()); };
    auto hi = [&](Value* v) { return b_.CreateTrunc(b_.CreateLShr(v, 32), b_.getInt32Ty()); };
    Value* c[4] = {lo(index), hi(index), lo(counter), hi(counter)};
    Value* k0 = b_.getInt32(static_cast<uint32_t>(seed));
    Value* k1 = b_.getInt32(static_cast<uint32_t>(static_cast<uint64_t>(seed) >> 32));
    for (int round = 0; round < 10; ++round) {
      Value* p0 = b_.CreateMul(b_.CreateZExt(c[0], b_.getInt64Ty()), I64(0xD2511F53));
      Value* p1 = b_.CreateMul(b_.CreateZExt(c[2], b_.getInt64Ty()), I64(0xCD9E8D57));
      Value* n0 = b_.CreateXor(b_.CreateXor(hi(p1), c[1]), k0);
      Value* n1 = lo(p1);
      Value* n2 = b_.CreateXor(b_.CreateXor(hi(p0), c[3]), k1);
      Value* n3 = lo(p0);
      c[0] = n0, c[1] = n1, c[2] = n2, c[3] = n3;
      k0 = b_.CreateAdd(k0, b_.getInt32(0x9E3779B9));
      k1 = b_.CreateAdd(k1, b_.getInt32(0xBB67AE85));
    }
    return {c[0], c[1]};
  }

  // ---- Blocks and ops ----
  absl::Status EmitBlock(const ir::Block& block) {
    // Regions are isolated, so a value's last use is among this block's own ops.
    std::unordered_map<const ir::Value*, int> last_use;
    std::unordered_map<const ir::Op*, int> position;
    int index = 0;
    for (const auto& op : block.ops()) {
      for (ir::Value* v : op->operands()) last_use[v] = index;
      position[op.get()] = index++;
    }
    // A product a fused loop takes panel by panel is computed there: its operands live
    // until then.
    std::unordered_map<int, std::vector<const ir::Value*>> released_at;
    for (const auto& op : block.ops()) {
      std::optional<Epilogue> e = EpilogueOf(*op);
      if (!e) continue;
      epilogue_[op.get()] = *e;
      int at = position.at(e->fusion);
      for (ir::Value* v : op->operands()) {
        last_use[v] = std::max(last_use[v], at);
        released_at[at].push_back(v);
      }
    }
    index = 0;
    for (auto it = block.ops().begin(); it != block.ops().end(); ++it) {
      const std::unique_ptr<ir::Op>& op = *it;
      WaitForSums(*op);
      if (op->code() == OpCode::kReturn) {
        for (int i = 0; i < op->num_operands(); ++i) {
          Value* result = ptr_.at(op->operand(i));
          if (result != outputs_[i]) CopyOp(outputs_[i], result, Bytes(op->operand(i)->type()));
        }
      } else if (op->code() != OpCode::kYield) {  // the scan emitter copies what is yielded
        const ir::Op* next = std::next(it) != block.ops().end() ? std::next(it)->get() : nullptr;
        absl::Status s = op.get() == beside_ ? absl::OkStatus()  // emitted with the op before it
                         : op->BoolAttr("with_next") && next != nullptr && next->code() == op->code()
                             ? (op->BoolAttr("wavefront") && wavefront_ ? Wavefront(*op, *next) : Beside(*op, *next))
                             : EmitOp(*op);
        if (!s.ok()) return ir::ErrorAt(op->loc(), s.message());
        for (ir::Value* r : op->results()) {
          Hold(r);
          if (!r->has_uses()) Release(r);
        }
      }
      // A yielded value's buffer is released here, but nothing is allocated before the
      // scan emitter copies it out, so its bytes are still there.
      std::unordered_set<const ir::Value*> seen;
      std::vector<const ir::Value*> read(op->operands().begin(), op->operands().end());
      if (auto it = released_at.find(index); it != released_at.end())
        read.insert(read.end(), it->second.begin(), it->second.end());
      for (const ir::Value* v : read) {
        if (seen.insert(v).second && last_use.at(v) == index) Release(v);
      }
      ++index;
    }
    return absl::OkStatus();
  }

  Value* P(const ir::Value* v) { return ptr_.at(v); }

  // One loop over the elements, Scalar's code in its body.
  absl::Status Elementwise(const ir::Op& op) {
    const ir::TensorType& out = op.result(0)->type();
    Value* dst = Dest(op.result(0));
    absl::Status status;
    ForShare({out.num_elements()}, [&](const Index& idx) {
      Value* i = idx[0];
      std::vector<Value*> x;
      for (ir::Value* v : op.operands()) x.push_back(Load(v->type().dtype, P(v), i));
      absl::StatusOr<Value*> r = Scalar(op, x);
      if (!r.ok()) {
        status = r.status();
        return;
      }
      Store(out.dtype, dst, i, *r);
    });
    ptr_[op.result(0)] = dst;
    return status;
  }

  // Which threads run an op: all, each its share of the elements (written so that an
  // element's value does not depend on which thread computes it); thread 0 alone (ops
  // whose loops accumulate, or record errors, whose first occurrence must be the
  // serial run's); or as the op's emitter decides.
  enum class Threads { kShare, kSerial, kOwn };
  static Threads ThreadsOf(const ir::Op& op) {
    switch (op.code()) {
      case OpCode::kReshape:
      case OpCode::kConstant:
      case OpCode::kYield:
      case OpCode::kReturn:
      case OpCode::kLoad:
      case OpCode::kStore:
      case OpCode::kMatmul:
      case OpCode::kAllReduce:
      case OpCode::kScan: return Threads::kOwn;
      case OpCode::kFusion:
      case OpCode::kRandomUniform:
      case OpCode::kBernoulli:
      case OpCode::kTranspose:
      case OpCode::kBroadcastInDim:
      case OpCode::kSlice:
      case OpCode::kConcat:
      case OpCode::kPad:
      case OpCode::kIota:
      case OpCode::kReduceSum:
      case OpCode::kReduceMax:
      case OpCode::kGather:
      case OpCode::kScatterAdd: return RecordsErrors(op) ? Threads::kSerial : Threads::kShare;
      default: return op.info().has(ir::kElementwise) && !RecordsErrors(op) ? Threads::kShare : Threads::kSerial;
    }
  }
  bool IsSmall(const ir::Op& op) const {
    return !always_threaded_ && trip_ == 1 && ir::WorkOf(op) < kSmallWork && !pending_.count(&op);
  }
  static bool RecordsErrors(const ir::Op& op) {
    if (op.code() == OpCode::kDiv && !IsFloat(op.result(0)->type().dtype)) return true;
    if (op.code() != OpCode::kFusion) return false;
    for (const auto& inner : op.region()->ops()) {
      if (RecordsErrors(*inner)) return true;
    }
    return false;
  }

  // An op whose only writes are its results, into buffers no other op of this phase
  // touches — its own, a scan's next carry or step slot, the caller's output; not a
  // parameter it updates in place, which others may still read — is tracked: the first
  // barrier it would pass is skipped when it reads nothing written since the last
  // (Parallel), and its results count as written.
  absl::Status EmitOp(const ir::Op& op) {
    bool tracked = ThreadsOf(op) != Threads::kOwn || op.code() == OpCode::kMatmul;
    for (ir::Value* r : op.results()) {
      auto it = preassigned_.find(r);
      for (const auto& [name, global] : globals_) tracked &= it == preassigned_.end() || it->second != global;
    }
    tracked_op_ = tracked ? &op : nullptr;
    op_wrote_ = false;
    absl::Status status = EmitOpCode(op);
    tracked_op_ = nullptr;
    if (tracked) {
      for (ir::Value* r : op.results()) dirty_.insert(P(r));
    }
    return status;
  }

  // Every op has a case and there is no default: -Werror=switch makes an op added to
  // ops.def without its emitter a build error, here and in Scalar.
  absl::Status EmitOpCode(const ir::Op& op) {
    const ir::TensorType& out = op.num_results() ? op.result(0)->type() : ir::TensorType{};
    work_ += trip_ * ir::WorkOf(op);
    // A small op outside loops is thread 0's: consecutive serial ops need no barrier
    // between them (a streaming step's transposes and copies). In a loop, where a shared
    // op comes next, sharing it costs the same barriers and divides its work.
    Threads threads = ThreadsOf(op);
    if (threads == Threads::kShare && (IsSmall(op) || wavefront_)) threads = Threads::kSerial;
    switch (threads) {
      case Threads::kShare: Parallel(); break;
      case Threads::kSerial: Serial(); break;
      case Threads::kOwn: break;
    }
    switch (op.code()) {
      case OpCode::kNeg:
      case OpCode::kAbs:
      case OpCode::kRelu:
      case OpCode::kExp:
      case OpCode::kLog:
      case OpCode::kTanh:
      case OpCode::kSigmoid:
      case OpCode::kSqrt:
      case OpCode::kRsqrt:
      case OpCode::kCast:
      case OpCode::kStopGradient:
      case OpCode::kAdd:
      case OpCode::kSub:
      case OpCode::kMul:
      case OpCode::kDiv:
      case OpCode::kMax:
      case OpCode::kMin:
      case OpCode::kPow:
      case OpCode::kCompare:
      case OpCode::kSelect: return Elementwise(op);
      case OpCode::kConstant: {
        const Tensor& t = op.Attr<Tensor>("value");
        llvm::Constant* data = llvm::ConstantDataArray::getRaw(
            llvm::StringRef(static_cast<const char*>(t.raw_data()), t.byte_size()), t.byte_size(), b_.getInt8Ty());
        if (t.byte_size() == 0) data = llvm::ConstantAggregateZero::get(llvm::ArrayType::get(b_.getInt8Ty(), 1));
        auto* g = new llvm::GlobalVariable(out_, data->getType(), true, llvm::GlobalValue::PrivateLinkage, data);
        g->setAlignment(llvm::Align(64));
        ptr_[op.result(0)] = g;
        return absl::OkStatus();
      }
      case OpCode::kLoad: {
        const std::string& name = op.Attr<ir::SymbolRef>("global").name;
        auto store = first_store_.find(name);
        int last_read = top_level_index_.at(&op);
        for (const ir::Use& u : op.result(0)->uses()) last_read = std::max(last_read, top_level_index_.at(u.user));
        if (store == first_store_.end() || store->second > last_read) {
          ptr_[op.result(0)] = globals_.at(name);  // the global itself: nothing writes it before the last read
          return absl::OkStatus();
        }
        Value* dst = Dest(op.result(0));  // a store before the last read must not change this value
        CopyOp(dst, globals_.at(name), Bytes(out));
        ptr_[op.result(0)] = dst;
        return absl::OkStatus();
      }
      case OpCode::kStore: {
        Value* global = globals_.at(op.Attr<ir::SymbolRef>("global").name);
        if (P(op.operand(0)) != global)
          CopyOp(global, P(op.operand(0)), Bytes(op.operand(0)->type()));  // see UpdateInPlace
        return absl::OkStatus();
      }
      case OpCode::kReshape:
        ptr_[op.result(0)] = P(op.operand(0));  // same bytes, another shape
        return absl::OkStatus();
      case OpCode::kMatmul: return Matmul(op);
      case OpCode::kReduceSum:
      case OpCode::kReduceMax: return Reduce(op);
      case OpCode::kTranspose:
      case OpCode::kBroadcastInDim:
      case OpCode::kSlice: return Gather(op, IndexAccess(op, {Strides(op.operand(0)->type().shape)}));
      case OpCode::kPad: {
        const ir::TensorType& x = op.operand(0)->type();
        std::vector<int64_t> os = Strides(out.shape), strides(x.rank());
        std::vector<int64_t> interior(x.rank(), 0);
        if (op.HasAttr("interior")) interior = op.IntsAttr("interior");
        int64_t base = 0;
        for (int64_t d = 0; d < x.rank(); ++d) {
          strides[d] = os[d] * (interior[d] + 1);
          base += op.IntsAttr("low")[d] * os[d];
        }
        Value* dst = Dest(op.result(0));
        Range share = Share(Bytes(out), 64);
        b_.CreateMemSet(b_.CreateGEP(b_.getInt8Ty(), dst, share.begin), b_.getInt8(0),
                        b_.CreateSub(share.end, share.begin), llvm::MaybeAlign(1));
        Between();
        ForShare(x.shape, [&](const Index& idx) {
          Store(x.dtype, dst, Offset(idx, strides, base), Load(x.dtype, P(op.operand(0)), Linear(idx, x.shape)));
        });
        ptr_[op.result(0)] = dst;
        return absl::OkStatus();
      }
      case OpCode::kConcat: {
        Value* dst = Dest(op.result(0));
        int64_t axis = op.IntAttr("axis"), offset = 0;
        std::vector<int64_t> os = Strides(out.shape);
        for (ir::Value* v : op.operands()) {
          const ir::TensorType& x = v->type();
          ForShare(x.shape, [&](const Index& idx) {
            Store(x.dtype, dst, Offset(idx, os, offset * os[axis]), Load(x.dtype, P(v), Linear(idx, x.shape)));
          });
          offset += x.shape[axis];
        }
        ptr_[op.result(0)] = dst;
        return absl::OkStatus();
      }
      case OpCode::kGather:
      case OpCode::kScatterAdd: return GatherScatter(op);
      case OpCode::kOneHot: {
        Value* dst = Dest(op.result(0));
        b_.CreateMemSet(dst, b_.getInt8(0), Bytes(out), llvm::MaybeAlign(1));
        const ir::TensorType& ids = op.operand(0)->type();
        int64_t depth = op.IntAttr("depth");
        For(I64(ids.num_elements()), [&](Value* i) {
          Value* k = b_.CreateSExt(Load(ids.dtype, P(op.operand(0)), i), b_.getInt64Ty());
          Value* in_range = b_.CreateAnd(b_.CreateICmpSGE(k, I64(0)), b_.CreateICmpSLT(k, I64(depth)));
          Value* one = IsFloat(out.dtype)        ? FConst(out.dtype, 1)
                       : out.dtype == DType::kI1 ? b_.getTrue()
                                                 : llvm::ConstantInt::get(Elem(out.dtype), 1);
          Value* at = b_.CreateAdd(b_.CreateMul(i, I64(depth)), b_.CreateSelect(in_range, k, I64(0)));
          Value* old = Load(out.dtype, dst, at);
          Store(out.dtype, dst, at, b_.CreateSelect(in_range, one, old));
        });
        ptr_[op.result(0)] = dst;
        return absl::OkStatus();
      }
      case OpCode::kIota: {
        Value* dst = Dest(op.result(0));
        int64_t dim = op.IntAttr("dim");
        ForShare(out.shape, [&](const Index& idx) {
          Value* v = IsFloat(out.dtype) ? b_.CreateSIToFP(idx[dim], Elem(out.dtype))
                                        : b_.CreateSExtOrTrunc(idx[dim], Elem(out.dtype));
          Store(out.dtype, dst, Linear(idx, out.shape), v);
        });
        ptr_[op.result(0)] = dst;
        return absl::OkStatus();
      }
      case OpCode::kRandomUniform:
      case OpCode::kBernoulli: return Random(op);
      case OpCode::kScan: return Scan(op);
      case OpCode::kFusion: return Fusion(op);
      case OpCode::kAllReduce: return AllReduce(op);
      case OpCode::kYield:   // the scan and fusion emitters copy what is yielded,
      case OpCode::kReturn:  // EmitFunction what is returned
        break;
    }
    return absl::InternalError(absl::StrCat("'", op.name(), "' is emitted by its region's emitter"));
  }

  // An indexing op reads x[base + sum idx·strides] for the result index idx.
  struct Access {
    std::vector<int64_t> strides;
    int64_t base = 0;
  };
  // `operand` says how the operand's elements are found: its own row-major strides, or, in
  // a fusion, the access of the indexing op that produces it (chains compose).
  Access IndexAccess(const ir::Op& op, const Access& operand) {
    const ir::TensorType &x = op.operand(0)->type(), &out = op.result(0)->type();
    const std::vector<int64_t>& in = operand.strides;
    Access a;
    a.base = operand.base;
    if (op.code() == OpCode::kTranspose) {
      for (int64_t p : op.IntsAttr("perm")) a.strides.push_back(in[p]);
    } else if (op.code() == OpCode::kBroadcastInDim) {
      a.strides.assign(out.rank(), 0);
      const auto& dims = op.IntsAttr("dims");
      for (size_t i = 0; i < dims.size(); ++i) {
        if (x.shape[i] != 1) a.strides[dims[i]] = in[i];
      }
    } else {  // kSlice, the third op with the kIndexing trait (callers check it)
      std::vector<int64_t> steps(x.rank(), 1);
      if (op.HasAttr("strides")) steps = op.IntsAttr("strides");
      for (int64_t d = 0; d < x.rank(); ++d) {
        a.strides.push_back(in[d] * steps[d]);
        a.base += op.IntsAttr("start")[d] * in[d];
      }
    }
    return a;
  }

  absl::Status Gather(const ir::Op& op, const Access& access) {
    const ir::TensorType& out = op.result(0)->type();
    Value* dst = Dest(op.result(0));
    Value* src = P(op.operand(0));
    ForShare(out.shape, [&](const Index& idx) {
      Store(out.dtype, dst, Linear(idx, out.shape), Load(out.dtype, src, Offset(idx, access.strides, access.base)));
    });
    ptr_[op.result(0)] = dst;
    return absl::OkStatus();
  }

  absl::Status Matmul(const ir::Op& op) {
    const ir::TensorType &a = op.operand(0)->type(), &out = op.result(0)->type();
    bool ta = op.BoolAttr("transpose_a"), tb = op.BoolAttr("transpose_b");
    int64_t r = a.rank(), batch = r == 3 ? a.shape[0] : 1;
    int64_t m = out.shape[r - 2], n = out.shape[r - 1], k = a.shape[r - (ta ? 2 : 1)];
    Value* dst = Dest(op.result(0));
    ptr_[op.result(0)] = dst;
    if (!IsFloat(out.dtype)) {
      Serial();
      // Integer matmul (rare): the interpreter's loop order, wrapping arithmetic.
      b_.CreateMemSet(dst, b_.getInt8(0), Bytes(out), llvm::MaybeAlign(1));
      ForShape({batch, m, k, n}, [&](const Index& idx) {
        Value *bt = idx[0], *i = idx[1], *p = idx[2], *j = idx[3];
        Value* av = Load(out.dtype, P(op.operand(0)),
                         b_.CreateAdd(b_.CreateMul(bt, I64(m * k)), ta ? b_.CreateAdd(b_.CreateMul(p, I64(m)), i)
                                                                       : b_.CreateAdd(b_.CreateMul(i, I64(k)), p)));
        Value* bv = Load(out.dtype, P(op.operand(1)),
                         b_.CreateAdd(b_.CreateMul(bt, I64(k * n)), tb ? b_.CreateAdd(b_.CreateMul(j, I64(k)), p)
                                                                       : b_.CreateAdd(b_.CreateMul(p, I64(n)), j)));
        Value* at = b_.CreateAdd(b_.CreateMul(bt, I64(m * n)), b_.CreateAdd(b_.CreateMul(i, I64(n)), j));
        Store(out.dtype, dst, at, b_.CreateAdd(Load(out.dtype, dst, at), b_.CreateMul(av, bv)));
      });
      return absl::OkStatus();
    }
    GemmPlan plan = PlanOf(op);
    Value *a_data = P(op.operand(0)), *b_data = P(op.operand(1));
    Value* b_panels = nullptr;  // B packed in advance, if it is
    if (batch == 1) {
      // B packed once per parameter update, or once before the scan that multiplies by it.
      std::optional<std::string> parameter = ParameterOf(op.operand(1));
      auto kept = parameter ? parameter_packs_.find({nullptr, *parameter, tb, plan.nr()}) : parameter_packs_.end();
      if (kept != parameter_packs_.end()) b_panels = kept->second.buffer;
      if (auto it = packed_.find({op.operand(1), "", tb, plan.nr()}); it != packed_.end()) b_panels = it->second;
    }
    if (auto e = epilogue_.find(&op); e != epilogue_.end() && b_panels != nullptr) {
      // Computed panel by panel inside the fused loop that consumes it (Fusion).
      pending_[e->second.fusion].push_back({plan, a_data, b_panels, dst, e->second.starts});
      return absl::OkStatus();
    }
    bool in_place = b_panels == nullptr && GemmEmitter::ReadsBInPlace(plan);
    Value* b_scratch = b_panels == nullptr && !in_place ? AllocBytes(plan.packed_b_bytes()) : nullptr;
    // The threads share the product's units (GemmPlan::num_units: with panels outside,
    // each thread keeps about the same weight columns in its cache at every step); when
    // B is packed here, a wide product's threads share its panels instead, each packing
    // the panels it then reads, while a tall one's (rows outside: every thread reads
    // every panel) pack them together first. A batch of products that each pack their
    // own B (rare), or a small product, runs on thread 0 alone.
    auto at = [&](Value* base, Value* item, int64_t elements) {
      return b_.CreateGEP(Elem(out.dtype), base, b_.CreateMul(item, I64(elements)));
    };
    auto each = [&](const std::function<void(Value*)>& product) {
      if (batch == 1) return product(I64(0));
      For(I64(batch), product);
    };
    if (m == 0 || n == 0 || k == 0 || (batch > 1 && b_scratch != nullptr) || IsSmall(op)) {
      Serial();
      each([&](Value* item) {
        Value* b_item = at(b_data, item, k * n);
        if (b_scratch != nullptr) gemm_.EmitPack(b_, plan, b_item, b_scratch);
        Value* panels = b_panels != nullptr ? b_panels : b_scratch;
        gemm_.EmitProduct(b_, plan, at(a_data, item, m * k), panels != nullptr ? panels : b_item, panels != nullptr,
                          at(dst, item, m * n));
      });
    } else {
      Parallel();
      Value* panels = b_panels != nullptr ? b_panels : b_scratch;
      auto b_item = [&](Value* item) { return panels != nullptr ? panels : at(b_data, item, k * n); };
      if (b_scratch != nullptr && !plan.rows_outside) {
        Range share = Share(plan.num_panels(), 1);
        gemm_.EmitPackPanels(b_, plan, b_data, b_scratch, share.begin, share.end);
        gemm_.EmitPanels(b_, plan, a_data, b_scratch, true, dst, share.begin, share.end);
      } else {
        if (b_scratch != nullptr) {
          Range share = Share(plan.num_panels(), 1);
          gemm_.EmitPackPanels(b_, plan, b_data, b_scratch, share.begin, share.end);
          Between();
        }
        Range share = Share(plan.num_units(), 1);
        each([&](Value* item) {
          gemm_.EmitUnits(b_, plan, at(a_data, item, m * k), b_item(item), panels != nullptr, at(dst, item, m * n),
                          share.begin, share.end);
        });
      }
    }
    if (b_scratch != nullptr) FreeSlot(b_scratch);
    return absl::OkStatus();
  }

  GemmPlan PlanOf(const ir::Op& matmul) {
    const ir::TensorType &a = matmul.operand(0)->type(), &out = matmul.result(0)->type();
    bool ta = matmul.BoolAttr("transpose_a"), tb = matmul.BoolAttr("transpose_b");
    int64_t r = a.rank();
    return gemm_.Plan({out.shape[r - 2], out.shape[r - 1], a.shape[r - (ta ? 2 : 1)], ta, tb, out.dtype});
  }

  // The trainable parameter `v` is — through scan invariants and reshapes — when the
  // parameter's load comes before any store to it, so that the copy packed at the start
  // of the run holds the same values.
  std::optional<std::string> ParameterOf(const ir::Value* v) {
    for (;;) {
      const ir::Op* def = v->defining_op();
      if (def == nullptr) {
        const ir::Op* scan = v->parent_block()->parent_op();
        if (scan == nullptr || scan->code() != OpCode::kScan) return std::nullopt;
        if (v->index() < scan->segment_sizes()[0] + scan->segment_sizes()[1]) return std::nullopt;
        v = scan->operand(v->index());
      } else if (def->code() == OpCode::kReshape) {
        v = def->operand(0);
      } else {
        if (def->code() != OpCode::kLoad) return std::nullopt;
        const std::string& name = def->Attr<ir::SymbolRef>("global").name;
        const ir::Global* g = module_.FindGlobal(name);
        auto store = first_store_.find(name);
        if (g == nullptr || !g->trainable) return std::nullopt;
        if (store != first_store_.end() && top_level_index_.at(def) > store->second) return std::nullopt;
        return name;
      }
    }
  }

  // A global's new value is computed straight into the global — no copy at the store —
  // when nothing reads the old value once it is being computed, but the op computing it,
  // element by element at the element it writes (an optimizer's update: w' = w - lr·g).
  void UpdateInPlace(const ir::Function& fn) {
    std::unordered_map<std::string, int> stores;
    std::unordered_map<std::string, std::vector<const ir::Op*>> loads;
    for (const auto& op : fn.body().ops()) {
      if (op->code() == OpCode::kStore) ++stores[op->Attr<ir::SymbolRef>("global").name];
      if (op->code() == OpCode::kLoad) loads[op->Attr<ir::SymbolRef>("global").name].push_back(op.get());
    }
    for (const auto& st : fn.body().ops()) {
      if (st->code() != OpCode::kStore) continue;
      const std::string& name = st->Attr<ir::SymbolRef>("global").name;
      const ir::Value* v = st->operand(0);
      const ir::Op* d = v->defining_op();
      if (stores[name] != 1 || d == nullptr || d->parent() != &fn.body() || preassigned_.count(v) ||
          (d->code() != OpCode::kFusion && !d->info().has(ir::kElementwise))) {
        continue;
      }
      int at = top_level_index_.at(d);
      bool safe = true;
      for (const ir::Op* load : loads[name]) {
        if (top_level_index_.at(load) >= at) safe = false;  // it would read the new value
        for (const ir::Use& u : load->result(0)->uses()) {
          safe &= top_level_index_.at(u.user) < at || (u.user == d && ReadsElementwise(*d, u.operand_index));
        }
      }
      if (safe) preassigned_[v] = globals_.at(name);
    }
  }

  // Whether `op` reads operand `i` only at the element it writes.
  static bool ReadsElementwise(const ir::Op& op, int i) {
    if (op.code() != OpCode::kFusion) return true;  // an elementwise op: operands of its result's shape
    if (op.operand(i)->type().shape != op.result(0)->type().shape) return false;
    for (const ir::Use& u : op.region()->argument(i)->uses()) {
      if (u.user->info().has(ir::kIndexing)) return false;
    }
    return true;
  }

  // Arena space, kept between runs, for every parameter a float matmul of `fn` multiplies
  // by; and at the start of the function, the packing, when params_version says the
  // parameters may have changed since the copies were made.
  void PackParameters(const ir::Function& fn, BufferLayout* layout) {
    ir::Walk(const_cast<ir::Block&>(fn.body()), [&](ir::Op& op) {
      if (op.code() != OpCode::kMatmul || !IsFloat(op.result(0)->type().dtype) || op.operand(1)->type().rank() != 2) {
        return;
      }
      std::optional<std::string> parameter = ParameterOf(op.operand(1));
      if (!parameter) return;
      GemmPlan plan = PlanOf(op);
      PackedKey key{nullptr, *parameter, plan.shape.trans_b, plan.nr()};
      if (parameter_packs_.count(key)) return;
      parameter_packs_[key] = {plan, AllocBytes(plan.packed_b_bytes())};  // never given back
      if (std::find(layout->packed_globals.begin(), layout->packed_globals.end(), *parameter) ==
          layout->packed_globals.end()) {
        layout->packed_globals.push_back(*parameter);
      }
    });
    if (parameter_packs_.empty()) return;
    // Every thread reads the versions; when they are stale, each packs its share of
    // every parameter's panels, and after the barrier that follows (every thread has
    // read them) thread 0 records the new one. When they are not, as on most calls, no
    // barrier: nothing was written.
    Value* version = Load(DType::kI64, scratch_, I64(kParamsVersion));
    Value* stale = b_.CreateOr(b_.CreateICmpEQ(version, I64(0)),
                               b_.CreateICmpNE(version, Load(DType::kI64, scratch_, I64(kPackedVersion))));
    llvm::BasicBlock* pack = llvm::BasicBlock::Create(ctx_, "pack_parameters", fn_);
    llvm::BasicBlock* record = llvm::BasicBlock::Create(ctx_, "record_version", fn_);
    llvm::BasicBlock* packed = llvm::BasicBlock::Create(ctx_, "packed", fn_);
    b_.CreateCondBr(stale, pack, packed);
    b_.SetInsertPoint(pack);
    for (const auto& [key, p] : parameter_packs_) {
      Range share = Share(p.plan.num_panels(), 1);
      gemm_.EmitPackPanels(b_, p.plan, globals_.at(key.global), p.buffer, share.begin, share.end);
    }
    EndSerial();  // a wavefront's function packs on thread 0
    Sync();
    b_.CreateCondBr(b_.CreateICmpEQ(thread_, I64(0)), record, packed);
    b_.SetInsertPoint(record);
    Store(DType::kI64, scratch_, I64(kPackedVersion), version);
    b_.CreateBr(packed);
    b_.SetInsertPoint(packed);
  }

  absl::Status Reduce(const ir::Op& op) {
    const ir::TensorType &x = op.operand(0)->type(), &out = op.result(0)->type();
    bool max = op.code() == OpCode::kReduceMax;
    Value* dst = Dest(op.result(0));
    Value* init;
    if (max) {
      init = IsFloat(out.dtype)         ? FConst(out.dtype, -std::numeric_limits<double>::infinity())
             : out.dtype == DType::kI32 ? b_.getInt32(std::numeric_limits<int32_t>::min())
                                        : I64(std::numeric_limits<int64_t>::min());
    } else {
      init = Zero(out.dtype);
    }
    // Output offset of each input element: the input's own index, reduced axes dropped.
    const auto& axes = op.IntsAttr("axes");
    std::vector<int64_t> os = Strides(out.shape), strides(x.rank(), 0);
    for (int64_t d = 0, o = 0; d < x.rank(); ++d) {
      if (!std::count(axes.begin(), axes.end(), d)) strides[d] = os[o++];
    }
    // The threads share the outermost kept axis: each output element is one thread's,
    // summed in the order of the serial loop. With none to share, thread 0 reduces.
    int64_t split = 0, split_out = 0;
    while (split < x.rank() && (std::count(axes.begin(), axes.end(), split) || x.shape[split] == 1)) {
      split_out += !std::count(axes.begin(), axes.end(), split);
      ++split;
    }
    if (split == x.rank()) Serial();
    Range share = split < x.rank() ? Share(x.shape[split], 1) : Range{I64(0), I64(1)};
    if (split == x.rank()) {
      For(I64(out.num_elements()), [&](Value* i) { Store(out.dtype, dst, i, init); });
    } else {
      ForShapeRange(out.shape, split_out, share.begin, share.end,
                    [&](const Index& idx) { Store(out.dtype, dst, Linear(idx, out.shape), init); });
    }
    ForShapeRange(x.shape, split, share.begin, share.end, [&](const Index& idx) {
      Value* at = Offset(idx, strides);
      Value* v = Load(x.dtype, P(op.operand(0)), Linear(idx, x.shape));
      Value* acc = Load(out.dtype, dst, at);
      Value* r;
      if (!max) {
        r = IsFloat(x.dtype) ? b_.CreateFAdd(acc, v) : b_.CreateAdd(acc, v);
      } else if (IsFloat(x.dtype)) {
        // As the interpreter: a NaN accumulator stays; a NaN or larger element replaces it.
        Value* take = b_.CreateOr(b_.CreateFCmpUNO(v, v), b_.CreateFCmpOGT(v, acc));
        r = b_.CreateSelect(b_.CreateFCmpUNO(acc, acc), acc, b_.CreateSelect(take, v, acc));
      } else {
        r = b_.CreateSelect(b_.CreateICmpSGT(v, acc), v, acc);
      }
      Store(out.dtype, dst, at, r);
    });
    ptr_[op.result(0)] = dst;
    return absl::OkStatus();
  }

  // gather(table, ids) / scatter_add(base, ids, updates); an id outside the table is an
  // error (recorded; the row is skipped, gather's reads as zeros).
  // The first error of a run goes to the arena's error record (see ErrorRecord); later
  // ones leave it. Branch-free, so that the loops around it stay simple.
  void RecordError(Value* bad, const ir::Op& op, Value* value, Value* bound) {
    Value* code = b_.CreateLoad(b_.getInt64Ty(), scratch_);
    Value* first = b_.CreateAnd(bad, b_.CreateICmpEQ(code, I64(0)));
    Value* fields[3] = {I64(static_cast<int64_t>(op.code()) + 1), value, bound};
    for (int i = 2; i >= 0; --i) {
      Value* old = Load(DType::kI64, scratch_, I64(i));
      Store(DType::kI64, scratch_, I64(i), b_.CreateSelect(first, fields[i], old));
    }
  }

  absl::Status GatherScatter(const ir::Op& op) {
    bool scatter = op.code() == OpCode::kScatterAdd;
    const ir::TensorType& table = op.operand(0)->type();
    const ir::TensorType& ids = op.operand(1)->type();
    const ir::TensorType& out = op.result(0)->type();
    int64_t rows = table.shape[0], row = rows ? table.num_elements() / rows : 0;
    Value* dst = Dest(op.result(0));
    if (scatter) {
      SharedCopy(dst, P(op.operand(0)), Bytes(out));
      Between();
    }
    // Every thread walks all the ids, in order, over its share of each row's elements:
    // a row that several ids update gets them in the serial order; thread 0 records.
    Range share = Share(row, 16);
    For(I64(ids.num_elements()), [&](Value* i) {
      Value* r = b_.CreateSExt(Load(ids.dtype, P(op.operand(1)), i), b_.getInt64Ty());
      Value* ok = b_.CreateAnd(b_.CreateICmpSGE(r, I64(0)), b_.CreateICmpSLT(r, I64(rows)));
      RecordError(b_.CreateAnd(b_.CreateNot(ok), b_.CreateICmpEQ(thread_, I64(0))), op, r, I64(rows));
      Value* rr = b_.CreateSelect(ok, r, I64(0));
      EmitFor(b_, share.begin, share.end, [&](Value* e) {
        Value* t_at = b_.CreateAdd(b_.CreateMul(rr, I64(row)), e);
        Value* i_at = b_.CreateAdd(b_.CreateMul(i, I64(row)), e);
        if (scatter) {
          Value* old = Load(out.dtype, dst, t_at);
          Value* u = Load(out.dtype, P(op.operand(2)), i_at);
          Value* sum = IsFloat(out.dtype) ? b_.CreateFAdd(old, u) : b_.CreateAdd(old, u);
          Store(out.dtype, dst, t_at, b_.CreateSelect(ok, sum, old));
        } else {
          Value* v = Load(out.dtype, P(op.operand(0)), t_at);
          Store(out.dtype, dst, i_at, b_.CreateSelect(ok, v, Zero(out.dtype)));
        }
      });
    });
    ptr_[op.result(0)] = dst;
    return absl::OkStatus();
  }

  // ---- Across ranks (support/collectives.h) ----
  // all_reduce: thread 0 packs the operands into one arena buffer, the results one after
  // another, and starts their sum over the ranks (ArenaCollectives::start; none: one
  // process, and the packed copy is the identity). The wait comes just before the first
  // op that reads a result (WaitForSums): the messages travel while the ops between run
  // — the rest of the backward pass, when a pass placed the op where its gradients are
  // final. The buffer is the results' alone until then, so nothing else writes it.
  absl::Status AllReduce(const ir::Op& op) {
    Serial();
    int64_t bytes = 0, count = 0;
    for (ir::Value* v : op.operands()) {
      bytes += Bytes(v->type());
      count += v->type().num_elements();
    }
    Value* bucket = AllocBytes(bytes);
    int64_t offset = 0;
    for (int i = 0; i < op.num_operands(); ++i) {
      // In the entry block, as every buffer pointer (AllocBytes): any thread may read it.
      Value* part =
          offset == 0 ? bucket : llvm::IRBuilder<>(buffers_end_).CreateConstGEP1_64(b_.getInt8Ty(), bucket, offset);
      if (part != bucket) part_of_[part] = bucket;
      Copy(part, P(op.operand(i)), Bytes(op.operand(i)->type()));
      ptr_[op.result(i)] = part;
      offset += Bytes(op.operand(i)->type());
    }
    int64_t id = static_cast<int64_t>(summing_.size() + sums_started_);
    summing_[&op] = id;
    CallCollective(offsetof(ArenaCollectives, start),
                   {I64(id), bucket, I64(count), I64(static_cast<int64_t>(op.operand(0)->type().dtype))});
    return absl::OkStatus();
  }
  // Before `op` (or, with null, at the function's end): waits for every sum it reads.
  void WaitForSums(const ir::Op* op) {
    for (auto it = summing_.begin(); it != summing_.end();) {
      bool read = op == nullptr;
      if (op != nullptr) {
        for (ir::Value* v : op->operands()) read |= v->defining_op() == it->first;
      }
      if (!read) {
        ++it;
        continue;
      }
      // Untracked (no op is being emitted): the threads that read the sum pass a barrier.
      Serial();
      CallCollective(offsetof(ArenaCollectives, wait), {I64(it->second)});
      ++sums_started_;
      it = summing_.erase(it);
    }
  }
  void WaitForSums(const ir::Op& op) { WaitForSums(&op); }
  // callback(context, args...) when the arena names the callback: thread 0's code.
  void CallCollective(size_t field, std::vector<Value*> args) {
    Value* base = b_.CreateConstGEP1_64(b_.getInt8Ty(), scratch_, kCollectivesOffset);
    Value* fn = b_.CreateLoad(b_.getPtrTy(), b_.CreateConstGEP1_64(b_.getInt8Ty(), base, field));
    Value* context =
        b_.CreateLoad(b_.getPtrTy(), b_.CreateConstGEP1_64(b_.getInt8Ty(), base, offsetof(ArenaCollectives, context)));
    llvm::BasicBlock* call = llvm::BasicBlock::Create(ctx_, "collective", fn_);
    llvm::BasicBlock* done = llvm::BasicBlock::Create(ctx_, "collective.done", fn_);
    b_.CreateCondBr(b_.CreateIsNotNull(fn), call, done);
    b_.SetInsertPoint(call);
    std::vector<llvm::Type*> types = {b_.getPtrTy()};
    for (Value* a : args) types.push_back(a->getType());
    args.insert(args.begin(), context);
    b_.CreateCall(llvm::FunctionType::get(b_.getVoidTy(), types, false), fn, args);
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
  }

  absl::Status Random(const ir::Op& op) {
    const ir::TensorType& out = op.result(0)->type();
    Value* dst = Dest(op.result(0));
    const ir::TensorType& ct = op.operand(0)->type();
    Value* counter = b_.CreateSExt(Load(ct.dtype, P(op.operand(0)), I64(0)), b_.getInt64Ty());
    int64_t seed = op.IntAttr("seed");
    bool bernoulli = op.code() == OpCode::kBernoulli;
    double p = op.FloatAttr("p", 0.5), low = op.FloatAttr("low", 0.0), high = op.FloatAttr("high", 1.0);
    std::optional<ir::BatchDraws> batch = ir::BatchDrawsOf(op);
    ForShare({out.num_elements()}, [&](const Index& idx) {
      Value* i = idx[0];
      Value* at = i;  // BatchMajorIndex
      if (batch) {
        Value* row = b_.CreateURem(b_.CreateUDiv(i, I64(batch->inner)), I64(batch->rows));
        Value* outer = b_.CreateUDiv(i, I64(batch->inner * batch->rows));
        at = b_.CreateAdd(b_.CreateMul(b_.CreateAdd(row, I64(batch->offset)), I64(batch->per_row)),
                          b_.CreateAdd(b_.CreateMul(outer, I64(batch->inner)), b_.CreateURem(i, I64(batch->inner))));
      }
      auto [r0, r1] = RandomBits(seed, counter, at);
      Value* v;
      if (bernoulli) {
        double threshold = p * 16777216.0;
        if (threshold <= 0) {
          v = b_.getFalse();
        } else if (threshold >= 16777216.0) {
          v = b_.getTrue();
        } else {
          v = b_.CreateICmpULT(b_.CreateLShr(r0, 8), b_.getInt32(static_cast<uint32_t>(threshold)));
        }
      } else if (out.dtype == DType::kF32) {
        Value* u =
            b_.CreateFMul(b_.CreateUIToFP(b_.CreateLShr(r0, 8), b_.getFloatTy()), FConst(DType::kF32, 0x1.0p-24));
        float lo = static_cast<float>(low), hi = static_cast<float>(high);
        v = b_.CreateFAdd(FConst(DType::kF32, lo), b_.CreateFMul(FConst(DType::kF32, hi - lo), u));
      } else {
        Value* a = b_.CreateUIToFP(b_.CreateLShr(r0, 5), b_.getDoubleTy());
        Value* c = b_.CreateUIToFP(b_.CreateLShr(r1, 6), b_.getDoubleTy());
        Value* u = b_.CreateFMul(b_.CreateFAdd(b_.CreateFMul(a, FConst(DType::kF64, 67108864.0)), c),
                                 FConst(DType::kF64, 0x1.0p-53));
        v = b_.CreateFAdd(FConst(DType::kF64, low), b_.CreateFMul(FConst(DType::kF64, high - low), u));
      }
      Store(out.dtype, dst, i, v);
    });
    ptr_[op.result(0)] = dst;
    return absl::OkStatus();
  }

  // A fused loop is long chains of dependent operations (exp, a division) per element;
  // with AVX2's 16 registers the vectorizer takes one vector per iteration and the loop
  // waits on latency. Two independent vectors per iteration let the core overlap them:
  // the SentimentLSTM forward for x86-64-v3 went from 31.6 to 30.0 ms (4 gave the same).
  static constexpr int kFusionInterleave = 2;

  // One loop nest over the fused shape; the body's ops become scalar code in it and its
  // indexing ops loads at their index. Without indexing ops the nest is one flat loop.
  absl::Status Fusion(const ir::Op& op) {
    const ir::Block& body = *op.region();
    const ir::Op& yield = *body.terminator();
    std::vector<Value*> dsts;
    for (ir::Value* r : op.results()) {
      dsts.push_back(Dest(r));
      ptr_[r] = dsts.back();
    }
    // The results never share memory with the operands (the arena plan gives each a
    // buffer of its own): saying so spares the vectorizer a runtime overlap check per
    // pair of pointers, which with many operands it would give up on.
    llvm::MDBuilder md(ctx_);
    llvm::MDNode* domain = md.createAnonymousAliasScopeDomain("fusion");
    written_scope_ = llvm::MDNode::get(ctx_, md.createAnonymousAliasScope(domain, "results"));
    // An operand updated in place (UpdateInPlace) is read where it is written: its loads
    // must not claim otherwise (the vectorizer sees the same address, distance 0).
    for (int a = 0; a < op.num_operands(); ++a) {
      if (std::count(dsts.begin(), dsts.end(), P(op.operand(a)))) updated_in_place_.insert(P(op.operand(a)));
    }
    const Shape& shape = op.result(0)->type().shape;
    bool indexing = false;
    for (const auto& inner : body.ops()) indexing |= inner->info().has(ir::kIndexing);
    Shape space = indexing ? shape : Shape{NumElements(shape)};
    absl::Status status;
    auto element = [&](const Index& idx) {
      Value* i = Linear(idx, space);
      std::unordered_map<const ir::Value*, Value*> scalar;
      std::unordered_map<const ir::Value*, Access> access;
      for (int a = 0; a < op.num_operands(); ++a) {
        if (op.operand(a)->type().shape != shape) continue;  // read through indexing ops only
        scalar[body.argument(a)] = Load(op.operand(a)->type().dtype, P(op.operand(a)), i);
      }
      for (const auto& inner : body.ops()) {
        if (inner->code() == OpCode::kYield) continue;
        if (inner->info().has(ir::kIndexing)) {
          // Chains of indexing ops compose into one access of the argument they start from.
          const ir::Value* x = inner->operand(0);
          Access in = x->defining_op() ? access.at(x) : Access{Strides(x->type().shape)};
          access[inner->result(0)] = IndexAccess(*inner, in);
          const ir::Value* arg = x;
          while (arg->defining_op() != nullptr) arg = arg->defining_op()->operand(0);
          bool read = inner->result(0)->type().shape == shape;  // else only indexed further
          if (read) {
            const Access& a = access.at(inner->result(0));
            scalar[inner->result(0)] =
                Load(arg->type().dtype, P(op.operand(arg->index())), Offset(idx, a.strides, a.base));
          }
          continue;
        }
        if (inner->code() == OpCode::kConstant) {
          const Tensor& t = inner->Attr<Tensor>("value");
          DType d = t.dtype();
          scalar[inner->result(0)] = IsFloat(d) ? FConst(d, t.GetDouble(0))
                                     : d == DType::kI1
                                         ? b_.getInt1(t.GetDouble(0) != 0)
                                         : llvm::ConstantInt::get(Elem(d), static_cast<int64_t>(t.GetDouble(0)), true);
          continue;
        }
        std::vector<Value*> x;
        for (ir::Value* v : inner->operands()) x.push_back(scalar.at(v));
        absl::StatusOr<Value*> r = Scalar(*inner, x);
        if (!r.ok()) {
          status = r.status();
          return;
        }
        scalar[inner->result(0)] = *r;
      }
      for (int y = 0; y < yield.num_operands(); ++y)
        Store(op.result(y)->type().dtype, dsts[y], i, scalar.at(yield.operand(y)));
    };
    auto pending = pending_.find(&op);
    int64_t width = pending == pending_.end() ? 0 : pending->second.front().plan.nr();
    bool blocked = pending != pending_.end() && shape[1] % width == 0;
    for (const DeferredProduct& d : blocked ? pending->second : std::vector<DeferredProduct>{}) {
      for (int64_t s : d.starts) blocked &= d.plan.nr() == width && s % width == 0;
    }
    if (pending != pending_.end() && !blocked) {
      for (const DeferredProduct& d : pending->second) {
        Range share = Share(d.plan.num_units(), 1);
        gemm_.EmitUnits(b_, d.plan, d.a, d.b, true, d.c, share.begin, share.end);
      }
      Between();  // the loop reads every thread's panels
    }
    if (blocked) {
      // Fused epilogue: for each block of `width` columns of the loop, the panels of the
      // products it reads there (an LSTM's four gates of those hidden units), then the
      // loop over those columns while the panels are in L1. Each thread takes the same
      // blocks at every step, so the weights of its hidden units stay in its cache.
      Range blocks = Share(shape[1] / width, 1);
      EmitFor(b_, blocks.begin, blocks.end, [&](Value* block) {
        for (const DeferredProduct& d : pending->second) {
          for (int64_t s : d.starts) {
            Value* panel = b_.CreateAdd(I64(s / width), block);
            gemm_.EmitPanels(b_, d.plan, d.a, d.b, true, d.c, panel, b_.CreateAdd(panel, I64(1)));
          }
        }
        Value* first = b_.CreateMul(block, I64(width));
        For(I64(shape[0]), [&](Value* row) {
          EmitFor(
              b_, first, b_.CreateAdd(first, I64(width)),
              [&](Value* col) {
                element({row, col});
              },
              kFusionInterleave);
        });
      });
    } else {
      ForShare(space, element, kFusionInterleave);
    }
    if (pending != pending_.end()) pending_.erase(pending);
    written_scope_ = nullptr;
    updated_in_place_.clear();
    return status;
  }

  // for t in time order: the body reads the carries from one buffer of a pair and writes
  // the next carries into the other (directly, see Dest), swapped each step; step inputs are read in place at
  // offset t; step outputs are written to their slot t. Every thread runs the loop; a
  // barrier ends each step (the next one reads all of this one's carries).
  absl::Status Scan(const ir::Op& op) {
    const ir::Block& body = *op.region();
    const ir::Op& yield = *body.terminator();
    int nc = op.segment_sizes()[0], ns = op.segment_sizes()[1], ni = op.segment_sizes()[2];
    if (op.segment_sizes()[3] != 0) return absl::InternalError("scan lengths must be made explicit before codegen");
    int64_t length = op.IntAttr("length");
    bool reverse = op.BoolAttr("reverse");
    Progress progress = progress_;  // this scan's, not the body's scans'
    progress_ = Progress::kNone;
    // Carry buffers: A holds the initial value, B the first step's result, then they swap.
    std::vector<Value*> bufa, bufb;
    for (int c = 0; c < nc; ++c) {
      const ir::TensorType& t = op.operand(c)->type();
      bufa.push_back(Alloc(t));
      bufb.push_back(Alloc(t));
      CopyOp(bufa[c], P(op.operand(c)), Bytes(t));
    }
    std::vector<Value*> outs;
    for (int o = nc; o < op.num_results(); ++o) outs.push_back(Alloc(op.result(o)->type()));
    std::vector<PackedKey> packed = PackInvariantWeights(op);
    Parallel();  // the loop starts (and so every step starts) with no write pending

    llvm::BasicBlock* pre = b_.GetInsertBlock();
    llvm::BasicBlock* loop = llvm::BasicBlock::Create(ctx_, "scan", fn_);
    llvm::BasicBlock* exit = llvm::BasicBlock::Create(ctx_, "scan.exit", fn_);
    b_.CreateCondBr(b_.getInt1(length > 0), loop, exit);
    b_.SetInsertPoint(loop);
    llvm::PHINode* it = b_.CreatePHI(b_.getInt64Ty(), 2);
    it->addIncoming(I64(0), pre);
    std::vector<llvm::PHINode*> cur, nxt;
    for (int c = 0; c < nc; ++c) {
      cur.push_back(b_.CreatePHI(b_.getPtrTy(), 2));
      nxt.push_back(b_.CreatePHI(b_.getPtrTy(), 2));
      cur[c]->addIncoming(bufa[c], pre);
      nxt[c]->addIncoming(bufb[c], pre);
    }
    Value* t = reverse ? b_.CreateSub(I64(length - 1), it) : static_cast<Value*>(it);
    if (progress == Progress::kWait) b_.CreateCall(wait_, {ProgressLine(), b_.CreateAdd(it, I64(1))});
    for (int c = 0; c < nc; ++c) ptr_[body.argument(c)] = cur[c];
    for (int s = 0; s < ns; ++s) {
      const ir::TensorType& xt = op.operand(nc + s)->type();
      int64_t slice = Bytes(xt) / std::max<int64_t>(1, xt.shape[0]);
      ptr_[body.argument(nc + s)] = b_.CreateGEP(b_.getInt8Ty(), P(op.operand(nc + s)), b_.CreateMul(t, I64(slice)));
    }
    for (int v = 0; v < ni; ++v) ptr_[body.argument(nc + ns + v)] = P(op.operand(nc + ns + v));
    // A carry computed by a body op (not an alias, not a block argument, not already
    // some other carry) is written straight into its next buffer; a step output so
    // computed, straight into its slot of the stacked result.
    auto computed = [&](const ir::Value* y) {
      const ir::Op* def = y->defining_op();
      bool aliasing = def == nullptr || def->code() == OpCode::kReshape || def->code() == OpCode::kLoad ||
                      def->code() == OpCode::kConstant || def->code() == OpCode::kScan;
      return !aliasing && !preassigned_.count(y);
    };
    std::vector<Value*> slot(yield.num_operands(), nullptr);  // where each yielded value goes
    std::vector<bool> direct(yield.num_operands(), false);
    for (int y = 0; y < yield.num_operands(); ++y) {
      int64_t bytes = Bytes(yield.operand(y)->type());
      slot[y] = y < nc ? static_cast<Value*>(nxt[y])
                       : b_.CreateGEP(b_.getInt8Ty(), outs[y - nc], b_.CreateMul(t, I64(bytes)));
      if (!computed(yield.operand(y))) continue;
      preassigned_[yield.operand(y)] = slot[y];
      direct[y] = true;
    }
    double trip = trip_;
    trip_ *= static_cast<double>(std::max<int64_t>(1, length));
    RETURN_IF_ERROR(EmitBlock(body));
    for (int y = 0; y < yield.num_operands(); ++y) {
      if (direct[y]) {
        preassigned_.erase(yield.operand(y));
      } else {
        CopyOp(slot[y], P(yield.operand(y)), Bytes(yield.operand(y)->type()));
      }
    }
    Parallel();
    trip_ = trip;
    Value* next = b_.CreateAdd(it, I64(1));
    if (progress == Progress::kPublish) {
      b_.CreateAlignedStore(next, ProgressLine(), llvm::Align(8))->setAtomic(llvm::AtomicOrdering::Release);
    }
    llvm::BasicBlock* latch = b_.GetInsertBlock();
    it->addIncoming(next, latch);
    for (int c = 0; c < nc; ++c) {
      cur[c]->addIncoming(nxt[c], latch);
      nxt[c]->addIncoming(cur[c], latch);
    }
    b_.CreateCondBr(b_.CreateICmpSLT(next, I64(length)), loop, exit);
    b_.SetInsertPoint(exit);
    // The final carries are in whichever buffer the last step wrote: A after an even
    // number of steps, B after an odd one.
    for (int c = 0; c < nc; ++c) {
      ptr_[op.result(c)] = length % 2 == 0 ? bufa[c] : bufb[c];
      FreeSlot(length % 2 == 0 ? bufb[c] : bufa[c]);
    }
    for (int o = nc; o < op.num_results(); ++o) ptr_[op.result(o)] = outs[o - nc];
    for (const PackedKey& key : packed) {
      FreeSlot(packed_.at(key));
      packed_.erase(key);
    }
    return absl::OkStatus();
  }

  // Two scans or products marked by concurrent-scans: thread team 0 (the first half of
  // the threads) runs the first, team 1 the second, each with its own thread numbers and
  // barrier; with one thread, that thread runs both. Neither frees arena space the other
  // may still use until both are emitted.
  absl::Status Beside(const ir::Op& first, const ir::Op& second) {
    Parallel();
    Value* several = b_.CreateICmpSGE(threads_, I64(2));
    Value* half = b_.CreateUDiv(threads_, I64(2));
    Value* team = b_.CreateSelect(b_.CreateAnd(several, b_.CreateICmpUGE(thread_, half)), I64(1), I64(0));
    Value* on_team1 = b_.CreateICmpEQ(team, I64(1));
    Value *all_thread = thread_, *all_threads = threads_, *all_lines = barrier_lines_;
    thread_ = b_.CreateSelect(on_team1, b_.CreateSub(thread_, half), thread_);
    threads_ = b_.CreateSelect(several, b_.CreateSelect(on_team1, b_.CreateSub(all_threads, half), half), I64(1));
    barrier_lines_ = b_.CreateGEP(b_.getInt8Ty(), scratch_,
                                  b_.CreateAdd(I64(kTeamBarriers), b_.CreateMul(team, I64(kBarrierBytes))));
    defer_frees_ = true;
    absl::Status status;
    for (int k = 0; k < 2 && status.ok(); ++k) {
      llvm::BasicBlock* run = llvm::BasicBlock::Create(ctx_, "team", fn_);
      llvm::BasicBlock* done = llvm::BasicBlock::Create(ctx_, "team.end", fn_);
      b_.CreateCondBr(b_.CreateOr(b_.CreateNot(several), b_.CreateICmpEQ(team, I64(k))), run, done);
      b_.SetInsertPoint(run);
      written_ = false;
      status = EmitOp(k == 0 ? first : second);
      EndSerial();
      b_.CreateBr(done);
      b_.SetInsertPoint(done);
    }
    thread_ = all_thread;
    threads_ = all_threads;
    barrier_lines_ = all_lines;
    written_ = untracked_ = true;  // the next reader waits for both teams
    EndPair(second);
    return status;
  }

  // A scan marked wavefront and the scan reading its steps: thread 0 runs the first,
  // publishing each finished step in the arena (kWavefrontStep), while thread 1 runs the
  // second, each step after waiting for the first's; with one thread, it runs both in
  // turn. The run's threads meet before (the count is cleared) and after.
  absl::Status Wavefront(const ir::Op& first, const ir::Op& second) {
    Serial();
    b_.CreateAlignedStore(I64(0), ProgressLine(), llvm::Align(8))->setAtomic(llvm::AtomicOrdering::Monotonic);
    EndSerial();
    auto meet = [&] {
      b_.CreateCall(barrier_, {barrier_lines_, run_threads_});
      barriers_ += trip_;
      Passed();
    };
    meet();
    Value* thread = thread_;
    Value* several = b_.CreateICmpSGE(run_threads_, I64(2));
    thread_ = I64(0);  // each scan's thread is alone in it
    defer_frees_ = true;
    absl::Status status;
    for (int k = 0; k < 2 && status.ok(); ++k) {
      llvm::BasicBlock* run = llvm::BasicBlock::Create(ctx_, "wavefront", fn_);
      llvm::BasicBlock* done = llvm::BasicBlock::Create(ctx_, "wavefront.end", fn_);
      b_.CreateCondBr(b_.CreateICmpEQ(thread, b_.CreateSelect(several, I64(k), I64(0))), run, done);
      b_.SetInsertPoint(run);
      progress_ = k == 0 ? Progress::kPublish : Progress::kWait;
      status = Scan(k == 0 ? first : second);
      EndSerial();
      b_.CreateBr(done);
      b_.SetInsertPoint(done);
    }
    thread_ = thread;
    meet();
    EndPair(second);
    return status;
  }
  Value* ProgressLine() { return b_.CreateConstGEP1_64(b_.getInt8Ty(), scratch_, kWavefrontStep); }
  // After two scans emitted side by side: the arena space they held is given back (after
  // the next barrier), and the second is not emitted again.
  void EndPair(const ir::Op& second) {
    defer_frees_ = false;
    for (Value* p : deferred_frees_) FreeSlot(p);
    deferred_frees_.clear();
    beside_ = &second;
  }

  // A product whose only reader is a fused loop taking full-height column slices of it,
  // each as wide as the loop (an LSTM's gates), may be computed panel by panel inside
  // that loop: where the slices start, so that Fusion can find the panels.
  struct Epilogue {
    const ir::Op* fusion;
    std::vector<int64_t> starts;
  };
  std::optional<Epilogue> EpilogueOf(const ir::Op& op) {
    if (op.code() != OpCode::kMatmul || !IsFloat(op.result(0)->type().dtype) || op.result(0)->type().rank() != 2 ||
        op.result(0)->uses().size() != 1) {
      return std::nullopt;
    }
    const ir::Use& use = op.result(0)->uses()[0];
    const ir::Op* fusion = use.user;
    const Shape& product = op.result(0)->type().shape;
    if (fusion->code() != OpCode::kFusion || fusion->parent() != op.parent()) return std::nullopt;
    const Shape& loop = fusion->result(0)->type().shape;
    if (loop.size() != 2 || loop[0] != product[0] || product[0] == 0 || op.operand(0)->type().shape.back() == 0) {
      return std::nullopt;
    }
    Epilogue e{fusion, {}};
    for (const ir::Use& u : fusion->region()->argument(use.operand_index)->uses()) {
      const ir::Op* slice = u.user;
      if (slice->code() != OpCode::kSlice || slice->HasAttr("strides")) return std::nullopt;
      const auto &start = slice->IntsAttr("start"), &limit = slice->IntsAttr("limit");
      if (start[0] != 0 || limit[0] != product[0] || limit[1] - start[1] != loop[1]) return std::nullopt;
      for (const ir::Use& read : slice->result(0)->uses()) {
        if (read.user->info().has(ir::kIndexing)) return std::nullopt;  // read at the loop's element only
      }
      e.starts.push_back(start[1]);
    }
    return e;
  }

  // A weight that every step multiplies by (a scan invariant as a matmul's right
  // operand, not a parameter, which is packed already) is packed for the kernel once,
  // before the loop, instead of once per step. Returns what it packed, to be freed
  // after the loop.
  std::vector<PackedKey> PackInvariantWeights(const ir::Op& scan) {
    std::vector<PackedKey> keys;
    if (scan.IntAttr("length") < 2) return keys;
    const ir::Block& body = *scan.region();
    int first = scan.segment_sizes()[0] + scan.segment_sizes()[1];
    for (const auto& op : body.ops()) {
      if (op->code() != OpCode::kMatmul || !IsFloat(op->result(0)->type().dtype) || op->result(0)->type().rank() != 2) {
        continue;
      }
      const ir::Value* w = op->operand(1);
      bool invariant = w->defining_op() == nullptr && w->parent_block() == &body && w->index() >= first;
      GemmPlan plan = PlanOf(*op);
      PackedKey key{w, "", plan.shape.trans_b, plan.nr()};
      if (!invariant || ParameterOf(w) || GemmEmitter::ReadsBInPlace(plan) || packed_.count(key)) continue;
      Value* buffer = AllocBytes(plan.packed_b_bytes());
      Parallel();  // its source may be new
      Range share = Share(plan.num_panels(), 1);
      gemm_.EmitPackPanels(b_, plan, P(scan.operand(w->index())), buffer, share.begin, share.end);
      packed_[key] = buffer;
      keys.push_back(key);
    }
    return keys;
  }

  const ir::Module& module_;
  llvm::LLVMContext& ctx_;
  llvm::Module& out_;
  llvm::IRBuilder<> b_;
  llvm::Function* fn_ = nullptr;
  Value* thread_ = nullptr;       // this thread's number, 0 to threads_ - 1
  Value* threads_ = nullptr;      // how many share its ops: run_threads_, or 1 in a wavefront
  Value* run_threads_ = nullptr;  // how many run the function (ArenaHeader::threads)
  bool wavefront_ = false;        // the function has one: see Wavefront
  // Since the last barrier: buffers the tracked ops wrote (their results), whether any
  // other code wrote, and buffers freed (FreeSlot). See Parallel.
  std::unordered_set<Value*> dirty_;
  bool untracked_ = false;
  std::vector<Value*> phase_frees_;
  const ir::Op* tracked_op_ = nullptr;  // being emitted (EmitOp)
  bool op_wrote_ = false;               // it has begun writing
  enum class Progress { kNone, kPublish, kWait };
  Progress progress_ = Progress::kNone;       // what the next Scan does with kWavefrontStep
  llvm::Function* wait_ = nullptr;            // WaitFunction
  llvm::Instruction* buffers_end_ = nullptr;  // in the entry block, after the buffers' pointers
  llvm::Function* barrier_ = nullptr;         // BarrierFunction
  llvm::BasicBlock* serial_end_ = nullptr;    // in thread 0's code (Serial): where it ends
  bool written_ = false;                      // something was written since the last barrier
  Value* barrier_lines_ = nullptr;            // the barrier of the threads running this code
  bool defer_frees_ = false;                  // in Beside and Wavefront: arena space stays taken
  std::vector<Value*> deferred_frees_;
  const ir::Op* beside_ = nullptr;  // the second op Beside or Wavefront emitted
  // Per run: barriers passed and operations done (ir::WorkOf), each op counted once per
  // step of the scans around it (trip_).
  double barriers_ = 0, work_ = 0, trip_ = 1;
  // A barrier costs about a microsecond; less work than this between two (per thread,
  // on two) is slower shared than on one core: the char-RNN's training step, ~8k, ran
  // 0.075 ms on one thread and 0.12 on two; the streaming LSTM(256) step, ~300k, 1.7x
  // faster on two.
  static constexpr double kWorkPerBarrier = 50e3;
  static constexpr double kSmallWork = 16e3;
  Value* scratch_ = nullptr;
  int64_t scratch_bytes_ = kArenaHeaderBytes;
  std::unordered_map<const ir::Value*, Value*> ptr_;
  std::unordered_map<Value*, Slot> slots_;      // arena buffers by their pointer
  std::unordered_map<Value*, int> holders_;     // live values in each
  std::unordered_map<Value*, Value*> part_of_;  // see Whole
  std::map<const ir::Op*, int64_t> summing_;    // all_reduce ops started and not waited for, with their ids
  int64_t sums_started_ = 0;                    // and those waited for
  std::unordered_set<const ir::Value*> held_;
  std::unordered_map<const ir::Value*, Value*> preassigned_;  // see Dest
  GemmEmitter gemm_;
  std::string triple_;
  bool always_threaded_;
  std::map<PackedKey, Value*> packed_;  // see PackInvariantWeights
  struct ParameterPack {
    GemmPlan plan;
    Value* buffer;
  };
  std::map<PackedKey, ParameterPack> parameter_packs_;      // see PackParameters
  std::unordered_map<const ir::Op*, int> top_level_index_;  // ops of the function's body
  std::unordered_map<std::string, int> first_store_;        // the index of each global's first store
  std::unordered_map<const ir::Op*, Epilogue> epilogue_;    // products a fused loop may compute (EpilogueOf)
  struct DeferredProduct {
    GemmPlan plan;
    Value *a, *b, *c;  // A, B's packed panels, C
    std::vector<int64_t> starts;
  };
  std::unordered_map<const ir::Op*, std::vector<DeferredProduct>> pending_;  // by the fused loop
  llvm::MDNode* written_scope_ = nullptr;        // inside a fusion loop: the scope of its stores
  std::unordered_set<Value*> updated_in_place_;  // inside a fusion loop: operands it writes
  std::vector<Slot> free_;                       // sorted by offset
  std::vector<Value*> outputs_;
  std::unordered_map<std::string, Value*> globals_;
};

}  // namespace

absl::Status EmitFunction(const ir::Module& module, const ir::Function& fn, const std::string& symbol,
                          const EmitOptions& options, llvm::Module& out, BufferLayout* layout) {
  Emitter emitter(module, out.getContext(), out, options);
  return emitter.EmitFunction(fn, symbol, layout);
}

}  // namespace loom::codegen
