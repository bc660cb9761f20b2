// The recurrent parts of bench/model_bench.cc's workloads with oneDNN's RNN primitives
// (Debian's libdnnl-dev 2.6), one thread, for ratios against Loom in the same run:
// the SentimentLSTM's two LSTM layers (100→256, 256→256; 50 steps, batch 32) for
// inference and for training (forward_training then backward), a streaming LSTM(256)
// step and 100 steps at batch 1, the char-RNN's tanh RNN (65→100, 25 steps, batch 1)
// and the gate-by-gate GRU as oneDNN's linear-before-reset GRU (PyTorch's GRU; 64→128,
// 32 steps, batch 16) for training. Only the primitives are timed: weights are in the
// primitives' own formats before the timed loop (a training framework reorders them
// after every update), so the comparison is as hard on Loom as it can be. The rest of
// each model (embedding, head, loss, optimizer) is Loom's alone.
// Run: OMP_NUM_THREADS=1 build/bench/onednn_bench
//      OMP_NUM_THREADS=1 ONEDNN_MAX_CPU_ISA=AVX2 build/bench/onednn_bench
#include <cstring>
#include <random>
#include <vector>

#include "benchmark/benchmark.h"
#include "oneapi/dnnl/dnnl.hpp"

namespace {

using dnnl::memory;
using Tag = memory::format_tag;

enum class Cell { kTanh, kLstm, kLbrGru };

dnnl::engine& Engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

// A memory of `desc` (a plain format), filled with small random values.
memory Filled(const memory::desc& desc, uint32_t seed) {
  memory m(desc, Engine());
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-0.1f, 0.1f);
  auto* p = static_cast<float*>(m.get_data_handle());
  for (size_t i = 0; i < desc.get_size() / sizeof(float); ++i) p[i] = u(rng);
  return m;
}

// Weights of the user's shape, random in the plain ldigo format, reordered into the
// primitive's own (packed, opaque) format.
memory Weights(const memory::desc& primitive_format, uint32_t seed) {
  memory plain = Filled(memory::desc(primitive_format.dims(), memory::data_type::f32, Tag::ldigo), seed);
  memory packed(primitive_format, Engine());
  dnnl::stream s(Engine());
  dnnl::reorder(plain, packed).execute(s, plain, packed);
  s.wait();
  return packed;
}

// One layer, one direction: its descriptors in the user's formats (tnc, ldnc, ldigo,
// ldgo), and the forward (inference or training) and backward primitives.
class Layer {
 public:
  Layer(Cell cell, int64_t steps, int64_t batch, int64_t input, int64_t hidden, bool reverse, bool training)
      : cell_(cell), training_(training) {
    int64_t gates = cell == Cell::kTanh ? 1 : cell == Cell::kLstm ? 4 : 3;
    int64_t biases = cell == Cell::kLbrGru ? 4 : gates;
    auto md = [](memory::dims d, Tag t) { return memory::desc(d, memory::data_type::f32, t); };
    src_ = md({steps, batch, input}, Tag::tnc);
    dst_ = md({steps, batch, hidden}, Tag::tnc);
    iter_ = md({1, 1, batch, hidden}, Tag::ldnc);
    wl_ = md({1, 1, input, gates, hidden}, Tag::any);
    wi_ = md({1, 1, hidden, gates, hidden}, Tag::any);
    bias_ = md({1, 1, biases, hidden}, Tag::ldgo);
    auto kind = training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
    auto dir =
        reverse ? dnnl::rnn_direction::unidirectional_right2left : dnnl::rnn_direction::unidirectional_left2right;
    switch (cell) {
      case Cell::kTanh: {
        dnnl::vanilla_rnn_forward::primitive_desc pd(
            {kind, dnnl::algorithm::eltwise_tanh, dir, src_, iter_, wl_, wi_, bias_, dst_, iter_}, Engine());
        Setup(pd, dnnl::vanilla_rnn_forward(pd));
        if (training) {
          dnnl::vanilla_rnn_backward::primitive_desc bpd(
              {dnnl::prop_kind::backward, dnnl::algorithm::eltwise_tanh, dir, src_, iter_, wl_, wi_, bias_, dst_, iter_,
               src_, iter_, wl_, wi_, bias_, dst_, iter_},
              Engine(), pd);
          SetupBackward(bpd, dnnl::vanilla_rnn_backward(bpd));
        }
        break;
      }
      case Cell::kLstm: {
        dnnl::lstm_forward::primitive_desc pd({kind, dir, src_, iter_, iter_, wl_, wi_, bias_, dst_, iter_, iter_},
                                              Engine());
        Setup(pd, dnnl::lstm_forward(pd));
        if (training) {
          // oneDNN's 19 descriptors, bin-packed as its documentation lists them.
          // clang-format off
          dnnl::lstm_backward::primitive_desc bpd({dnnl::prop_kind::backward, dir, src_, iter_, iter_, wl_, wi_, bias_,
                                                   dst_, iter_, iter_, src_, iter_, iter_, wl_, wi_, bias_, dst_, iter_,
                                                   iter_},
                                                  Engine(), pd);
          // clang-format on
          SetupBackward(bpd, dnnl::lstm_backward(bpd));
        }
        break;
      }
      case Cell::kLbrGru: {
        dnnl::lbr_gru_forward::primitive_desc pd({kind, dir, src_, iter_, wl_, wi_, bias_, dst_, iter_}, Engine());
        Setup(pd, dnnl::lbr_gru_forward(pd));
        if (training) {
          dnnl::lbr_gru_backward::primitive_desc bpd({dnnl::prop_kind::backward, dir, src_, iter_, wl_, wi_, bias_,
                                                      dst_, iter_, src_, iter_, wl_, wi_, bias_, dst_, iter_},
                                                     Engine(), pd);
          SetupBackward(bpd, dnnl::lbr_gru_backward(bpd));
        }
        break;
      }
    }
  }

  void Run(dnnl::stream& s) {
    forward_.execute(s, forward_args_);
    if (training_) {
      // oneDNN's backward adds to the weight gradients: a step starts them at zero.
      for (memory* m : {&diff_wl_, &diff_wi_, &diff_bias_}) {
        std::memset(m->get_data_handle(), 0, m->get_desc().get_size());
      }
      backward_.execute(s, backward_args_);
    }
  }

 private:
  template <typename PD>
  void Setup(const PD& pd, dnnl::primitive p) {
    forward_ = p;
    forward_args_ = {{DNNL_ARG_SRC_LAYER, Filled(src_, 1)},
                     {DNNL_ARG_SRC_ITER, Filled(iter_, 2)},
                     {DNNL_ARG_WEIGHTS_LAYER, Weights(pd.weights_layer_desc(), 3)},
                     {DNNL_ARG_WEIGHTS_ITER, Weights(pd.weights_iter_desc(), 4)},
                     {DNNL_ARG_BIAS, Filled(bias_, 5)},
                     {DNNL_ARG_DST_LAYER, memory(dst_, Engine())},
                     {DNNL_ARG_DST_ITER, memory(iter_, Engine())}};
    if (cell_ == Cell::kLstm) {
      forward_args_[DNNL_ARG_SRC_ITER_C] = Filled(iter_, 6);
      forward_args_[DNNL_ARG_DST_ITER_C] = memory(iter_, Engine());
    }
    if (training_) forward_args_[DNNL_ARG_WORKSPACE] = memory(pd.workspace_desc(), Engine());
  }

  template <typename PD>
  void SetupBackward(const PD& pd, dnnl::primitive p) {
    backward_ = p;
    diff_wl_ = memory(pd.diff_weights_layer_desc(), Engine());
    diff_wi_ = memory(pd.diff_weights_iter_desc(), Engine());
    diff_bias_ = memory(pd.diff_bias_desc(), Engine());
    backward_args_ = forward_args_;
    backward_args_[DNNL_ARG_WEIGHTS_LAYER] = Weights(pd.weights_layer_desc(), 3);
    backward_args_[DNNL_ARG_WEIGHTS_ITER] = Weights(pd.weights_iter_desc(), 4);
    backward_args_[DNNL_ARG_DIFF_SRC_LAYER] = memory(src_, Engine());
    backward_args_[DNNL_ARG_DIFF_SRC_ITER] = memory(iter_, Engine());
    backward_args_[DNNL_ARG_DIFF_WEIGHTS_LAYER] = diff_wl_;
    backward_args_[DNNL_ARG_DIFF_WEIGHTS_ITER] = diff_wi_;
    backward_args_[DNNL_ARG_DIFF_BIAS] = diff_bias_;
    backward_args_[DNNL_ARG_DIFF_DST_LAYER] = Filled(dst_, 7);
    backward_args_[DNNL_ARG_DIFF_DST_ITER] = Filled(iter_, 8);
    if (cell_ == Cell::kLstm) {
      backward_args_[DNNL_ARG_DIFF_SRC_ITER_C] = memory(iter_, Engine());
      backward_args_[DNNL_ARG_DIFF_DST_ITER_C] = Filled(iter_, 9);
    }
  }

  Cell cell_;
  bool training_;
  memory::desc src_, dst_, iter_, wl_, wi_, bias_;
  dnnl::primitive forward_, backward_;
  std::unordered_map<int, memory> forward_args_, backward_args_;
  memory diff_wl_, diff_wi_, diff_bias_;
};

// Layers run one after the other, as a stacked RNN's do.
void Run(benchmark::State& state, std::vector<Layer> layers) {
  dnnl::stream s(Engine());
  for (Layer& l : layers) l.Run(s);  // first-run costs out of the timing
  s.wait();
  for (auto _ : state) {
    for (Layer& l : layers) l.Run(s);
    s.wait();
  }
}

struct LayerSpec {
  Cell cell;
  int64_t steps, batch, input, hidden;
  bool reverse = false;  // a bidirectional layer is two: left to right, right to left
};

// The workloads, named as bench/compare.py expects: (name, training, layers, unit).
struct Workload {
  const char* name;
  bool training;
  std::vector<LayerSpec> layers;
  benchmark::TimeUnit unit;
};

const std::vector<Workload>& Workloads() {
  static const auto* workloads = new std::vector<Workload>{
      {"BM_SentimentLstmForward",
       false,
       {{Cell::kLstm, 50, 32, 100, 256}, {Cell::kLstm, 50, 32, 256, 256}},
       benchmark::kMillisecond},
      {"BM_SentimentLstmTraining",
       true,
       {{Cell::kLstm, 50, 32, 100, 256}, {Cell::kLstm, 50, 32, 256, 256}},
       benchmark::kMillisecond},
      {"BM_StreamingLstmStep", false, {{Cell::kLstm, 1, 1, 256, 256}}, benchmark::kMicrosecond},
      {"BM_Lstm100StepsBatch1", false, {{Cell::kLstm, 100, 1, 256, 256}}, benchmark::kMicrosecond},
      {"BM_StackedLstmBatch1",
       false,
       {{Cell::kLstm, 100, 1, 64, 64}, {Cell::kLstm, 100, 1, 64, 64}},
       benchmark::kMicrosecond},
      {"BM_CharRnnTraining", true, {{Cell::kTanh, 25, 1, 65, 100}}, benchmark::kMillisecond},
      {"BM_GruTraining", true, {{Cell::kLbrGru, 32, 16, 64, 128}}, benchmark::kMillisecond},
      {"BM_BiGruForward",
       false,
       {{Cell::kLbrGru, 32, 16, 64, 128},
        {Cell::kLbrGru, 32, 16, 64, 128, true},
        {Cell::kLbrGru, 32, 16, 256, 128},
        {Cell::kLbrGru, 32, 16, 256, 128, true}},
       benchmark::kMillisecond},
  };
  return *workloads;
}

}  // namespace

int main(int argc, char** argv) {
  for (const Workload& w : Workloads()) {
    benchmark::RegisterBenchmark(w.name, [&w](benchmark::State& state) {
      std::vector<Layer> layers;
      for (const LayerSpec& l : w.layers)
        layers.emplace_back(l.cell, l.steps, l.batch, l.input, l.hidden, l.reverse, w.training);
      Run(state, std::move(layers));
    })->Unit(w.unit);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
