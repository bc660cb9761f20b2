#include <iostream>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "frontends/onnx/import.h"
#include "frontends/params.h"
#include "google/protobuf/text_format.h"
#include "loom/checkpoint.h"
#include "support/files.h"
#include "support/status_macros.h"
#include "tools/loom/commands.h"

namespace loom::cli {
namespace {

absl::Status Export(const Args& args) {
  ASSIGN_OR_RETURN(LoadedModel m, LoadModel(args.positional[1], args));
  Checkpoint params;
  std::string words;
  if (args.Has("--params")) {
    ASSIGN_OR_RETURN(Checkpoint ckpt, LoadCheckpoint(args.Get("--params")));
    ASSIGN_OR_RETURN(params, frontends::ParamsFromCheckpoint(*m.module, ckpt, args.Get("--params")));
    if (auto it = ckpt.metadata.find("words"); it != ckpt.metadata.end()) words = it->second;
  } else {
    ASSIGN_OR_RETURN(int64_t seed, args.GetInt("--seed", 1));
    params = frontends::InitialParams(*m.module, seed);
    for (auto& [name, t] : params.tensors) {  // an imported model's own weights
      if (auto v = m.file.values.find(name); v != m.file.values.end()) t = v->second;
    }
  }
  const std::string& dir = args.positional[2];
  if (absl::EndsWith(dir, ".onnx")) {
    RETURN_IF_ERROR(frontends::onnx::ExportOnnx(m.file, params, dir));
    std::cout << "wrote " << params.tensors.size() << " parameters into a copy of " << m.file.onnx_path << ": " << dir
              << "\n";
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(frontends::ExportNpyDir(params, dir));
  // A text classifier's vocabulary, as params import --vocab reads it back.
  if (!words.empty()) RETURN_IF_ERROR(WriteFileAtomically(dir + "/vocab.txt", "<pad>\n<unk>\n" + words + "\n"));
  std::cout << "wrote " << params.tensors.size() << " parameters" << (words.empty() ? "" : " and vocab.txt") << " to "
            << dir << "\n";
  return absl::OkStatus();
}

// --vocab FILE: one token per line, ids by line — the padding token, the unknown token,
// then the words (the reserved ids of Loom's tokenizer, runtime/data/labelled_text.h).
absl::StatusOr<std::vector<std::string>> ReadVocabulary(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  std::vector<std::string> tokens = absl::StrSplit(text, '\n');
  if (!tokens.empty() && tokens.back().empty()) tokens.pop_back();  // the last line's newline
  if (tokens.size() < 3) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": a vocabulary is the padding token, the unknown token, then the words, one per line; got ",
                     tokens.size(), " lines"));
  }
  std::map<std::string, size_t> seen;
  for (size_t i = 2; i < tokens.size(); ++i) {
    auto [it, fresh] = seen.emplace(tokens[i], i);
    if (!fresh) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", i + 1, ": '", tokens[i], "' is on line ", it->second + 1, " too"));
    }
  }
  return tokens;
}

absl::Status Import(const Args& args) {
  RETURN_IF_ERROR(CheckWritable(args.Get("-o")));
  // --vocab: a size, or a vocabulary file, which also gives the size.
  Args sized = args;
  std::vector<std::string> tokens;
  int64_t size;
  if (args.Has("--vocab") && !absl::SimpleAtoi(args.Get("--vocab"), &size)) {
    ASSIGN_OR_RETURN(tokens, ReadVocabulary(args.Get("--vocab")));
    sized.flags["--vocab"] = absl::StrCat(tokens.size());
  }
  ASSIGN_OR_RETURN(LoadedModel m, LoadModel(args.positional[1], sized));
  ASSIGN_OR_RETURN(Checkpoint params, frontends::ImportNpyDir(*m.module, args.positional[2]));
  // What loom eval, classify and sample read from a checkpoint of loom train's.
  google::protobuf::TextFormat::PrintToString(m.file.model, &params.metadata["model"]);
  if (!tokens.empty()) {
    params.metadata["data"] = "labelled";
    params.metadata["words"] = absl::StrJoin(tokens.begin() + 2, tokens.end(), "\n");
  }
  RETURN_IF_ERROR(SaveCheckpoint(args.Get("-o"), params));
  std::cout << "wrote " << params.tensors.size() << " parameters" << (tokens.empty() ? "" : " and a vocabulary of ")
            << (tokens.empty() ? "" : absl::StrCat(tokens.size(), " tokens")) << " to " << args.Get("-o") << "\n";
  return absl::OkStatus();
}

}  // namespace

int ParamsCommand(const Args& args) {
  const std::string& verb = args.positional[0];
  if (verb != "export" && verb != "import") return UsageError("usage: loom params export|import MODEL.pbtxt DIR ...");
  if (verb == "import" && !args.Has("-o")) return UsageError("loom params import needs -o CKPT");
  absl::Status s = verb == "export" ? Export(args) : Import(args);
  return s.ok() ? 0 : Fail(s);
}

}  // namespace loom::cli
