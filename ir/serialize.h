// Binary serialization of modules through ir.proto.
#ifndef LOOM_IR_SERIALIZE_H_
#define LOOM_IR_SERIALIZE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ir/ir.h"

namespace loom::ir {

std::string SerializeModule(const Module& module);
// The result is not verified: call Verify before using it.
absl::StatusOr<std::unique_ptr<Module>> DeserializeModule(absl::string_view bytes);

}  // namespace loom::ir

#endif  // LOOM_IR_SERIALIZE_H_
