// ModelShape from a Hugging Face config.json.
#include <nlohmann/json.hpp>

#include "fit/shape.h"

namespace hearth::fit {
namespace {

using nlohmann::json;

// model_type -> GGUF architecture and the tensor-layout traits config.json does not spell out.
struct ModelTypeRow {
  const char* model_type;
  const char* arch;
  bool qkv_bias, qk_norm, post_norms, fused_qkv_and_gate_up, tied_by_default;
};
constexpr ModelTypeRow kModelTypes[] = {
    {"llama", "llama", false, false, false, false, false},
    {"mistral", "llama", false, false, false, false, false},
    {"mixtral", "llama", false, false, false, false, false},
    {"qwen2", "qwen2", true, false, false, false, false},
    {"qwen3", "qwen3", false, true, false, false, false},
    {"qwen3_moe", "qwen3moe", false, true, false, false, false},
    {"gemma2", "gemma2", false, false, true, false, true},
    {"gemma3", "gemma3", false, true, true, false, true},
    {"gemma3_text", "gemma3", false, true, true, false, true},
    {"phi3", "phi3", false, false, false, true, false},
};

// Reads an integer field; `fallback` < 0 means the field is required.
Result<int64_t> get_int(const json& j, const char* key, int64_t fallback = -1) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (fallback >= 0) return fallback;
    return invalid_argument("config.json: missing \"", key, "\"");
  }
  if (!it->is_number_integer() || it->get<int64_t>() < 0) {
    return invalid_argument("config.json: \"", key, "\" must be a non-negative integer, not ",
                            it->dump());
  }
  return it->get<int64_t>();
}

Result<bool> get_bool(const json& j, const char* key, bool fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_boolean())
    return invalid_argument("config.json: \"", key, "\" must be true or false");
  return it->get<bool>();
}

Result<const ModelTypeRow*> find_model_type(const json& j) {
  auto it = j.find("model_type");
  if (it == j.end() || !it->is_string()) {
    return invalid_argument("config.json: missing \"model_type\" (a Hugging Face model config?)");
  }
  const std::string type = it->get<std::string>();
  std::string known;
  for (const auto& row : kModelTypes) {
    if (type == row.model_type) return &row;
    known += std::string(known.empty() ? "" : ", ") + row.model_type;
  }
  return unsupported("config.json: model_type \"", type, "\" is not supported (supported: ", known,
                     ")");
}

Status read_experts(const json& j, ModelShape* s) {
  HEARTH_ASSIGN_OR_RETURN(int64_t local, get_int(j, "num_local_experts", 0));  // mixtral
  HEARTH_ASSIGN_OR_RETURN(int64_t experts, get_int(j, "num_experts", local));  // qwen3_moe
  s->n_expert = experts;
  if (experts > 1) {
    HEARTH_ASSIGN_OR_RETURN(s->n_expert_used, get_int(j, "num_experts_per_tok"));
    HEARTH_ASSIGN_OR_RETURN(s->n_ff, get_int(j, "moe_intermediate_size", s->n_ff));
  }
  return Status::Ok();
}

Result<ModelShape> shape_from_json(const json& root, const std::string& name) {
  HEARTH_ASSIGN_OR_RETURN(const ModelTypeRow* type, find_model_type(root));
  // Multimodal Gemma 3 keeps the language model's fields under "text_config".
  const json& j =
      root.contains("text_config") && root["text_config"].is_object() ? root["text_config"] : root;
  ModelShape s;
  s.name = name;
  s.arch = type->arch;
  HEARTH_ASSIGN_OR_RETURN(s.n_embd, get_int(j, "hidden_size"));
  HEARTH_ASSIGN_OR_RETURN(s.n_layer, get_int(j, "num_hidden_layers"));
  HEARTH_ASSIGN_OR_RETURN(s.n_head, get_int(j, "num_attention_heads"));
  HEARTH_ASSIGN_OR_RETURN(s.n_kv_head, get_int(j, "num_key_value_heads", s.n_head));
  if (s.n_head == 0) return invalid_argument("config.json: \"num_attention_heads\" is 0");
  HEARTH_ASSIGN_OR_RETURN(s.head_dim, get_int(j, "head_dim", s.n_embd / s.n_head));
  HEARTH_ASSIGN_OR_RETURN(s.n_ff, get_int(j, "intermediate_size"));
  HEARTH_ASSIGN_OR_RETURN(s.n_vocab, get_int(j, "vocab_size", 0));
  if (s.n_vocab == 0) {
    HEARTH_ASSIGN_OR_RETURN(s.n_vocab, get_int(root, "vocab_size"));
  }
  HEARTH_ASSIGN_OR_RETURN(s.n_ctx_train, get_int(j, "max_position_embeddings", 0));
  HEARTH_ASSIGN_OR_RETURN(s.tied_embeddings,
                          get_bool(root, "tie_word_embeddings", type->tied_by_default));
  HEARTH_RETURN_IF_ERROR(read_experts(j, &s));
  s.qkv_bias = type->qkv_bias;
  s.qk_norm = type->qk_norm;
  s.post_norms = type->post_norms;
  s.fused_qkv = s.fused_gate_up = type->fused_qkv_and_gate_up;
  HEARTH_RETURN_IF_ERROR(validate_shape(s));
  return s;
}

}  // namespace

Result<ModelShape> shape_from_hf_config(std::string_view json_text, const std::string& name) {
  json root = json::parse(json_text.begin(), json_text.end(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return invalid_argument("config.json: ", name, " is not valid JSON");
  if (!root.is_object()) return invalid_argument("config.json: ", name, " is not a JSON object");
  return shape_from_json(root, name);
}

}  // namespace hearth::fit
