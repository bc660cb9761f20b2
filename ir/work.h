// About how much arithmetic an op does: the estimate behind the decisions of how to
// spread work over threads (codegen's work between barriers, the wavefront pass's small
// steps).
#ifndef LOOM_IR_WORK_H_
#define LOOM_IR_WORK_H_

#include "ir/ir.h"

namespace loom::ir {

// Operations an op does once: a product's multiply-adds (two each), a fused loop's ops
// per element, an elementwise op's elements; 0 for a scan, whose body's ops count
// themselves (times its length).
double WorkOf(const Op& op);

}  // namespace loom::ir

#endif  // LOOM_IR_WORK_H_
