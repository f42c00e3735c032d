#include "model/config.h"

namespace hearth::model {
namespace {

Result<int64_t> positive_int(const gguf::File& f, const std::string& key) {
  HEARTH_ASSIGN_OR_RETURN(int64_t v, f.get_int(key));
  if (v <= 0) return invalid_argument("metadata ", key, " = ", v, " must be positive");
  return v;
}

Status read_rope(const gguf::File& f, const std::string& a, ModelConfig& c) {
  RopeConfig& r = c.rope;
  r.n_dims = static_cast<int>(f.get_int_or(a + ".rope.dimension_count", c.head_dim_k));
  if (r.n_dims <= 0 || r.n_dims > c.head_dim_k || r.n_dims % 2 != 0)
    return invalid_argument("metadata ", a, ".rope.dimension_count = ", r.n_dims,
                            " must be even and at most the head size ", c.head_dim_k);
  r.freq_base = static_cast<float>(f.get_float_or(a + ".rope.freq_base", 10000.0));
  if (!(r.freq_base > 0)) return invalid_argument("metadata ", a, ".rope.freq_base must be > 0");
  double factor = f.get_float_or(a + ".rope.scale_linear", 0.0);
  factor = f.get_float_or(a + ".rope.scaling.factor", factor);
  std::string type = f.get_string_or(a + ".rope.scaling.type", factor > 0 ? "linear" : "none");
  if (type == "none") {
    r.scaling = RopeScaling::kNone;
  } else if (type == "linear") {
    r.scaling = RopeScaling::kLinear;
  } else if (type == "yarn") {
    r.scaling = RopeScaling::kYarn;
  } else {
    return unsupported("RoPE scaling type '", type, "' (supported: none, linear, yarn)");
  }
  if (r.scaling != RopeScaling::kNone && factor > 0)
    r.freq_scale = static_cast<float>(1.0 / factor);
  r.n_ctx_orig =
      static_cast<int>(f.get_int_or(a + ".rope.scaling.original_context_length", c.n_ctx_train));
  r.ext_factor = static_cast<float>(f.get_float_or(a + ".rope.scaling.yarn_ext_factor",
                                                   r.scaling == RopeScaling::kYarn ? 1.0 : 0.0));
  r.attn_factor = static_cast<float>(f.get_float_or(a + ".rope.scaling.yarn_attn_factor", 1.0));
  r.beta_fast = static_cast<float>(f.get_float_or(a + ".rope.scaling.yarn_beta_fast", 32.0));
  r.beta_slow = static_cast<float>(f.get_float_or(a + ".rope.scaling.yarn_beta_slow", 1.0));
  return Status::Ok();
}

}  // namespace

std::string ModelConfig::summary() const {
  return str_cat(arch, ": n_embd ", n_embd, ", n_layer ", n_layer, ", n_head ", n_head, "/",
                 n_head_kv, ", head_dim ", head_dim_k, ", n_ff ", n_ff, ", n_vocab ", n_vocab,
                 ", n_ctx_train ", n_ctx_train);
}

Result<ModelConfig> read_config(const gguf::File& f, RopeLayout layout) {
  ModelConfig c;
  HEARTH_ASSIGN_OR_RETURN(c.arch, f.get_string("general.architecture"));
  c.name = f.get_string_or("general.name", "");
  const std::string& a = c.arch;
  HEARTH_ASSIGN_OR_RETURN(c.n_embd, positive_int(f, a + ".embedding_length"));
  HEARTH_ASSIGN_OR_RETURN(c.n_layer, positive_int(f, a + ".block_count"));
  HEARTH_ASSIGN_OR_RETURN(c.n_head, positive_int(f, a + ".attention.head_count"));
  HEARTH_ASSIGN_OR_RETURN(c.n_ff, positive_int(f, a + ".feed_forward_length"));
  HEARTH_ASSIGN_OR_RETURN(c.n_ctx_train, positive_int(f, a + ".context_length"));
  c.n_head_kv = f.get_int_or(a + ".attention.head_count_kv", c.n_head);
  if (c.n_head_kv <= 0 || c.n_head % c.n_head_kv != 0)
    return invalid_argument("metadata ", a, ".attention.head_count_kv = ", c.n_head_kv,
                            " must divide head_count = ", c.n_head);
  c.head_dim_k = f.get_int_or(a + ".attention.key_length", c.n_embd / c.n_head);
  c.head_dim_v = f.get_int_or(a + ".attention.value_length", c.n_embd / c.n_head);
  if (c.head_dim_k <= 0 || c.head_dim_v <= 0)
    return invalid_argument("attention key/value length must be positive");
  c.rms_eps = static_cast<float>(f.get_float_or(a + ".attention.layer_norm_rms_epsilon", 1e-5));
  c.n_vocab = f.get_int_or(a + ".vocab_size", 0);
  if (c.n_vocab == 0) {
    if (const gguf::Value* tokens = f.find("tokenizer.ggml.tokens"); tokens && tokens->is_array())
      c.n_vocab = static_cast<int64_t>(tokens->as_array().items.size());
  }
  c.rope.layout = layout;
  HEARTH_RETURN_IF_ERROR(read_rope(f, a, c));
  return c;
}

}  // namespace hearth::model
