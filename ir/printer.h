// Text IR printer. Its output parses back (parser.h) to a module that prints the same.
#ifndef LOOM_IR_PRINTER_H_
#define LOOM_IR_PRINTER_H_

#include <string>

#include "ir/ir.h"

namespace loom::ir {

std::string Print(const Module& module);
std::string Print(const Function& function);
// The first line of `op` as Print(function) writes it (its value names included), to
// point at an op in a diagnostic; empty if `op` is not in `function`.
std::string PrintOpLine(const Function& function, const Op& op);

// Shortest text that reads back to the same number, always with a '.', an exponent, or
// inf/nan, so it never reads as an integer.
std::string FormatDouble(double v);
std::string FormatFloat(float v);
std::string FormatAttribute(const Attribute& attr);

}  // namespace loom::ir

#endif  // LOOM_IR_PRINTER_H_
