#include "compiler/codegen/gemm_emitter.h"

#include <algorithm>
#include <array>
#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "compiler/codegen/loops.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/Module.h"

namespace loom::codegen {
namespace {

using llvm::Value;

// B in place is read from cache by every row tile when all of it fits here.
constexpr int64_t kInPlaceBytes = 512 << 10;

// The body of one kernel: K blocks, panels, row tiles, each tile a K loop whose
// accumulators are phi nodes.
class KernelBuilder {
 public:
  KernelBuilder(const GemmPlan& plan, bool packed, llvm::LLVMContext& ctx)
      : plan_(plan), s_(plan.shape), packed_(packed), b_(ctx) {
    elem_ = s_.dtype == DType::kF64 ? b_.getDoubleTy() : b_.getFloatTy();
    vec_ = llvm::FixedVectorType::get(elem_, plan.lanes);
    es_ = static_cast<int64_t>(DTypeSize(s_.dtype));
  }

  // The K blocks, the first one storing into C and the others adding to it.
  void Build(llvm::Function* f) {
    a_ = f->getArg(0), bm_ = f->getArg(1), c_ = f->getArg(2);
    b_.SetInsertPoint(llvm::BasicBlock::Create(f->getContext(), "entry", f));
    if (plan_.pack_a) {
      llvm::AllocaInst* buffer = b_.CreateAlloca(elem_, I64(plan_.kc * plan_.mr));
      buffer->setAlignment(llvm::Align(64));
      tile_a_ = buffer;
    }
    Region region{f->getArg(3), f->getArg(4), f->getArg(5), f->getArg(6)};
    int64_t full = s_.k / plan_.kc, rest = s_.k % plan_.kc;
    if (full >= 1) Block(I64(0), plan_.kc, /*accumulate=*/false, region);
    if (full >= 2) {
      EmitFor(b_, I64(1), I64(full),
              [&](Value* kb) { Block(b_.CreateMul(kb, I64(plan_.kc)), plan_.kc, true, region); });
    }
    if (rest > 0) Block(I64(full * plan_.kc), rest, full > 0, region);
    b_.CreateRetVoid();
  }

 private:
  Value* I64(int64_t v) { return b_.getInt64(v); }

  // The panels [p0, p1) × the row tiles [t0, t1) a call computes.
  struct Region {
    Value *p0, *p1, *t0, *t1;
  };

  // K rows [k0, k0 + kc) of the region. The loop over what there is more of goes
  // inside, so that the other's operand (a B panel, a row tile of A) is reused from L1
  // across it: panels inside for a tall product (a weight gradient, [4H, I] over T·B
  // rows), row tiles inside for a wide one (the gates at batch 32).
  void Block(Value* k0, int64_t kc, bool accumulate, const Region& r) {
    auto tile = [&](Value* t, int rows, int split, Value* panel, int64_t width) {
      Tile(t, rows, split, panel, width, k0, kc, accumulate);
    };
    if (plan_.rows_outside) {
      ForRowTiles(r.t0, r.t1, [&](Value* t, int rows, int split) {
        if (plan_.pack_a) PackTile(t, rows, k0, kc);
        ForPanels(r.p0, r.p1, [&](Value* panel, int64_t width) { tile(t, rows, split, panel, width); });
      });
    } else {
      ForPanels(r.p0, r.p1, [&](Value* panel, int64_t width) {
        ForRowTiles(r.t0, r.t1, [&](Value* t, int rows, int split) { tile(t, rows, split, panel, width); });
      });
    }
  }

  // body(i, false) for i in [begin, min(end, full)), then body(full, true) when there is
  // a narrower last one (`edge`) and it is in the range.
  void ForRange(Value* begin, Value* end, int64_t full, bool edge, const std::function<void(Value*, bool)>& body) {
    Value* full_end = b_.CreateSelect(b_.CreateICmpSLT(end, I64(full)), end, I64(full));
    EmitFor(b_, begin, full_end, [&](Value* i) { body(i, false); });
    if (!edge) return;
    llvm::Function* f = b_.GetInsertBlock()->getParent();
    auto* last = llvm::BasicBlock::Create(b_.getContext(), "edge", f);
    auto* done = llvm::BasicBlock::Create(b_.getContext(), "edge_done", f);
    b_.CreateCondBr(b_.CreateAnd(b_.CreateICmpSLE(begin, I64(full)), b_.CreateICmpSGT(end, I64(full))), last, done);
    b_.SetInsertPoint(last);
    body(I64(full), true);
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
  }

  // body(panel, width) for the panels [p0, p1): the full-width ones, then the last,
  // narrower one when N is not a multiple of nr.
  void ForPanels(Value* p0, Value* p1, const std::function<void(Value*, int64_t)>& body) {
    int64_t nr = plan_.nr(), width = s_.n % nr;
    ForRange(p0, p1, s_.n / nr, width > 0, [&](Value* p, bool edge) { body(p, edge ? width : nr); });
  }

  // body(tile, rows, partial sums) for the row tiles [t0, t1): the full ones, then the
  // last M % mr rows.
  void ForRowTiles(Value* t0, Value* t1, const std::function<void(Value*, int, int)>& body) {
    int64_t tail = plan_.tail_rows();
    // One row tile (batch 1) is always called whole: its units are the panels. Known,
    // the tile's loop goes away; left to the arguments, it cost the streaming LSTM step
    // 31 -> 42 µs on one thread.
    if (plan_.num_row_tiles() == 1) t0 = I64(0), t1 = I64(1);
    ForRange(t0, t1, s_.m / plan_.mr, tail > 0, [&](Value* t, bool edge) {
      if (edge) return body(t, static_cast<int>(tail), plan_.tail_split);
      body(t, plan_.mr, plan_.split);
    });
  }

  // Row tile `tile` (its first `rows` rows) × the panel's first `width` columns, over K
  // rows [k0, k0 + kc), in `split` interleaved partial sums.
  void Tile(Value* tile, int rows, int split, Value* panel, int64_t width, Value* k0, int64_t kc, bool accumulate) {
    Value* row0 = b_.CreateMul(tile, I64(plan_.mr));
    int nvec = static_cast<int>((width + plan_.lanes - 1) / plan_.lanes);
    int per_set = rows * nvec;
    Carried acc(static_cast<size_t>(split) * per_set, llvm::Constant::getNullValue(vec_));
    auto step = [&](Carried& sums, int set, Value* k) {
      std::vector<Value*> bv;
      for (int v = 0; v < nvec; ++v) bv.push_back(LoadB(panel, k, v, width));
      for (int i = 0; i < rows; ++i) {
        Value* av = b_.CreateVectorSplat(plan_.lanes, LoadA(row0, i, k, k0));
        for (int v = 0; v < nvec; ++v) {
          Value*& sum = sums[set * per_set + i * nvec + v];
          sum = b_.CreateIntrinsic(llvm::Intrinsic::fmuladd, {vec_}, {av, bv[v], sum});
        }
      }
    };
    int64_t groups = kc / split, rest = kc % split;
    acc = EmitLoop(b_, I64(0), I64(groups), acc, [&](Value* g, const Carried& in) {
      Carried sums = in;
      Value* base = b_.CreateAdd(k0, b_.CreateMul(g, I64(split)));
      for (int set = 0; set < split; ++set) step(sums, set, b_.CreateAdd(base, I64(set)));
      return sums;
    });
    for (int64_t r = 0; r < rest; ++r) step(acc, 0, b_.CreateAdd(k0, I64(groups * split + r)));
    for (int set = 1; set < split; ++set) {
      for (int j = 0; j < per_set; ++j) acc[j] = b_.CreateFAdd(acc[j], acc[set * per_set + j]);
    }
    for (int i = 0; i < rows; ++i) {
      for (int v = 0; v < nvec; ++v) {
        Value* at = b_.CreateAdd(b_.CreateMul(b_.CreateAdd(row0, I64(i)), I64(s_.n)),
                                 b_.CreateAdd(b_.CreateMul(panel, I64(plan_.nr())), I64(v * plan_.lanes)));
        Value* ptr = b_.CreateGEP(elem_, c_, at);
        int64_t valid = std::min<int64_t>(plan_.lanes, width - v * plan_.lanes);
        Value* sum = acc[i * nvec + v];
        if (accumulate) sum = b_.CreateFAdd(sum, LoadVector(ptr, valid, es_));
        StoreVector(sum, ptr, valid);
      }
    }
  }

  // Vector v of row k of a panel: packed (zero-padded, aligned) or B's own row.
  Value* LoadB(Value* panel, Value* k, int v, int64_t width) {
    if (packed_) {
      Value* at = b_.CreateAdd(b_.CreateMul(b_.CreateAdd(b_.CreateMul(panel, I64(s_.k)), k), I64(plan_.nr())),
                               I64(v * plan_.lanes));
      return b_.CreateAlignedLoad(vec_, b_.CreateGEP(elem_, bm_, at), llvm::Align(plan_.lanes * es_));
    }
    Value* at = b_.CreateAdd(b_.CreateMul(k, I64(s_.n)),
                             b_.CreateAdd(b_.CreateMul(panel, I64(plan_.nr())), I64(v * plan_.lanes)));
    return LoadVector(b_.CreateGEP(elem_, bm_, at), std::min<int64_t>(plan_.lanes, width - v * plan_.lanes), es_);
  }

  // Element (row0 + i, k) of op(A): from A as stored, or from the tile's packed rows.
  Value* LoadA(Value* row0, int i, Value* k, Value* k0) {
    if (plan_.pack_a) {
      Value* at = b_.CreateAdd(b_.CreateMul(b_.CreateSub(k, k0), I64(plan_.mr)), I64(i));
      return b_.CreateAlignedLoad(elem_, b_.CreateGEP(elem_, tile_a_, at), llvm::Align(es_));
    }
    Value* row = b_.CreateAdd(row0, I64(i));
    Value* at =
        s_.trans_a ? b_.CreateAdd(b_.CreateMul(k, I64(s_.m)), row) : b_.CreateAdd(b_.CreateMul(row, I64(s_.k)), k);
    return b_.CreateAlignedLoad(elem_, b_.CreateGEP(elem_, a_, at), llvm::Align(es_));
  }

  // Row tile t's rows of Aᵀ over K rows [k0, k0 + kc) into the tile buffer: kc × mr
  // contiguous elements that every panel then reads from L1. In place, each K step reads
  // another line of A, and A's rows 4 KB apart fall into one L1 set.
  void PackTile(Value* t, int rows, Value* k0, int64_t kc) {
    Value* row0 = b_.CreateMul(t, I64(plan_.mr));
    EmitFor(b_, I64(0), I64(kc), [&](Value* dk) {
      Value* from = b_.CreateAdd(b_.CreateMul(b_.CreateAdd(k0, dk), I64(s_.m)), row0);
      b_.CreateMemCpy(b_.CreateGEP(elem_, tile_a_, b_.CreateMul(dk, I64(plan_.mr))), llvm::MaybeAlign(es_),
                      b_.CreateGEP(elem_, a_, from), llvm::MaybeAlign(es_), rows * es_);
    });
  }

  // The first `valid` lanes at ptr (the rest zero).
  Value* LoadVector(Value* ptr, int64_t valid, int64_t align) {
    if (valid == plan_.lanes) return b_.CreateAlignedLoad(vec_, ptr, llvm::Align(align));
    return b_.CreateMaskedLoad(vec_, ptr, llvm::Align(align), Mask(valid), llvm::Constant::getNullValue(vec_));
  }
  void StoreVector(Value* v, Value* ptr, int64_t valid) {
    if (valid == plan_.lanes) {
      b_.CreateAlignedStore(v, ptr, llvm::Align(es_));
    } else {
      b_.CreateMaskedStore(v, ptr, llvm::Align(es_), Mask(valid));
    }
  }
  Value* Mask(int64_t valid) {
    std::vector<llvm::Constant*> bits;
    for (int l = 0; l < plan_.lanes; ++l) bits.push_back(b_.getInt1(l < valid));
    return llvm::ConstantVector::get(bits);
  }

  const GemmPlan& plan_;
  const GemmShape& s_;
  bool packed_;
  llvm::IRBuilder<> b_;
  llvm::Type* elem_;
  llvm::FixedVectorType* vec_;
  int64_t es_;
  Value *a_ = nullptr, *bm_ = nullptr, *c_ = nullptr;
  Value* tile_a_ = nullptr;  // with pack_a: the row tile's rows of Aᵀ over the K block
};

std::string Describe(const GemmPlan& p) { return absl::StrReplaceAll(p.ToString(), {{" ", "."}, {",", ""}}); }

llvm::Function* NewFunction(llvm::Module& m, const std::string& name, llvm::FunctionType* type) {
  llvm::Function* f = llvm::Function::Create(type, llvm::Function::InternalLinkage, name, m);
  f->addFnAttr(llvm::Attribute::NoUnwind);
  return f;
}

}  // namespace

GemmEmitter::GemmEmitter(llvm::Module& module, const VectorRegisters& registers)
    : module_(module), registers_(registers) {}

bool GemmEmitter::ReadsBInPlace(const GemmPlan& plan) {
  const GemmShape& s = plan.shape;
  return !s.trans_b && (s.m <= plan.mr || s.k * s.n * static_cast<int64_t>(DTypeSize(s.dtype)) <= kInPlaceBytes);
}

llvm::Function* GemmEmitter::Kernel(const GemmPlan& plan, bool packed) {
  std::string name = absl::StrCat("loom.gemm.", Describe(plan), packed ? ".packed" : ".inplace");
  if (llvm::Function* f = module_.getFunction(name)) return f;
  llvm::LLVMContext& ctx = module_.getContext();
  llvm::Type* ptr = llvm::PointerType::get(ctx, 0);
  llvm::Type* i64 = llvm::Type::getInt64Ty(ctx);
  llvm::Function* f = NewFunction(
      module_, name, llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptr, ptr, ptr, i64, i64, i64, i64}, false));
  // A kernel is one function in the assembly (what --emit=asm tests look at), and
  // products of one shape share it.
  f->addFnAttr(llvm::Attribute::NoInline);
  for (int i = 0; i < 3; ++i) f->addParamAttr(i, llvm::Attribute::NoAlias);
  KernelBuilder(plan, packed, ctx).Build(f);
  return f;
}

void GemmEmitter::EmitProduct(llvm::IRBuilder<>& b, const GemmPlan& plan, Value* a, Value* bdata, bool packed,
                              Value* c) {
  const GemmShape& s = plan.shape;
  if (s.m == 0 || s.n == 0) return;
  if (s.k == 0) {
    b.CreateMemSet(c, b.getInt8(0), s.m * s.n * static_cast<int64_t>(DTypeSize(s.dtype)), llvm::MaybeAlign(1));
    return;
  }
  EmitPanels(b, plan, a, bdata, packed, c, b.getInt64(0), b.getInt64(plan.num_panels()));
}

void GemmEmitter::EmitPanels(llvm::IRBuilder<>& b, const GemmPlan& plan, Value* a, Value* bdata, bool packed, Value* c,
                             Value* first, Value* end) {
  b.CreateCall(Kernel(plan, packed), {a, bdata, c, first, end, b.getInt64(0), b.getInt64(plan.num_row_tiles())});
}

// The units [first, end) of the grid, outer-major: the rest of the first outer line, the
// whole lines between, the start of the last — up to three calls, each made only when
// its region is not empty (a call would pack its row tiles of Aᵀ for nothing).
void GemmEmitter::EmitUnits(llvm::IRBuilder<>& b, const GemmPlan& plan, Value* a, Value* bdata, bool packed, Value* c,
                            Value* first, Value* end) {
  int64_t inner = plan.rows_outside ? plan.num_panels() : plan.num_row_tiles();
  auto I64 = [&](int64_t v) { return b.getInt64(v); };
  auto call = [&](Value* outer_begin, Value* outer_end, Value* inner_begin, Value* inner_end) {
    std::array<Value*, 4> region = plan.rows_outside
                                       ? std::array<Value*, 4>{inner_begin, inner_end, outer_begin, outer_end}
                                       : std::array<Value*, 4>{outer_begin, outer_end, inner_begin, inner_end};
    // Laid out after this block, so that the caller's code reads in order.
    llvm::BasicBlock* here = b.GetInsertBlock();
    auto* done = llvm::BasicBlock::Create(b.getContext(), "units_done", here->getParent(), here->getNextNode());
    auto* some = llvm::BasicBlock::Create(b.getContext(), "units", here->getParent(), done);
    b.CreateCondBr(b.CreateAnd(b.CreateICmpSLT(outer_begin, outer_end), b.CreateICmpSLT(inner_begin, inner_end)), some,
                   done);
    b.SetInsertPoint(some);
    b.CreateCall(Kernel(plan, packed), {a, bdata, c, region[0], region[1], region[2], region[3]});
    b.CreateBr(done);
    b.SetInsertPoint(done);
  };
  if (inner == 1) return call(first, end, I64(0), I64(1));  // the units are outer lines
  Value *o0 = b.CreateUDiv(first, I64(inner)), *i0 = b.CreateURem(first, I64(inner));
  Value *o1 = b.CreateUDiv(end, I64(inner)), *i1 = b.CreateURem(end, I64(inner));
  Value* one_line = b.CreateICmpEQ(o0, o1);
  Value* after_first = b.CreateAdd(o0, I64(1));
  call(o0, after_first, i0, b.CreateSelect(one_line, i1, I64(inner)));
  call(after_first, o1, I64(0), I64(inner));
  call(o1, b.CreateAdd(o1, I64(1)), I64(0), b.CreateSelect(one_line, I64(0), i1));
}

llvm::Function* GemmEmitter::Packer(const GemmPlan& plan) {
  const GemmShape& s = plan.shape;
  // The layout depends only on N, K, nr and the transpose, not on M or the tile's rows.
  std::string name =
      absl::StrCat("loom.pack.", DTypeName(s.dtype), ".", s.k, "x", s.n, s.trans_b ? ".t" : ".n", ".nr", plan.nr());
  if (llvm::Function* f = module_.getFunction(name)) return f;
  llvm::LLVMContext& ctx = module_.getContext();
  llvm::Type* ptr = llvm::PointerType::get(ctx, 0);
  llvm::Type* i64 = llvm::Type::getInt64Ty(ctx);
  llvm::Function* f =
      NewFunction(module_, name, llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptr, ptr, i64, i64}, false));
  f->addParamAttr(0, llvm::Attribute::NoAlias);
  f->addParamAttr(1, llvm::Attribute::NoAlias);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", f));
  llvm::Type* elem = s.dtype == DType::kF64 ? b.getDoubleTy() : b.getFloatTy();
  Value *src = f->getArg(0), *dst = f->getArg(1), *first = f->getArg(2), *end = f->getArg(3);
  int64_t nr = plan.nr(), full = s.n / nr;
  auto I64 = [&](int64_t v) { return b.getInt64(v); };
  // Panel p, its first `width` columns copied and the rest zero. Transposed, B's rows
  // are the panel's columns: read along them.
  auto panel = [&](Value* p, int64_t width) {
    Value* base = b.CreateMul(p, I64(s.k * nr));
    auto copy = [&](Value* k, Value* j) {
      Value* col = b.CreateAdd(b.CreateMul(p, I64(nr)), j);
      Value* from = s.trans_b ? b.CreateAdd(b.CreateMul(col, I64(s.k)), k) : b.CreateAdd(b.CreateMul(k, I64(s.n)), col);
      Value* to = b.CreateAdd(base, b.CreateAdd(b.CreateMul(k, I64(nr)), j));
      b.CreateStore(b.CreateLoad(elem, b.CreateGEP(elem, src, from)), b.CreateGEP(elem, dst, to));
    };
    if (s.trans_b) {
      EmitFor(b, I64(0), I64(width), [&](Value* j) { EmitFor(b, I64(0), I64(s.k), [&](Value* k) { copy(k, j); }); });
    } else {
      EmitFor(b, I64(0), I64(s.k), [&](Value* k) { EmitFor(b, I64(0), I64(width), [&](Value* j) { copy(k, j); }); });
    }
    EmitFor(b, I64(0), I64(s.k), [&](Value* k) {
      EmitFor(b, I64(width), I64(nr), [&](Value* j) {
        b.CreateStore(llvm::Constant::getNullValue(elem),
                      b.CreateGEP(elem, dst, b.CreateAdd(base, b.CreateAdd(b.CreateMul(k, I64(nr)), j))));
      });
    });
  };
  EmitFor(b, first, b.CreateBinaryIntrinsic(llvm::Intrinsic::smin, end, I64(full)), [&](Value* p) { panel(p, nr); });
  if (s.n % nr) {
    llvm::BasicBlock* last = llvm::BasicBlock::Create(ctx, "last_panel", f);
    llvm::BasicBlock* done = llvm::BasicBlock::Create(ctx, "done", f);
    b.CreateCondBr(b.CreateAnd(b.CreateICmpSLE(first, I64(full)), b.CreateICmpSGT(end, I64(full))), last, done);
    b.SetInsertPoint(last);
    panel(I64(full), s.n % nr);
    b.CreateBr(done);
    b.SetInsertPoint(done);
  }
  b.CreateRetVoid();
  return f;
}

void GemmEmitter::EmitPack(llvm::IRBuilder<>& b, const GemmPlan& plan, Value* bdata, Value* packed) {
  EmitPackPanels(b, plan, bdata, packed, b.getInt64(0), b.getInt64(plan.num_panels()));
}

void GemmEmitter::EmitPackPanels(llvm::IRBuilder<>& b, const GemmPlan& plan, Value* bdata, Value* packed, Value* first,
                                 Value* end) {
  if (plan.packed_b_elements() == 0) return;
  b.CreateCall(Packer(plan), {bdata, packed, first, end});
}

}  // namespace loom::codegen
