// Drawing characters from a language model's output, shared by `loom sample` and the
// programs `loomc --emit=exe` generates (which embed this file's text), so that both
// draw the same text for the same seed. Header-only, standard C++ only.
#ifndef LOOM_RUNTIME_SAMPLING_H_
#define LOOM_RUNTIME_SAMPLING_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace loom_sampling {

// Uniform doubles in [0, 1) from SplitMix64: the same sequence on every platform.
class Uniform {
 public:
  explicit Uniform(uint64_t seed) : state_(seed) {}
  double operator()() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return static_cast<double>((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
  }

 private:
  uint64_t state_;
};

// Draws an id from one output row — probabilities, or logits when `probs` is false —
// sharpened (temperature < 1) or flattened (> 1).
inline int64_t Draw(const float* row, int64_t v, bool probs, double temperature, Uniform& uniform) {
  std::vector<double> w(v);
  double mx = -INFINITY;
  for (int64_t i = 0; i < v; ++i) {
    w[i] = (probs ? std::log(std::max(static_cast<double>(row[i]), 1e-30)) : row[i]) / temperature;
    mx = std::max(mx, w[i]);
  }
  double sum = 0;
  for (double& x : w) sum += (x = std::exp(x - mx));
  double u = uniform() * sum;
  for (int64_t i = 0; i < v; ++i) {
    if ((u -= w[i]) < 0) return i;
  }
  return v - 1;
}

}  // namespace loom_sampling

#endif  // LOOM_RUNTIME_SAMPLING_H_
