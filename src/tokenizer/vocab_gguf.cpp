// Vocab from GGUF metadata: tokenizer.ggml.* keys, with type checks that name the bad key.
#include <iterator>
#include <string>
#include <variant>

#include "gguf/gguf.h"
#include "tokenizer/vocab.h"

namespace hearth::tokenizer {
namespace {

using gguf::Value;
using gguf::ValueType;

// (Local names so that this file only needs gguf.h's inline accessors.)
const char* type_name(ValueType t) {
  static constexpr const char* kNames[] = {"uint8",  "int8",    "uint16", "int16",  "uint32",
                                           "int32",  "float32", "bool",   "string", "array",
                                           "uint64", "int64",   "float64"};
  const auto i = static_cast<uint32_t>(t);
  return i < std::size(kNames) ? kNames[i] : "unknown type";
}

const Value* find_key(const gguf::File& file, std::string_view key) {
  for (const gguf::KeyValue& kv : file.metadata()) {
    if (kv.key == key) return &kv.value;
  }
  return nullptr;
}

bool is_integer_type(ValueType t) {
  switch (t) {
    case ValueType::kUint8:
    case ValueType::kInt8:
    case ValueType::kUint16:
    case ValueType::kInt16:
    case ValueType::kUint32:
    case ValueType::kInt32:
    case ValueType::kUint64:
    case ValueType::kInt64:
      return true;
    default:
      return false;
  }
}

// Integer value of an integer-typed Value (signed or unsigned storage).
std::optional<int64_t> integer_of(const Value& v) {
  if (!is_integer_type(v.type)) return std::nullopt;
  if (const auto* u = std::get_if<uint64_t>(&v.data)) {
    return *u > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(*u);
  }
  if (const auto* i = std::get_if<int64_t>(&v.data)) return *i;
  return std::nullopt;
}

Status read_string(const gguf::File& file, std::string_view key, std::string& out) {
  const Value* v = find_key(file, key);
  if (v == nullptr) return Status::Ok();
  const auto* s = std::get_if<std::string>(&v->data);
  if (v->type != ValueType::kString || s == nullptr) {
    return corrupt_file(key, " should be a string but is ", type_name(v->type));
  }
  out = *s;
  return Status::Ok();
}

Status read_bool(const gguf::File& file, std::string_view key, std::optional<bool>& out) {
  const Value* v = find_key(file, key);
  if (v == nullptr) return Status::Ok();
  const auto* u = std::get_if<uint64_t>(&v->data);
  if (v->type == ValueType::kBool && u != nullptr) {
    out = *u != 0;
    return Status::Ok();
  }
  if (auto i = integer_of(*v)) {  // some converters write 0/1 integers
    out = *i != 0;
    return Status::Ok();
  }
  return corrupt_file(key, " should be a bool but is ", type_name(v->type));
}

Status read_id(const gguf::File& file, std::string_view key, std::optional<int64_t>& out) {
  const Value* v = find_key(file, key);
  if (v == nullptr) return Status::Ok();
  auto i = integer_of(*v);
  if (!i) return corrupt_file(key, " should be an integer but is ", type_name(v->type));
  out = *i;
  return Status::Ok();
}

// The array under `key` (nullptr if absent), checking its element type with `accept`.
Result<const gguf::Array*> read_array(const gguf::File& file, std::string_view key,
                                      bool (*accept)(ValueType), const char* expected) {
  const Value* v = find_key(file, key);
  if (v == nullptr) return static_cast<const gguf::Array*>(nullptr);
  const auto* arr = std::get_if<std::shared_ptr<gguf::Array>>(&v->data);
  if (v->type != ValueType::kArray || arr == nullptr || *arr == nullptr) {
    return corrupt_file(key, " should be an array of ", expected, " but is ", type_name(v->type));
  }
  if (!(*arr)->items.empty() && !accept((*arr)->element_type)) {
    return corrupt_file(key, " should be an array of ", expected, " but holds ",
                        type_name((*arr)->element_type));
  }
  return arr->get();
}

Status read_string_array(const gguf::File& file, std::string_view key,
                         std::vector<std::string>& out, bool& present) {
  HEARTH_ASSIGN_OR_RETURN(
      const gguf::Array* arr,
      read_array(
          file, key, [](ValueType t) { return t == ValueType::kString; }, "strings"));
  present = arr != nullptr;
  if (arr == nullptr) return Status::Ok();
  out.reserve(arr->items.size());
  for (const Value& item : arr->items) {
    const auto* s = std::get_if<std::string>(&item.data);
    if (s == nullptr) return corrupt_file(key, ": an element is not a string");
    out.push_back(*s);
  }
  return Status::Ok();
}

Status read_scores(const gguf::File& file, std::vector<float>& out) {
  constexpr std::string_view key = "tokenizer.ggml.scores";
  HEARTH_ASSIGN_OR_RETURN(
      const gguf::Array* arr,
      read_array(
          file, key, [](ValueType t) { return t == ValueType::kFloat32 || t == ValueType::kInt32; },
          "float32 or int32"));
  if (arr == nullptr) return Status::Ok();
  out.reserve(arr->items.size());
  for (const Value& item : arr->items) {
    if (const auto* d = std::get_if<double>(&item.data)) {
      out.push_back(static_cast<float>(*d));
    } else if (auto i = integer_of(item)) {
      out.push_back(static_cast<float>(*i));
    } else {
      return corrupt_file(key, ": an element is not a number");
    }
  }
  return Status::Ok();
}

Status read_token_types(const gguf::File& file, std::vector<int32_t>& out) {
  constexpr std::string_view key = "tokenizer.ggml.token_type";
  HEARTH_ASSIGN_OR_RETURN(const gguf::Array* arr, read_array(file, key, is_integer_type, "int32"));
  if (arr == nullptr) return Status::Ok();
  out.reserve(arr->items.size());
  for (const Value& item : arr->items) {
    auto i = integer_of(item);
    if (!i) return corrupt_file(key, ": an element is not an integer");
    out.push_back(static_cast<int32_t>(*i));
  }
  return Status::Ok();
}

Status read_special_ids(const gguf::File& file, SpecialIds& s) {
  const std::pair<const char*, std::optional<int64_t>*> keys[] = {
      {"tokenizer.ggml.bos_token_id", &s.bos},
      {"tokenizer.ggml.eos_token_id", &s.eos},
      {"tokenizer.ggml.eot_token_id", &s.eot},
      {"tokenizer.ggml.eom_token_id", &s.eom},
      {"tokenizer.ggml.unknown_token_id", &s.unk},
      {"tokenizer.ggml.seperator_token_id", &s.sep},
      {"tokenizer.ggml.padding_token_id", &s.pad},
      {"tokenizer.ggml.mask_token_id", &s.mask},
      // deprecated names first, so the current ones win when both are present
      {"tokenizer.ggml.prefix_token_id", &s.fim_pre},
      {"tokenizer.ggml.suffix_token_id", &s.fim_suf},
      {"tokenizer.ggml.middle_token_id", &s.fim_mid},
      {"tokenizer.ggml.fim_pre_token_id", &s.fim_pre},
      {"tokenizer.ggml.fim_suf_token_id", &s.fim_suf},
      {"tokenizer.ggml.fim_mid_token_id", &s.fim_mid},
      {"tokenizer.ggml.fim_pad_token_id", &s.fim_pad},
      {"tokenizer.ggml.fim_rep_token_id", &s.fim_rep},
      {"tokenizer.ggml.fim_sep_token_id", &s.fim_sep},
  };
  for (const auto& [key, slot] : keys) HEARTH_RETURN_IF_ERROR(read_id(file, key, *slot));
  return Status::Ok();
}

}  // namespace

Result<VocabSpec> Vocab::spec_from_gguf(const gguf::File& file) {
  VocabSpec spec;
  HEARTH_RETURN_IF_ERROR(read_string(file, "tokenizer.ggml.model", spec.model));
  HEARTH_RETURN_IF_ERROR(read_string(file, "tokenizer.ggml.pre", spec.pre));
  HEARTH_RETURN_IF_ERROR(read_string(file, "general.name", spec.name));
  bool has_tokens = false, has_merges = false;
  HEARTH_RETURN_IF_ERROR(read_string_array(file, "tokenizer.ggml.tokens", spec.tokens, has_tokens));
  if (!spec.model.empty() && !has_tokens) {
    return not_found("tokenizer.ggml.tokens is missing: the file carries no vocabulary");
  }
  HEARTH_RETURN_IF_ERROR(read_scores(file, spec.scores));
  HEARTH_RETURN_IF_ERROR(read_token_types(file, spec.token_types));
  HEARTH_RETURN_IF_ERROR(read_string_array(file, "tokenizer.ggml.merges", spec.merges, has_merges));
  if (spec.model == "gpt2" && !has_merges) {
    return not_found("tokenizer.ggml.merges is missing: a BPE vocabulary needs its merges");
  }
  HEARTH_RETURN_IF_ERROR(read_special_ids(file, spec.special));
  HEARTH_RETURN_IF_ERROR(read_bool(file, "tokenizer.ggml.add_bos_token", spec.add_bos));
  HEARTH_RETURN_IF_ERROR(read_bool(file, "tokenizer.ggml.add_eos_token", spec.add_eos));
  HEARTH_RETURN_IF_ERROR(read_bool(file, "tokenizer.ggml.add_sep_token", spec.add_sep));
  HEARTH_RETURN_IF_ERROR(read_bool(file, "tokenizer.ggml.add_space_prefix", spec.add_space_prefix));
  HEARTH_RETURN_IF_ERROR(read_bool(file, "tokenizer.ggml.normalizer.lowercase", spec.lowercase));
  HEARTH_RETURN_IF_ERROR(
      read_bool(file, "tokenizer.ggml.normalizer.strip_accents", spec.strip_accents));
  return spec;
}

Result<Vocab> Vocab::from_gguf(const gguf::File& file) {
  HEARTH_ASSIGN_OR_RETURN(VocabSpec spec, spec_from_gguf(file));
  return build(std::move(spec));
}

}  // namespace hearth::tokenizer
