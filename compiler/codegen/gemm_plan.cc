#include "compiler/codegen/gemm_plan.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"

namespace loom::codegen {
namespace {

// A core of today's x86 and AArch64 designs: two FMA pipes of 4 cycles' latency, two
// loads per cycle. Only the ranking of tiles depends on these.
constexpr double kFmaPerCycle = 2, kLoadsPerCycle = 2, kFmaLatency = 4;
// Independent accumulators needed to keep both FMA pipes busy.
constexpr int kChains = static_cast<int>(kFmaPerCycle * kFmaLatency);
// A B panel of this many bytes or fewer is read from L1/L2 fast enough for any tile; a
// longer K is blocked so that the panel's rows in use stay there.
constexpr int64_t kPanelBytes = 64 << 10;
// Panels from which packing Aᵀ pays (see PlanGemm).
constexpr int64_t kPackAPanels = 2;
// Threads share a product by its panels (emitter.cc): one this large gets at least
// kSharedPanels where N allows, or one thread computes it while the others wait — the
// SentimentLSTM's [1024, 100] embedding-projection gradient was one 112-wide panel.
constexpr double kSharedWork = 1e6;
constexpr int64_t kSharedPanels = 4;

// Registers a tile occupies: accumulators, one row of B, the broadcast element of A,
// and the product when there is no fused multiply-add.
int RegistersFor(int rows, int nv, int split, const VectorRegisters& r) {
  return split * rows * nv + nv + 1 + (r.fma ? 0 : 1);
}

// Cycles per K step of a tile: bound by the FMA pipes, by the loads (nv vectors of B,
// one element of A per row) or by the FMA latency across its partial sums.
double CyclesPerStep(int rows, int nv, int split) {
  double fma = rows * nv / kFmaPerCycle, loads = (rows + nv) / kLoadsPerCycle, latency = kFmaLatency / split;
  return std::max({fma, loads, latency});
}

}  // namespace

int SplitFor(int rows, int nv, const VectorRegisters& registers) {
  if (rows <= 0) return 1;
  int split = 1;
  while (split * rows * nv < kChains && RegistersFor(rows, nv, split + 1, registers) <= registers.count) ++split;
  return split;
}

std::string GemmPlan::ToString() const {
  return absl::StrCat(DTypeName(shape.dtype), " ", shape.m, "x", shape.n, "x", shape.k, " ", shape.trans_a ? "t" : "n",
                      shape.trans_b ? "t" : "n", ", tile ", mr, "x", nr(), ", kc ", kc);
}

GemmPlan PlanGemm(const GemmShape& shape, const VectorRegisters& registers) {
  GemmPlan best;
  best.shape = shape;
  best.lanes = std::max<int>(1, registers.bits / 8 / static_cast<int>(DTypeSize(shape.dtype)));
  double best_cycles = std::numeric_limits<double>::infinity(), best_loads = 0;
  int64_t m = std::max<int64_t>(shape.m, 1), n = std::max<int64_t>(shape.n, 1);
  int64_t min_panels =
      2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(shape.k) >= kSharedWork
          ? std::min(kSharedPanels, (n + best.lanes - 1) / best.lanes)
          : 1;
  for (int nv = 1; nv <= 8; ++nv) {
    for (int mr = 1; mr <= 32; ++mr) {
      if (RegistersFor(mr, nv, 1, registers) > registers.count) break;
      if (mr > m) break;  // a taller tile than the product computes only padding
      GemmPlan p = best;
      p.mr = mr;
      p.nv = nv;
      p.split = SplitFor(mr, nv, registers);
      p.tail_split = SplitFor(static_cast<int>(m % mr), nv, registers);
      int64_t panels = (n + p.nr() - 1) / p.nr();
      if (panels < min_panels) break;  // wider tiles have fewer
      double per_panel = static_cast<double>(m / mr) * CyclesPerStep(mr, nv, p.split);
      if (m % mr) per_panel += CyclesPerStep(static_cast<int>(m % mr), nv, p.tail_split);
      double cycles = static_cast<double>(panels) * per_panel;
      // Among equally fast tiles, the one that loads least per FMA leaves the most
      // bandwidth to the caches.
      double loads = static_cast<double>(mr + nv) / (mr * nv);
      if (cycles < best_cycles * 0.999 || (cycles <= best_cycles * 1.001 && loads < best_loads)) {
        best = p;
        best_cycles = cycles;
        best_loads = loads;
      }
    }
  }
  int64_t k = std::max<int64_t>(shape.k, 1);
  int64_t panel_row_bytes = best.nr() * static_cast<int64_t>(DTypeSize(shape.dtype));
  int64_t blocks = (k * panel_row_bytes + kPanelBytes - 1) / kPanelBytes;
  best.kc = (k + blocks - 1) / blocks;  // equal blocks rather than a short last one
  best.rows_outside = (m + best.mr - 1) / best.mr > best.num_panels();
  // Aᵀ read in place costs a cache line per K step of every tile, for every panel (and
  // rows of A 4 KB apart share one L1 set); packed, one pass over A. That pays from two
  // panels on: a weight gradient's [1024, 256] over K = 1600 went from 11.8 to 9.5 ms
  // with AVX2's 16 panels; the SentimentLSTM's training step with AVX-512's 4 panels
  // from 95.8 to 94.0 ms (medians of 8).
  best.pack_a = shape.trans_a && best.rows_outside && best.num_panels() >= kPackAPanels;
  return best;
}

}  // namespace loom::codegen
