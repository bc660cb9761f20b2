#include "ir/serialize.h"

#include <cstring>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/stubs/logging.h"
#include "ir/ir.pb.h"
#include "support/status_macros.h"

namespace loom::ir {
namespace {

namespace pb = ::loom::ir::proto;

// ---- To proto ----

void ToProto(const TensorType& t, pb::TensorType* out) {
  out->set_dtype(static_cast<pb::DType>(t.dtype));
  for (int64_t d : t.shape) out->add_shape(d);
}

void ToProto(const Attribute& attr, pb::Attribute* out) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, int64_t>) out->set_int_value(x);
        if constexpr (std::is_same_v<T, double>) out->set_float_value(x);
        if constexpr (std::is_same_v<T, bool>) out->set_bool_value(x);
        if constexpr (std::is_same_v<T, std::string>) out->set_string_value(x);
        if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
          auto* list = out->mutable_ints_value();  // present even when empty
          for (int64_t v : x) list->add_values(v);
        }
        if constexpr (std::is_same_v<T, DType>) out->set_dtype_value(static_cast<pb::DType>(x));
        if constexpr (std::is_same_v<T, SymbolRef>) out->set_symbol_value(x.name);
        if constexpr (std::is_same_v<T, Tensor>) {
          ToProto(TypeOf(x), out->mutable_tensor_value()->mutable_type());
          out->mutable_tensor_value()->set_data(static_cast<const char*>(x.raw_data()), x.byte_size());
        }
      },
      attr);
}

void ToProto(const Block& block, pb::Block* out) {
  std::unordered_map<const Value*, int> ids;
  auto define = [&](const Value* v, pb::Value* pv) {
    int id = static_cast<int>(ids.size());
    ids[v] = id;
    ToProto(v->type(), pv->mutable_type());
    pv->set_name(v->name_hint());
  };
  for (Value* a : block.arguments()) define(a, out->add_arguments());
  for (const auto& op : block.ops()) {
    pb::Op* pop = out->add_ops();
    pop->set_name(std::string(op->name()));
    for (Value* v : op->operands()) pop->add_operands(ids.count(v) ? ids.at(v) : -1);
    for (int s : op->segment_sizes()) pop->add_segment_sizes(s);
    for (const auto& [name, value] : op->attrs()) {
      pb::Attribute* pa = pop->add_attributes();
      pa->set_name(name);
      ToProto(value, pa);
    }
    if (op->has_region()) {
      ToProto(*op->region(), pop->mutable_region());
    }
    pop->set_line(op->loc().line);
    pop->set_col(op->loc().col);
    for (Value* r : op->results()) define(r, pop->add_results());
  }
}

// ---- From proto ----

absl::StatusOr<DType> FromProto(int dtype) {
  if (dtype < 0 || dtype > static_cast<int>(DType::kI1)) {
    return absl::InvalidArgumentError(absl::StrCat("binary IR: unknown dtype ", dtype));
  }
  return static_cast<DType>(dtype);
}

absl::StatusOr<TensorType> FromProto(const pb::TensorType& t) {
  TensorType out;
  ASSIGN_OR_RETURN(out.dtype, FromProto(t.dtype()));
  for (int64_t d : t.shape()) {
    if (d < 0) return absl::InvalidArgumentError("binary IR: negative dimension");
    out.shape.push_back(d);
  }
  return out;
}

absl::StatusOr<Attribute> FromProto(const pb::Attribute& a) {
  switch (a.value_case()) {
    case pb::Attribute::kIntValue: return Attribute(a.int_value());
    case pb::Attribute::kFloatValue: return Attribute(a.float_value());
    case pb::Attribute::kBoolValue: return Attribute(a.bool_value());
    case pb::Attribute::kStringValue: return Attribute(a.string_value());
    case pb::Attribute::kIntsValue:
      return Attribute(std::vector<int64_t>(a.ints_value().values().begin(), a.ints_value().values().end()));
    case pb::Attribute::kDtypeValue: {
      ASSIGN_OR_RETURN(DType d, FromProto(a.dtype_value()));
      return Attribute(d);
    }
    case pb::Attribute::kSymbolValue: return Attribute(SymbolRef{a.symbol_value()});
    case pb::Attribute::kTensorValue: {
      ASSIGN_OR_RETURN(TensorType type, FromProto(a.tensor_value().type()));
      // The byte count is checked before anything is allocated for the shape.
      if (a.tensor_value().data().size() != ByteSize(type.dtype, type.shape)) {
        return absl::InvalidArgumentError(absl::StrCat("binary IR: attribute '", a.name(), "' has ",
                                                       a.tensor_value().data().size(), " bytes for ", type.ToString()));
      }
      Tensor t(type.dtype, type.shape);
      std::memcpy(t.raw_data(), a.tensor_value().data().data(), t.byte_size());
      return Attribute(std::move(t));
    }
    case pb::Attribute::VALUE_NOT_SET: break;
  }
  return absl::InvalidArgumentError(absl::StrCat("binary IR: attribute '", a.name(), "' has no value"));
}

absl::Status FromProto(const pb::Block& pblock, Block& block, int depth) {
  std::vector<Value*> values;
  for (const pb::Value& a : pblock.arguments()) {
    ASSIGN_OR_RETURN(TensorType t, FromProto(a.type()));
    values.push_back(block.AddArgument(std::move(t), a.name()));
  }
  for (const pb::Op& pop : pblock.ops()) {
    std::optional<OpCode> code = ParseOpCode(pop.name());
    if (!code) return absl::InvalidArgumentError(absl::StrCat("binary IR: unknown op '", pop.name(), "'"));
    std::vector<Value*> operands;
    for (int id : pop.operands()) {
      if (id < 0 || id >= static_cast<int>(values.size())) {
        return absl::InvalidArgumentError(absl::StrCat("binary IR: '", pop.name(), "' uses an undefined value"));
      }
      operands.push_back(values[id]);
    }
    std::vector<TensorType> types;
    for (const pb::Value& r : pop.results()) {
      ASSIGN_OR_RETURN(TensorType t, FromProto(r.type()));
      types.push_back(std::move(t));
    }
    AttrMap attrs;
    for (const pb::Attribute& pa : pop.attributes()) {
      ASSIGN_OR_RETURN(attrs[pa.name()], FromProto(pa));
    }
    auto op = Op::Create(*code, std::move(operands), std::move(types), std::move(attrs),
                         Location{nullptr, pop.line(), pop.col()});
    op->set_segment_sizes({pop.segment_sizes().begin(), pop.segment_sizes().end()});
    if (pop.has_region()) {
      if (depth == kMaxRegionDepth) {
        return absl::InvalidArgumentError(
            absl::StrCat("binary IR: regions nested more than ", kMaxRegionDepth, " deep"));
      }
      auto region = std::make_unique<Block>();
      RETURN_IF_ERROR(FromProto(pop.region(), *region, depth + 1));
      op->SetRegion(std::move(region));
    }
    Op* placed = block.Append(std::move(op));
    for (int i = 0; i < placed->num_results(); ++i) {
      placed->result(i)->set_name_hint(pop.results(i).name());
      values.push_back(placed->result(i));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string SerializeModule(const Module& module) {
  pb::Module pm;
  pm.set_name(module.name());
  for (const Global& g : module.globals()) {
    pb::Global* pg = pm.add_globals();
    pg->set_name(g.name);
    pg->set_trainable(g.trainable);
    ToProto(g.type, pg->mutable_type());
    pg->mutable_init()->set_kind(static_cast<pb::Initializer::Kind>(g.init.kind));
    pg->mutable_init()->set_a(g.init.a);
    pg->mutable_init()->set_b(g.init.b);
  }
  for (const auto& f : module.functions()) {
    pb::Function* pf = pm.add_functions();
    pf->set_name(f->name());
    ToProto(f->body(), pf->mutable_body());
    for (const TensorType& t : f->result_types()) ToProto(t, pf->add_results());
  }
  std::string out;
  pm.SerializeToString(&out);
  return out;
}

absl::StatusOr<std::unique_ptr<Module>> DeserializeModule(absl::string_view bytes) {
  // Corrupt files get our error message only, not protobuf's log lines.
  google::protobuf::LogSilencer quiet;
  pb::Module pm;
  // Protobuf's default nesting limit (100 messages) is less than kMaxRegionDepth regions
  // need (an op and a block per region, an attribute's three below): raised to match.
  google::protobuf::io::ArrayInputStream array(bytes.data(), static_cast<int>(bytes.size()));
  google::protobuf::io::CodedInputStream input(&array);
  input.SetRecursionLimit(2 * kMaxRegionDepth + 16);
  if (bytes.size() > static_cast<size_t>(INT32_MAX) || !pm.ParseFromCodedStream(&input)) {
    return absl::InvalidArgumentError("binary IR: not a serialized Loom module");
  }
  auto module = std::make_unique<Module>(pm.name());
  for (const pb::Global& pg : pm.globals()) {
    Global g;
    g.name = pg.name();
    g.trainable = pg.trainable();
    ASSIGN_OR_RETURN(g.type, FromProto(pg.type()));
    int kind = pg.init().kind();
    if (kind < 0 || kind > static_cast<int>(Initializer::Kind::kNormal)) {
      return absl::InvalidArgumentError("binary IR: unknown initializer");
    }
    g.init = {static_cast<Initializer::Kind>(kind), pg.init().a(), pg.init().b()};
    module->AddGlobal(std::move(g));
  }
  for (const pb::Function& pf : pm.functions()) {
    Function* f = module->AddFunction(pf.name());
    RETURN_IF_ERROR(FromProto(pf.body(), f->body(), 0));
    std::vector<TensorType> results;
    for (const pb::TensorType& t : pf.results()) {
      ASSIGN_OR_RETURN(TensorType tt, FromProto(t));
      results.push_back(std::move(tt));
    }
    f->set_result_types(std::move(results));
  }
  return module;
}

}  // namespace loom::ir
