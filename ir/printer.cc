#include "ir/printer.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <set>
#include <unordered_map>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace loom::ir {
namespace {

template <typename T>
std::string FormatReal(T v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  std::string s(buf, res.ptr);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

std::string FormatElement(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::kF32: return FormatFloat(t.values<float>()[i]);
    case DType::kF64: return FormatDouble(t.values<double>()[i]);
    case DType::kI32: return absl::StrCat(t.values<int32_t>()[i]);
    case DType::kI64: return absl::StrCat(t.values<int64_t>()[i]);
    case DType::kI1: return t.values<bool>()[i] ? "true" : "false";
  }
  return "?";
}

std::string FormatTensor(const Tensor& t) {
  std::string out = absl::StrCat("dense<", TypeOf(t).ToString());
  int64_t n = t.num_elements();
  if (n == 0) return out + ">";
  size_t width = DTypeSize(t.dtype());
  const char* data = static_cast<const char*>(t.raw_data());
  bool splat = true;
  for (int64_t i = 1; splat && i < n; ++i) splat = std::memcmp(data, data + i * width, width) == 0;
  absl::StrAppend(&out, ": ");
  for (int64_t i = 0; i < (splat ? 1 : n); ++i) {
    absl::StrAppend(&out, i ? ", " : "", FormatElement(t, i));
  }
  return out + ">";
}

std::string FormatInitializer(const Initializer& init) {
  switch (init.kind) {
    case Initializer::Kind::kZeros: return "zeros";
    case Initializer::Kind::kOnes: return "ones";
    case Initializer::Kind::kConstant: return absl::StrCat("constant(", FormatDouble(init.a), ")");
    case Initializer::Kind::kUniform:
      return absl::StrCat("uniform(", FormatDouble(init.a), ", ", FormatDouble(init.b), ")");
    case Initializer::Kind::kNormal:
      return absl::StrCat("normal(", FormatDouble(init.a), ", ", FormatDouble(init.b), ")");
  }
  return "?";
}

bool IsIdentifierChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; }

// Names values uniquely within one function: a value's hint when it is free, else a
// number.
class Namer {
 public:
  const std::string& Name(const Value* v) {
    auto it = names_.find(v);
    if (it != names_.end()) return it->second;
    std::string hint;
    for (char c : v->name_hint()) hint += IsIdentifierChar(c) ? c : '_';
    std::string name = hint;
    if (name.empty() || used_.count(name)) {
      do {
        name = hint.empty() ? absl::StrCat(next_++) : absl::StrCat(hint, "_", suffix_++);
      } while (used_.count(name));
    }
    used_.insert(name);
    return names_[v] = "%" + name;
  }

 private:
  std::unordered_map<const Value*, std::string> names_;
  std::set<std::string> used_;
  int next_ = 0;
  int suffix_ = 1;
};

class Printer {
 public:
  explicit Printer(std::string* out, const Op* mark = nullptr) : out_(*out), mark_(mark) {}
  // Where the marked op's text starts in the output, or npos.
  size_t mark_pos() const { return mark_pos_; }

  void PrintFunction(const Function& f, int indent) {
    Namer namer;
    namer_ = &namer;
    Indent(indent);
    absl::StrAppend(&out_, "func @", f.name(), "(");
    PrintArgs(f.body());
    absl::StrAppend(&out_, ") -> (");
    for (size_t i = 0; i < f.result_types().size(); ++i) {
      absl::StrAppend(&out_, i ? ", " : "", f.result_types()[i].ToString());
    }
    absl::StrAppend(&out_, ") {\n");
    PrintOps(f.body(), indent + 2);
    Indent(indent);
    absl::StrAppend(&out_, "}\n");
  }

 private:
  void Indent(int n) { out_.append(n, ' '); }

  void PrintArgs(const Block& block) {
    for (int i = 0; i < block.num_arguments(); ++i) {
      Value* a = block.argument(i);
      absl::StrAppend(&out_, i ? ", " : "", namer_->Name(a), ": ", a->type().ToString());
    }
  }

  void PrintValues(std::span<Value* const> values) {
    for (size_t i = 0; i < values.size(); ++i) {
      absl::StrAppend(&out_, i ? ", " : "", namer_->Name(values[i]));
    }
  }

  void PrintOps(const Block& block, int indent) {
    for (const auto& op : block.ops()) PrintOp(*op, indent);
  }

  void PrintOp(const Op& op, int indent) {
    Indent(indent);
    if (&op == mark_) mark_pos_ = out_.size();
    if (op.num_results() > 0) {
      PrintValues(op.results());
      absl::StrAppend(&out_, " = ");
    }
    absl::StrAppend(&out_, op.name());
    const OpInfo& info = op.info();
    if (!info.segments.empty()) {
      for (size_t k = 0; k < info.segments.size(); ++k) {
        if (info.segments[k].optional && op.segment_sizes()[k] == 0) continue;
        absl::StrAppend(&out_, " ", info.segments[k].name, "(");
        PrintValues(op.Segment(k));
        absl::StrAppend(&out_, ")");
      }
    } else if (op.num_operands() > 0) {
      absl::StrAppend(&out_, " ");
      PrintValues(op.operands());
    }
    if (!op.attrs().empty()) {
      absl::StrAppend(&out_, " {");
      bool first = true;
      for (const auto& [name, value] : op.attrs()) {
        absl::StrAppend(&out_, first ? "" : ", ", name, " = ", FormatAttribute(value));
        first = false;
      }
      absl::StrAppend(&out_, "}");
    }
    if (op.has_region()) {
      absl::StrAppend(&out_, " {\n");
      Indent(indent);
      absl::StrAppend(&out_, "^bb(");
      PrintArgs(*op.region());
      absl::StrAppend(&out_, "):\n");
      PrintOps(*op.region(), indent + 2);
      Indent(indent);
      absl::StrAppend(&out_, "}");
    }
    if (op.num_results() > 0) {
      absl::StrAppend(&out_, " : ");
      for (int i = 0; i < op.num_results(); ++i) {
        absl::StrAppend(&out_, i ? ", " : "", op.result(i)->type().ToString());
      }
    }
    absl::StrAppend(&out_, "\n");
  }

  std::string& out_;
  Namer* namer_ = nullptr;
  const Op* mark_;
  size_t mark_pos_ = std::string::npos;
};

}  // namespace

std::string FormatDouble(double v) { return FormatReal(v); }
std::string FormatFloat(float v) { return FormatReal(v); }

std::string FormatAttribute(const Attribute& attr) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, int64_t>) return absl::StrCat(x);
        if constexpr (std::is_same_v<T, double>) return FormatDouble(x);
        if constexpr (std::is_same_v<T, bool>) return x ? "true" : "false";
        if constexpr (std::is_same_v<T, std::string>) return absl::StrCat("\"", absl::CEscape(x), "\"");
        if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
          return absl::StrCat("[", absl::StrJoin(x, ", "), "]");
        }
        if constexpr (std::is_same_v<T, DType>) return std::string(DTypeName(x));
        if constexpr (std::is_same_v<T, SymbolRef>) return "@" + x.name;
        if constexpr (std::is_same_v<T, Tensor>) return FormatTensor(x);
      },
      attr);
}

std::string Print(const Function& function) {
  std::string out;
  Printer(&out).PrintFunction(function, 0);
  return out;
}

std::string PrintOpLine(const Function& function, const Op& op) {
  std::string out;
  Printer printer(&out, &op);
  printer.PrintFunction(function, 0);
  if (printer.mark_pos() == std::string::npos) return "";
  return out.substr(printer.mark_pos(), out.find('\n', printer.mark_pos()) - printer.mark_pos());
}

std::string Print(const Module& module) {
  std::string out = absl::StrCat("module @", module.name(), " {\n");
  for (const Global& g : module.globals()) {
    absl::StrAppend(&out, "  ", g.trainable ? "param" : "state", " @", g.name, " : ", g.type.ToString(), " = ",
                    FormatInitializer(g.init), "\n");
  }
  for (const auto& f : module.functions()) {
    if (&f != &module.functions().front() || !module.globals().empty()) out += "\n";
    Printer(&out).PrintFunction(*f, 2);
  }
  out += "}\n";
  return out;
}

}  // namespace loom::ir
