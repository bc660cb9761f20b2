// Graph description files (text format): load, lower with small sizes, add the
// training step when there is a loss and an optimizer.
#include <cstdint>
#include <string>

#include "compiler/autodiff/train_step.h"
#include "frontends/lower.h"
#include "frontends/model_file.h"
#include "frontends/training.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = loom::frontends::ParseModelText(std::string(reinterpret_cast<const char*>(data), size), "fuzz.pbtxt");
  if (!file.ok()) return 0;
  loom::frontends::LowerOptions options;
  options.batch = 2;
  options.vocab = 5;
  auto module = loom::frontends::LowerModel(*file, options);
  if (!module.ok() || !file->model.has_loss() || !file->model.training().has_optimizer()) return 0;
  auto train = loom::frontends::TrainStepOptionsFor(*file);
  if (train.ok()) (void)loom::autodiff::AddTrainStep(**module, *train);
  return 0;
}
