#include "fit/gguf_source.h"

#include <algorithm>
#include <filesystem>

#include "gguf/gguf.h"

namespace hearth::fit {
namespace {

// A per-layer array (some models vary head counts by layer) or a single integer: the largest.
Result<int64_t> get_int_or_max(const gguf::File& file, const std::string& key, int64_t fallback) {
  const gguf::Value* value = file.find(key);
  if (value == nullptr) {
    if (fallback >= 0) return fallback;
    return corrupt_file("GGUF metadata has no ", key);
  }
  if (value->is_integer()) return value->as_int();
  if (value->is_array()) {
    int64_t best = 0;
    for (const gguf::Value& item : value->as_array().items) {
      if (!item.is_integer()) return corrupt_file(key, " holds a non-integer");
      best = std::max(best, item.as_int());
    }
    return best;
  }
  return corrupt_file(key, " is a ", gguf::value_type_name(value->type), ", not an integer");
}

int64_t vocab_size(const gguf::File& file, const std::string& arch) {
  if (const gguf::TensorInfo* embd = file.find_tensor("token_embd.weight")) return embd->ne[1];
  if (const gguf::Value* tokens = file.find("tokenizer.ggml.tokens");
      tokens && tokens->is_array()) {
    return static_cast<int64_t>(tokens->as_array().items.size());
  }
  return file.get_int_or(arch + ".vocab_size", 0);
}

Result<ModelShape> shape_from_metadata(const gguf::File& file) {
  HEARTH_ASSIGN_OR_RETURN(std::string arch, file.get_string("general.architecture"));
  ModelShape s;
  s.arch = arch;
  s.name = file.get_string_or("general.name", std::filesystem::path(file.path()).stem().string());
  const std::string p = arch + ".";
  HEARTH_ASSIGN_OR_RETURN(s.n_layer, get_int_or_max(file, p + "block_count", -1));
  HEARTH_ASSIGN_OR_RETURN(s.n_embd, get_int_or_max(file, p + "embedding_length", -1));
  HEARTH_ASSIGN_OR_RETURN(s.n_head, get_int_or_max(file, p + "attention.head_count", -1));
  HEARTH_ASSIGN_OR_RETURN(s.n_kv_head,
                          get_int_or_max(file, p + "attention.head_count_kv", s.n_head));
  if (s.n_head <= 0) return corrupt_file(p, "attention.head_count is ", s.n_head);
  HEARTH_ASSIGN_OR_RETURN(s.head_dim,
                          get_int_or_max(file, p + "attention.key_length", s.n_embd / s.n_head));
  HEARTH_ASSIGN_OR_RETURN(s.n_expert, get_int_or_max(file, p + "expert_count", 0));
  HEARTH_ASSIGN_OR_RETURN(s.n_expert_used, get_int_or_max(file, p + "expert_used_count", 0));
  HEARTH_ASSIGN_OR_RETURN(s.n_ff, get_int_or_max(file, p + "feed_forward_length", 0));
  if (s.n_expert > 1) {
    HEARTH_ASSIGN_OR_RETURN(s.n_ff, get_int_or_max(file, p + "expert_feed_forward_length", s.n_ff));
  }
  HEARTH_ASSIGN_OR_RETURN(s.n_ctx_train, get_int_or_max(file, p + "context_length", 0));
  s.n_vocab = vocab_size(file, arch);
  s.tied_embeddings = file.find_tensor("output.weight") == nullptr;
  s.fused_qkv = file.find_tensor("blk.0.attn_qkv.weight") != nullptr;
  s.fused_gate_up = s.fused_qkv && file.find_tensor("blk.0.ffn_gate.weight") == nullptr;
  s.qkv_bias = file.find_tensor("blk.0.attn_q.bias") != nullptr;
  s.qk_norm = file.find_tensor("blk.0.attn_q_norm.weight") != nullptr;
  s.post_norms = file.find_tensor("blk.0.post_attention_norm.weight") != nullptr;
  HEARTH_RETURN_IF_ERROR(validate_shape(s));
  return s;
}

std::string file_quant(const gguf::File& file) {
  const int64_t file_type = file.get_int_or("general.file_type", -1);
  if (const QuantScheme* scheme = scheme_from_file_type(file_type)) return scheme->name;
  return file_type >= 0 ? str_cat("file_type ", file_type) : "unknown";
}

}  // namespace

Result<ModelSpec> spec_from_gguf(const gguf::File& file) {
  ModelSpec spec;
  auto shape = shape_from_metadata(file);
  if (!shape.ok()) return shape.status().with_context(file.path());
  spec.shape = std::move(shape).value();
  for (const gguf::TensorInfo& info : file.tensors()) {
    TensorDesc t;
    t.name = info.name;
    t.ggml_type = info.ggml_type;
    t.n_dims = info.n_dims;
    std::copy(std::begin(info.ne), std::end(info.ne), std::begin(t.ne));
    t.n_bytes = info.n_bytes;
    spec.tensors.push_back(std::move(t));
  }
  spec.quant = file_quant(file);
  spec.source = "gguf";
  spec.from_file = true;
  return spec;
}

Result<ModelSpec> spec_from_gguf_file(const std::string& path) {
  HEARTH_ASSIGN_OR_RETURN(gguf::File file, gguf::File::open(path));
  return spec_from_gguf(file);
}

}  // namespace hearth::fit
