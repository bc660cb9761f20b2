#include "ir/parser.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ir/builder.h"
#include "support/status_macros.h"

namespace loom::ir {
namespace {

enum class Tok {
  kEof,
  kValue /* %x */,
  kSymbol /* @x */,
  kLabel /* ^x */,
  kIdent,
  kNumber,
  kString,
  kLParen,
  kRParen,
  kLBrace,
  kRBrace,
  kLBracket,
  kRBracket,
  kLAngle,
  kRAngle,
  kComma,
  kColon,
  kEqual,
  kArrow,
  kError
};

struct Token {
  Tok kind;
  std::string text;  // without the sigil for %, @, ^; unescaped for strings
  int line, col;
};

bool IsIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; }

class Lexer {
 public:
  explicit Lexer(absl::string_view text) : text_(text) {}

  Token Next() {
    SkipSpaceAndComments();
    Token t{Tok::kEof, "", line_, col_};
    if (pos_ >= text_.size()) return t;
    char c = text_[pos_];
    auto single = [&](Tok kind) {
      Advance();
      t.kind = kind;
      t.text = std::string(1, c);
      return t;
    };
    switch (c) {
      case '(': return single(Tok::kLParen);
      case ')': return single(Tok::kRParen);
      case '{': return single(Tok::kLBrace);
      case '}': return single(Tok::kRBrace);
      case '[': return single(Tok::kLBracket);
      case ']': return single(Tok::kRBracket);
      case '<': return single(Tok::kLAngle);
      case '>': return single(Tok::kRAngle);
      case ',': return single(Tok::kComma);
      case ':': return single(Tok::kColon);
      case '=': return single(Tok::kEqual);
      default: break;
    }
    if (c == '-' && Peek(1) == '>') {
      Advance();
      Advance();
      t.kind = Tok::kArrow;
      t.text = "->";
      return t;
    }
    if (c == '%' || c == '@' || c == '^') {
      Advance();
      t.kind = c == '%' ? Tok::kValue : c == '@' ? Tok::kSymbol : Tok::kLabel;
      while (pos_ < text_.size() && IsIdentChar(text_[pos_])) t.text += Advance();
      if (t.text.empty()) {
        t.kind = Tok::kError;
        t.text = absl::StrCat("expected a name after '", std::string(1, c), "'");
      }
      return t;
    }
    if (c == '"') {
      Advance();
      std::string raw;
      while (pos_ < text_.size() && text_[pos_] != '"' && text_[pos_] != '\n') {
        if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) raw += Advance();
        raw += Advance();
      }
      if (pos_ >= text_.size() || text_[pos_] != '"') {
        t.kind = Tok::kError;
        t.text = "unterminated string";
        return t;
      }
      Advance();
      std::string error;
      if (!absl::CUnescape(raw, &t.text, &error)) {
        t.kind = Tok::kError;
        t.text = "bad escape in string: " + error;
        return t;
      }
      t.kind = Tok::kString;
      return t;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+') {
      t.kind = Tok::kNumber;
      t.text += Advance();
      while (pos_ < text_.size() &&
             (IsIdentChar(text_[pos_]) ||
              ((text_[pos_] == '-' || text_[pos_] == '+') && (text_[pos_ - 1] == 'e' || text_[pos_ - 1] == 'E')))) {
        t.text += Advance();
      }
      return t;
    }
    if (IsIdentChar(c)) {
      t.kind = Tok::kIdent;
      while (pos_ < text_.size() && IsIdentChar(text_[pos_])) t.text += Advance();
      return t;
    }
    Advance();
    t.kind = Tok::kError;
    t.text = absl::StrCat("unexpected character '", std::string(1, c), "'");
    return t;
  }

 private:
  char Peek(size_t ahead) const { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0'; }
  char Advance() {
    char c = text_[pos_++];
    if (c == '\n') {
      ++line_;
      col_ = 1;
    } else {
      ++col_;
    }
    return c;
  }
  void SkipSpaceAndComments() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (std::isspace(static_cast<unsigned char>(c))) {
        Advance();
      } else if (c == '/' && Peek(1) == '/') {
        while (pos_ < text_.size() && text_[pos_] != '\n') Advance();
      } else {
        break;
      }
    }
  }

  absl::string_view text_;
  size_t pos_ = 0;
  int line_ = 1, col_ = 1;
};

std::string Describe(const Token& t) {
  switch (t.kind) {
    case Tok::kEof: return "end of file";
    case Tok::kValue: return "'%" + t.text + "'";
    case Tok::kSymbol: return "'@" + t.text + "'";
    case Tok::kLabel: return "'^" + t.text + "'";
    case Tok::kString: return "a string";
    default: return "'" + t.text + "'";
  }
}

using Scope = std::unordered_map<std::string, Value*>;

class Parser {
 public:
  friend absl::StatusOr<Attribute> loom::ir::ParseAttribute(AttrKind, absl::string_view);
  Parser(absl::string_view text, absl::string_view filename)
      : lexer_(text), file_(filename.empty() ? nullptr : std::make_shared<const std::string>(filename)) {
    tok_ = lexer_.Next();
  }

  absl::StatusOr<std::unique_ptr<Module>> ParseModule() {
    RETURN_IF_ERROR(ExpectKeyword("module"));
    ASSIGN_OR_RETURN(std::string name, ExpectName(Tok::kSymbol, "a module name like @model"));
    auto module = std::make_unique<Module>(name);
    RETURN_IF_ERROR(Expect(Tok::kLBrace, "'{'"));
    while (tok_.kind != Tok::kRBrace) {
      if (IsKeyword("param") || IsKeyword("state")) {
        RETURN_IF_ERROR(ParseGlobal(*module));
      } else if (IsKeyword("func")) {
        RETURN_IF_ERROR(ParseFunction(*module));
      } else {
        return Error("expected 'param', 'state', 'func' or '}'");
      }
    }
    Consume();
    if (tok_.kind != Tok::kEof) return Error("expected end of file after the module");
    return module;
  }

 private:
  // ---- Token helpers ----
  Location Loc() const { return {file_, tok_.line, tok_.col}; }
  absl::Status Error(absl::string_view expected) const {
    if (tok_.kind == Tok::kError) return ErrorAt(Loc(), tok_.text);
    return ErrorAt(Loc(), absl::StrCat(expected, ", got ", Describe(tok_)));
  }
  void Consume() { tok_ = lexer_.Next(); }
  bool IsKeyword(absl::string_view kw) const { return tok_.kind == Tok::kIdent && tok_.text == kw; }
  bool Accept(Tok kind) {
    if (tok_.kind != kind) return false;
    Consume();
    return true;
  }
  absl::Status Expect(Tok kind, absl::string_view what) {
    if (!Accept(kind)) return Error(absl::StrCat("expected ", what));
    return absl::OkStatus();
  }
  absl::Status ExpectKeyword(absl::string_view kw) {
    if (!IsKeyword(kw)) return Error(absl::StrCat("expected '", kw, "'"));
    Consume();
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> ExpectName(Tok kind, absl::string_view what) {
    if (tok_.kind != kind) return Error(absl::StrCat("expected ", what));
    std::string text = tok_.text;
    Consume();
    return text;
  }

  absl::StatusOr<int64_t> ParseInt() {
    if (tok_.kind == Tok::kNumber) {
      int64_t v;
      const std::string& s = tok_.text;
      const char* begin = s.data() + (s[0] == '+' ? 1 : 0);
      auto res = std::from_chars(begin, s.data() + s.size(), v);
      if (res.ec == std::errc() && res.ptr == s.data() + s.size()) {
        Consume();
        return v;
      }
    }
    return Error("expected an integer");
  }

  static bool LooksReal(const std::string& s) {
    return s.find_first_of(".eE") != std::string::npos || s.find("inf") != std::string::npos ||
           s.find("nan") != std::string::npos;
  }

  template <typename T>
  absl::StatusOr<T> ParseReal() {
    std::string s = tok_.text;
    if (tok_.kind == Tok::kNumber || (tok_.kind == Tok::kIdent && (s == "inf" || s == "nan"))) {
      bool neg = s[0] == '-';
      absl::string_view body = absl::string_view(s).substr(s[0] == '-' || s[0] == '+' ? 1 : 0);
      T v{};
      if (body == "inf") {
        v = std::numeric_limits<T>::infinity();
      } else if (body == "nan") {
        v = std::numeric_limits<T>::quiet_NaN();
      } else {
        auto res = std::from_chars(body.data(), body.data() + body.size(), v);
        if (res.ec == std::errc::result_out_of_range) {
          return ErrorAt(Loc(), absl::StrCat("number ", s, " is out of range for ", sizeof(T) == 4 ? "f32" : "f64"));
        }
        if (res.ec != std::errc() || res.ptr != body.data() + body.size()) {
          return Error("expected a number");
        }
      }
      Consume();
      return neg ? -v : v;
    }
    return Error("expected a number");
  }

  absl::StatusOr<std::vector<int64_t>> ParseIntList() {
    RETURN_IF_ERROR(Expect(Tok::kLBracket, "'['"));
    std::vector<int64_t> out;
    if (Accept(Tok::kRBracket)) return out;
    do {
      ASSIGN_OR_RETURN(int64_t v, ParseInt());
      out.push_back(v);
    } while (Accept(Tok::kComma));
    RETURN_IF_ERROR(Expect(Tok::kRBracket, "',' or ']'"));
    return out;
  }

  absl::StatusOr<TensorType> ParseType() {
    if (tok_.kind != Tok::kIdent || !ParseDType(tok_.text)) {
      return Error("expected a type like f32[4,8]");
    }
    TensorType t{*ParseDType(tok_.text), {}};
    Consume();
    if (tok_.kind != Tok::kLBracket) return Error("expected '[' after the element type");
    Location loc = Loc();
    ASSIGN_OR_RETURN(t.shape, ParseIntList());
    for (int64_t d : t.shape) {
      if (d < 0) return ErrorAt(Loc(), "dimensions must be >= 0");
    }
    absl::Status size = CheckElementCount(t.dtype, t.shape, "the type");
    if (!size.ok()) return ErrorAt(loc, size.message());
    return t;
  }

  absl::StatusOr<std::vector<TensorType>> ParseTypeList() {
    std::vector<TensorType> types;
    do {
      ASSIGN_OR_RETURN(TensorType t, ParseType());
      types.push_back(std::move(t));
    } while (Accept(Tok::kComma));
    return types;
  }

  // ---- Globals ----
  absl::Status ParseGlobal(Module& module) {
    Global g;
    g.loc = Loc();
    g.trainable = IsKeyword("param");
    Consume();
    ASSIGN_OR_RETURN(g.name, ExpectName(Tok::kSymbol, "a global name like @W"));
    RETURN_IF_ERROR(Expect(Tok::kColon, "':'"));
    ASSIGN_OR_RETURN(g.type, ParseType());
    RETURN_IF_ERROR(Expect(Tok::kEqual, "'=' and an initializer"));
    using K = Initializer::Kind;
    static const std::pair<const char*, std::pair<K, int>> kInits[] = {{"zeros", {K::kZeros, 0}},
                                                                       {"ones", {K::kOnes, 0}},
                                                                       {"constant", {K::kConstant, 1}},
                                                                       {"uniform", {K::kUniform, 2}},
                                                                       {"normal", {K::kNormal, 2}}};
    for (const auto& [name, kind_arity] : kInits) {
      if (!IsKeyword(name)) continue;
      Consume();
      g.init.kind = kind_arity.first;
      if (kind_arity.second > 0) {
        RETURN_IF_ERROR(Expect(Tok::kLParen, "'('"));
        ASSIGN_OR_RETURN(g.init.a, ParseReal<double>());
        if (kind_arity.second == 2) {
          RETURN_IF_ERROR(Expect(Tok::kComma, "','"));
          ASSIGN_OR_RETURN(g.init.b, ParseReal<double>());
        }
        RETURN_IF_ERROR(Expect(Tok::kRParen, "')'"));
      }
      module.AddGlobal(std::move(g));
      return absl::OkStatus();
    }
    return Error("expected an initializer: zeros, ones, constant(v), uniform(a, b), normal(m, s)");
  }

  // ---- Functions and blocks ----
  absl::Status ParseBlockArgs(Block& block, Scope& scope) {
    RETURN_IF_ERROR(Expect(Tok::kLParen, "'('"));
    if (Accept(Tok::kRParen)) return absl::OkStatus();
    do {
      Location loc = Loc();
      ASSIGN_OR_RETURN(std::string name, ExpectName(Tok::kValue, "an argument like %x"));
      RETURN_IF_ERROR(Expect(Tok::kColon, "':'"));
      ASSIGN_OR_RETURN(TensorType type, ParseType());
      if (scope.count(name)) return ErrorAt(loc, absl::StrCat("redefinition of %", name));
      scope[name] = block.AddArgument(std::move(type), name);
    } while (Accept(Tok::kComma));
    return Expect(Tok::kRParen, "',' or ')'");
  }

  absl::Status ParseFunction(Module& module) {
    Location loc = Loc();
    Consume();
    ASSIGN_OR_RETURN(std::string name, ExpectName(Tok::kSymbol, "a function name like @forward"));
    Function* f = module.AddFunction(name);
    f->set_loc(loc);
    Scope scope;
    RETURN_IF_ERROR(ParseBlockArgs(f->body(), scope));
    RETURN_IF_ERROR(Expect(Tok::kArrow, "'->'"));
    RETURN_IF_ERROR(Expect(Tok::kLParen, "'(' before the result types"));
    std::vector<TensorType> results;
    if (tok_.kind != Tok::kRParen) {
      ASSIGN_OR_RETURN(results, ParseTypeList());
    }
    RETURN_IF_ERROR(Expect(Tok::kRParen, "')'"));
    f->set_result_types(std::move(results));
    RETURN_IF_ERROR(Expect(Tok::kLBrace, "'{'"));
    return ParseOps(f->body(), scope);
  }

  // Ops up to and including the closing '}'.
  absl::Status ParseOps(Block& block, Scope& scope) {
    while (!Accept(Tok::kRBrace)) {
      if (tok_.kind == Tok::kEof) return Error("expected '}'");
      RETURN_IF_ERROR(ParseOp(block, scope));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<Value*> ParseUse(const Scope& scope) {
    Location loc = Loc();
    ASSIGN_OR_RETURN(std::string name, ExpectName(Tok::kValue, "a value like %x"));
    auto it = scope.find(name);
    if (it == scope.end()) return ErrorAt(loc, absl::StrCat("use of undefined value %", name));
    return it->second;
  }

  absl::Status ParseUses(const Scope& scope, std::vector<Value*>& out) {
    if (tok_.kind != Tok::kValue) return absl::OkStatus();
    do {
      ASSIGN_OR_RETURN(Value * v, ParseUse(scope));
      out.push_back(v);
    } while (Accept(Tok::kComma));
    return absl::OkStatus();
  }

  absl::Status ParseOp(Block& block, Scope& scope) {
    Location loc = Loc();
    std::vector<std::pair<std::string, Location>> result_names;
    if (tok_.kind == Tok::kValue) {
      do {
        Location rloc = Loc();
        ASSIGN_OR_RETURN(std::string name, ExpectName(Tok::kValue, "a result like %x"));
        result_names.push_back({name, rloc});
      } while (Accept(Tok::kComma));
      RETURN_IF_ERROR(Expect(Tok::kEqual, "'=' after the results"));
    }
    Location name_loc = Loc();
    if (tok_.kind != Tok::kIdent) return Error("expected an op name");
    std::optional<OpCode> code = ParseOpCode(tok_.text);
    if (!code) return ErrorAt(name_loc, absl::StrCat("unknown op '", tok_.text, "'"));
    Consume();
    const OpInfo& info = GetOpInfo(*code);

    std::vector<Value*> operands;
    std::vector<int> segments;
    if (info.segments.empty()) {
      RETURN_IF_ERROR(ParseUses(scope, operands));
    } else {
      for (const SegmentSpec& seg : info.segments) {
        if (!IsKeyword(seg.name)) {
          if (seg.optional) {
            segments.push_back(0);
            continue;
          }
          return Error(absl::StrCat("expected operand group '", seg.name, "('"));
        }
        Consume();
        RETURN_IF_ERROR(Expect(Tok::kLParen, "'('"));
        size_t before = operands.size();
        RETURN_IF_ERROR(ParseUses(scope, operands));
        RETURN_IF_ERROR(Expect(Tok::kRParen, "',' or ')'"));
        segments.push_back(static_cast<int>(operands.size() - before));
      }
    }

    AttrMap attrs;
    std::unique_ptr<Block> region;
    while (tok_.kind == Tok::kLBrace) {
      Consume();
      if (tok_.kind == Tok::kLabel) {
        if (region) return Error("an op has at most one region");
        ASSIGN_OR_RETURN(region, ParseRegion());
      } else {
        if (!attrs.empty()) return Error("expected one attribute dictionary");
        RETURN_IF_ERROR(ParseAttrDict(info, attrs));
      }
    }

    std::vector<TensorType> types;
    if (!result_names.empty()) {
      RETURN_IF_ERROR(Expect(Tok::kColon, "':' and the result types"));
      ASSIGN_OR_RETURN(types, ParseTypeList());
      if (types.size() != result_names.size()) {
        return ErrorAt(loc, absl::StrCat("'", info.name, "' names ", result_names.size(), " results but gives ",
                                         types.size(), " types"));
      }
    }
    auto op = Op::Create(*code, std::move(operands), std::move(types), std::move(attrs), name_loc);
    op->set_segment_sizes(std::move(segments));
    op->SetRegion(std::move(region));
    Op* placed = block.Append(std::move(op));
    for (size_t i = 0; i < result_names.size(); ++i) {
      const auto& [name, rloc] = result_names[i];
      if (scope.count(name)) return ErrorAt(rloc, absl::StrCat("redefinition of %", name));
      placed->result(i)->set_name_hint(name);
      scope[name] = placed->result(i);
    }
    return absl::OkStatus();
  }

  // After '{': "^bb(args): ops }". Regions are isolated: a fresh scope.
  absl::StatusOr<std::unique_ptr<Block>> ParseRegion() {
    if (region_depth_ == kMaxRegionDepth) {
      return ErrorAt(Loc(), absl::StrCat("regions nested more than ", kMaxRegionDepth, " deep"));
    }
    ++region_depth_;
    absl::Cleanup leave = [this] { --region_depth_; };
    Consume();  // the label
    auto block = std::make_unique<Block>();
    Scope scope;
    RETURN_IF_ERROR(ParseBlockArgs(*block, scope));
    RETURN_IF_ERROR(Expect(Tok::kColon, "':' after the block arguments"));
    RETURN_IF_ERROR(ParseOps(*block, scope));
    return block;
  }

  absl::Status ParseAttrDict(const OpInfo& info, AttrMap& attrs) {
    do {
      Location loc = Loc();
      ASSIGN_OR_RETURN(std::string name, ExpectName(Tok::kIdent, "an attribute name"));
      RETURN_IF_ERROR(Expect(Tok::kEqual, "'='"));
      const AttrSpec* spec = info.FindAttr(name);
      if (spec == nullptr) {
        return ErrorAt(loc, absl::StrCat("'", info.name, "' has no attribute '", name, "'"));
      }
      if (attrs.count(name)) return ErrorAt(loc, absl::StrCat("attribute '", name, "' given twice"));
      ASSIGN_OR_RETURN(attrs[name], ParseAttr(spec->kind));
    } while (Accept(Tok::kComma));
    return Expect(Tok::kRBrace, "',' or '}'");
  }

  absl::StatusOr<Attribute> ParseLoneAttr(AttrKind kind) {
    ASSIGN_OR_RETURN(Attribute a, ParseAttr(kind));
    if (tok_.kind != Tok::kEof) return Error(absl::StrCat("expected the end of the value"));
    return a;
  }

  absl::StatusOr<Attribute> ParseAttr(AttrKind kind) {
    switch (kind) {
      case AttrKind::kInt: {
        ASSIGN_OR_RETURN(int64_t v, ParseInt());
        return Attribute(v);
      }
      case AttrKind::kFloat: {
        ASSIGN_OR_RETURN(double v, ParseReal<double>());
        return Attribute(v);
      }
      case AttrKind::kBool:
        if (IsKeyword("true") || IsKeyword("false")) {
          bool v = tok_.text == "true";
          Consume();
          return Attribute(v);
        }
        return Error("expected true or false");
      case AttrKind::kString: {
        ASSIGN_OR_RETURN(std::string s, ExpectName(Tok::kString, "a string"));
        return Attribute(std::move(s));
      }
      case AttrKind::kInts: {
        ASSIGN_OR_RETURN(std::vector<int64_t> v, ParseIntList());
        return Attribute(std::move(v));
      }
      case AttrKind::kDType: {
        std::optional<DType> d = tok_.kind == Tok::kIdent ? ParseDType(tok_.text) : std::nullopt;
        if (!d) return Error("expected an element type (f32, f64, i32, i64, i1)");
        Consume();
        return Attribute(*d);
      }
      case AttrKind::kSymbol: {
        ASSIGN_OR_RETURN(std::string s, ExpectName(Tok::kSymbol, "a symbol like @W"));
        return Attribute(SymbolRef{std::move(s)});
      }
      case AttrKind::kTensor: {
        ASSIGN_OR_RETURN(Tensor t, ParseDense());
        return Attribute(std::move(t));
      }
    }
    return Error("expected an attribute");
  }

  // dense<f32[2]: 1.0, 2.0>, dense<f32[4]: 0.0> (splat), dense<f32[0]>.
  absl::StatusOr<Tensor> ParseDense() {
    RETURN_IF_ERROR(ExpectKeyword("dense"));
    RETURN_IF_ERROR(Expect(Tok::kLAngle, "'<'"));
    Location type_loc = Loc();
    ASSIGN_OR_RETURN(TensorType type, ParseType());
    // A constant is allocated as it is read: bounded to what a text file could mean.
    if (type.num_elements() > (int64_t{1} << 28)) {
      return ErrorAt(
          type_loc, absl::StrCat("a dense constant of ", type.num_elements(), " elements is too large (at most 2^28)"));
    }
    Tensor t(type.dtype, type.shape);
    if (Accept(Tok::kRAngle)) {
      if (t.num_elements() != 0) return Error("expected ':' and values");
      return t;
    }
    RETURN_IF_ERROR(Expect(Tok::kColon, "':' or '>'"));
    Location loc = Loc();
    std::vector<Tensor> values;  // each a scalar of the dtype
    do {
      Tensor v(type.dtype, {});
      switch (type.dtype) {
        case DType::kF32: {
          ASSIGN_OR_RETURN(v.values<float>()[0], ParseReal<float>());
          break;
        }
        case DType::kF64: {
          ASSIGN_OR_RETURN(v.values<double>()[0], ParseReal<double>());
          break;
        }
        case DType::kI32: {
          ASSIGN_OR_RETURN(int64_t x, ParseInt());
          if (x != static_cast<int32_t>(x)) return ErrorAt(loc, "value does not fit in i32");
          v.values<int32_t>()[0] = static_cast<int32_t>(x);
          break;
        }
        case DType::kI64: {
          ASSIGN_OR_RETURN(v.values<int64_t>()[0], ParseInt());
          break;
        }
        case DType::kI1:
          if (!IsKeyword("true") && !IsKeyword("false")) return Error("expected true or false");
          v.values<bool>()[0] = tok_.text == "true";
          Consume();
          break;
      }
      values.push_back(std::move(v));
    } while (Accept(Tok::kComma));
    RETURN_IF_ERROR(Expect(Tok::kRAngle, "',' or '>'"));
    int64_t n = t.num_elements();
    if (static_cast<int64_t>(values.size()) != n && values.size() != 1) {
      return ErrorAt(loc, absl::StrCat("dense literal of type ", type.ToString(), " needs ", n,
                                       " values (or one to splat), got ", values.size()));
    }
    size_t width = DTypeSize(type.dtype);
    for (int64_t i = 0; i < n; ++i) {
      std::memcpy(static_cast<char*>(t.raw_data()) + i * width, values[values.size() == 1 ? 0 : i].raw_data(), width);
    }
    return t;
  }

  Lexer lexer_;
  std::shared_ptr<const std::string> file_;
  Token tok_;
  int region_depth_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Module>> ParseModule(absl::string_view text, absl::string_view filename) {
  return Parser(text, filename).ParseModule();
}

absl::StatusOr<Attribute> ParseAttribute(AttrKind kind, absl::string_view text) {
  return Parser(text, "").ParseLoneAttr(kind);
}

}  // namespace loom::ir
