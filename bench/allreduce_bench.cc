// The all-reduce a data-parallel training step makes, alone: `mpirun -np N
// allreduce_bench` sums buffers of 4 KiB to 8 MiB over the ranks through loom::World
// (what compiled training steps call) and prints, from rank 0, each size's median time
// — the latency α and the bandwidth of docs/DISTRIBUTED.md's cost model.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "loom/world.h"
#include "support/collectives.h"

int main() {
  auto world = loom::World::Join();
  if (!world.ok()) {
    std::fprintf(stderr, "allreduce_bench: %s\n", std::string(world.status().message()).c_str());
    return 1;
  }
  loom::Collectives& c = (*world)->collectives();
  if ((*world)->rank() == 0) std::printf("%d ranks\n%12s %12s %12s\n", (*world)->size(), "bytes", "median us", "GB/s");
  for (int64_t bytes = 4096; bytes <= (int64_t{8} << 20); bytes *= 4) {
    std::vector<float> data(bytes / 4, 1.0f);
    std::vector<double> times;
    for (int rep = 0; rep < 25; ++rep) {
      auto start = std::chrono::steady_clock::now();
      absl::Status s = loom::AllReduce(c, data.data(), static_cast<int64_t>(data.size()), loom::DType::kF32);
      times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      if (!s.ok()) {
        std::fprintf(stderr, "allreduce_bench: %s\n", std::string(s.message()).c_str());
        return 1;
      }
    }
    std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
    double median = times[times.size() / 2];
    if ((*world)->rank() == 0)
      std::printf("%12lld %12.1f %12.2f\n", static_cast<long long>(bytes), 1e6 * median, bytes / median / 1e9);
  }
  return 0;
}
