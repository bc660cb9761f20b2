// compare_checkpoints A B TOLERANCE: every tensor of two checkpoints (parameters,
// optimizer state, carried state, counters), each float tensor's largest difference
// relative to its largest magnitude; exit 1 when one exceeds TOLERANCE (0: bit for
// bit), or when the two hold different tensors or shapes.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "loom/checkpoint.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: compare_checkpoints A B TOLERANCE\n");
    return 2;
  }
  auto a = loom::LoadCheckpoint(argv[1]), b = loom::LoadCheckpoint(argv[2]);
  if (!a.ok() || !b.ok()) {
    std::fprintf(stderr, "%s\n", std::string((a.ok() ? b : a).status().message()).c_str());
    return 1;
  }
  double tolerance = std::atof(argv[3]), worst = 0;
  bool failed = a->tensors.size() != b->tensors.size();
  for (const auto& [name, x] : a->tensors) {
    const loom::Tensor* y = b->Find(name);
    if (y == nullptr || y->shape() != x.shape() || y->dtype() != x.dtype()) {
      std::printf("%s: not in both, or shaped differently\n", name.c_str());
      failed = true;
      continue;
    }
    double diff = 0, scale = 0;
    for (int64_t i = 0; i < x.num_elements(); ++i) {
      diff = std::max(diff, std::abs(x.GetDouble(i) - y->GetDouble(i)));
      scale = std::max(scale, std::abs(y->GetDouble(i)));
    }
    double relative = diff == 0 ? 0 : diff / std::max(scale, 1e-30);
    bool same_bits = std::memcmp(x.raw_data(), y->raw_data(), x.byte_size()) == 0;
    std::printf("%-28s %.3g%s\n", name.c_str(), relative, same_bits ? " (same bits)" : "");
    worst = std::max(worst, relative);
    failed |= tolerance == 0 ? !same_bits : relative > tolerance;
  }
  std::printf("largest relative difference %.3g (tolerance %g)\n", worst, tolerance);
  return failed ? 1 : 0;
}
