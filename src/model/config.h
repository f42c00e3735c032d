// ModelConfig: the hyperparameters of a model, read from GGUF metadata ({arch}.* keys).
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "gguf/gguf.h"

namespace hearth::model {

enum class RopeLayout { kNormal, kNeox };
enum class RopeScaling { kNone, kLinear, kYarn };

struct RopeConfig {
  RopeLayout layout = RopeLayout::kNormal;
  RopeScaling scaling = RopeScaling::kNone;
  int n_dims = 0;  // rope.dimension_count (defaults to head_dim_k)
  float freq_base = 10000.0f;
  float freq_scale = 1.0f;  // 1 / rope.scaling.factor
  int n_ctx_orig = 0;       // rope.scaling.original_context_length (defaults to context_length)
  float ext_factor = 0.0f;  // 1 for YaRN unless the file says otherwise
  float attn_factor = 1.0f;
  float beta_fast = 32.0f;
  float beta_slow = 1.0f;
};

struct ModelConfig {
  std::string arch;  // general.architecture
  std::string name;  // general.name (may be empty)
  int64_t n_vocab = 0;
  int64_t n_embd = 0;
  int64_t n_layer = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim_k = 0;  // attention.key_length (default n_embd / n_head)
  int64_t head_dim_v = 0;  // attention.value_length (default n_embd / n_head)
  int64_t n_ff = 0;
  int64_t n_ctx_train = 0;
  float rms_eps = 1e-5f;
  RopeConfig rope;

  int64_t q_dim() const { return n_head * head_dim_k; }     // width of Q
  int64_t k_dim() const { return n_head_kv * head_dim_k; }  // width of K (one KV cache row)
  int64_t v_dim() const { return n_head_kv * head_dim_v; }  // width of V
  int64_t attn_out_dim() const { return n_head * head_dim_v; }
  std::string summary() const;
};

// Reads the config of `file`; `layout` is the architecture's RoPE layout. n_vocab comes from
// {arch}.vocab_size or the token list length, and loading checks it against token_embd.weight.
Result<ModelConfig> read_config(const gguf::File& file, RopeLayout layout);

}  // namespace hearth::model
