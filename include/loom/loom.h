// Loom's public C++ API, in one header: models described in C++ (loom::nn) or read from
// a model file, compiled to native code (loom::Jit), run forward, trained and streamed,
// their parameters by PyTorch name and their checkpoints, and the data loaders `loom
// train` uses. Each header it includes needs only the standard library and Abseil's
// Status; link with Loom::loom (CMake: find_package(Loom)) or `pkg-config --libs loom`.
//
//   loom::nn::Model m("Tagger");                 // or loom::nn::Model::Load("model.pbtxt")
//   ...
//   auto jit = loom::Jit::Create();
//   auto model = (*jit)->Compile(m, {.batch = 32}, /*seed=*/1);
//   auto loss = (*model)->TrainStep({x, y});
#ifndef LOOM_LOOM_H_
#define LOOM_LOOM_H_

#include "loom/checkpoint.h"
#include "loom/data.h"
#include "loom/dtype.h"
#include "loom/jit.h"
#include "loom/nn.h"
#include "loom/tensor.h"

#endif  // LOOM_LOOM_H_
