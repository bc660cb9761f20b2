// How generated code computes one matrix product C[M,N] = op(A)·op(B) for a target: the
// register tile and the K block. BLIS's structure (Van Zee & van de Geijn 2015; Low et
// al. 2016): a tile of C, mr rows × nv vectors, lives in registers while it streams over
// K, taking one broadcast element of A per row and nv vectors of a B panel per step. The
// tile comes from the target's vector width and register count; among the tiles that
// fit, a small cost model picks the one that covers this product's static M and N in the
// fewest cycles (a tile that does not divide M or N pays for its padding).
#ifndef LOOM_COMPILER_CODEGEN_GEMM_PLAN_H_
#define LOOM_COMPILER_CODEGEN_GEMM_PLAN_H_

#include <algorithm>
#include <cstdint>
#include <string>

#include "loom/dtype.h"

namespace loom::codegen {

// The vector registers of a target, as its TargetTransformInfo reports them.
struct VectorRegisters {
  int bits = 128;   // the widest fixed-width vector register
  int count = 16;   // how many there are
  bool fma = true;  // a fused multiply-add (without, each product needs a register)
};

struct GemmShape {
  int64_t m = 0, n = 0, k = 0;
  bool trans_a = false, trans_b = false;
  DType dtype = DType::kF32;
};

// Row tiles of mr rows (the last one M % mr rows) against column panels of nr = nv·lanes
// columns. B packed is [ceil(N/nr)][K][nr], zero past column N, so a panel's row is nr
// contiguous elements; panels are the unit work is split by across threads. A tile with
// too few accumulators to hide the FMA latency splits K into interleaved partial sums.
struct GemmPlan {
  GemmShape shape;
  int lanes = 4;       // elements per vector
  int mr = 1;          // rows of the main tile
  int nv = 1;          // vectors per tile row
  int split = 1;       // partial sums of the main tile (K steps in flight)
  int tail_split = 1;  // the same for the last M % mr rows
  int64_t kc = 1;      // the K block: a panel's kc rows stay in cache for every row tile
  // The loop over row tiles outside the loop over panels: there are more tiles.
  bool rows_outside = false;
  // op(A) = Aᵀ: each row tile's rows over the K block are copied into a small buffer
  // first (rows_outside), which every panel then reads contiguously from L1.
  bool pack_a = false;

  int64_t nr() const { return int64_t{nv} * lanes; }
  int64_t tail_rows() const { return shape.m % mr; }
  int64_t num_panels() const { return (shape.n + nr() - 1) / nr(); }
  int64_t num_row_tiles() const { return (shape.m + mr - 1) / mr; }
  // What threads share: a row tile × a panel, ordered by the kernel's outer loop (row
  // tiles when rows_outside, else panels) — one thread's units are then whole outer
  // lines but for its first and last.
  int64_t num_units() const { return num_panels() * num_row_tiles(); }
  int64_t packed_b_elements() const { return num_panels() * nr() * shape.k; }
  // What the packed panels take in an arena (at least 1).
  int64_t packed_b_bytes() const {
    return std::max<int64_t>(1, packed_b_elements() * static_cast<int64_t>(DTypeSize(shape.dtype)));
  }
  // e.g. "f32 32x1024x256 nt, tile 6x64, kc 256": for kernel names and tests.
  std::string ToString() const;
};

GemmPlan PlanGemm(const GemmShape& shape, const VectorRegisters& registers);

// Partial sums for a tile of `rows` × `nv` vectors: enough independent FMA chains to
// cover the FMA latency, as many as the registers hold.
int SplitFor(int rows, int nv, const VectorRegisters& registers);

}  // namespace loom::codegen

#endif  // LOOM_COMPILER_CODEGEN_GEMM_PLAN_H_
