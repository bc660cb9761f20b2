#include "ir/op_info.h"

#include <array>

#include "absl/strings/str_split.h"
#include "ir/shape_rules.h"

namespace loom::ir {
namespace {

std::vector<AttrSpec> ParseAttrSpecs(absl::string_view spec) {
  std::vector<AttrSpec> out;
  if (spec.empty()) return out;
  for (absl::string_view item : absl::StrSplit(spec, ',')) {
    std::pair<absl::string_view, absl::string_view> nk = absl::StrSplit(item, ':');
    AttrSpec a{std::string(nk.first), AttrKind::kInt, false};
    if (!a.name.empty() && a.name.back() == '?') {
      a.optional = true;
      a.name.pop_back();
    }
    for (int k = 0; k <= static_cast<int>(AttrKind::kTensor); ++k) {
      absl::string_view kind_name = AttrKindName(static_cast<AttrKind>(k));
      if (kind_name == nk.second) a.kind = static_cast<AttrKind>(k);
    }
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<SegmentSpec> ParseSegments(const char* spec) {
  std::vector<SegmentSpec> out;
  if (spec == nullptr) return out;
  for (absl::string_view item : absl::StrSplit(spec, ',')) {
    SegmentSpec s{std::string(item), false};
    if (s.name.back() == '?') {
      s.optional = true;
      s.name.pop_back();
    }
    out.push_back(std::move(s));
  }
  return out;
}

const std::array<OpInfo, kNumOpCodes>& Table() {
  static const auto* table = new std::array<OpInfo, kNumOpCodes>{{
#define OP(Enum, name, operands, attrs, rule, traits) \
  OpInfo{OpCode::k##Enum,                             \
         name,                                        \
         OperandSpec(operands),                       \
         &Infer##rule,                                \
         traits,                                      \
         ParseAttrSpecs(attrs),                       \
         ParseSegments(OperandSpec(operands).segments)},
#include "ir/ops.def"
#undef OP
  }};
  return *table;
}

}  // namespace

const AttrSpec* OpInfo::FindAttr(absl::string_view attr) const {
  for (const AttrSpec& a : attrs) {
    if (a.name == attr) return &a;
  }
  return nullptr;
}

const OpInfo& GetOpInfo(OpCode code) { return Table()[static_cast<int>(code)]; }

std::optional<OpCode> ParseOpCode(absl::string_view name) {
  for (const OpInfo& info : Table()) {
    if (info.name == name) return info.code;
  }
  return std::nullopt;
}

absl::string_view OpName(OpCode code) { return GetOpInfo(code).name; }

}  // namespace loom::ir
