// The shape of a transformer model: everything the memory math needs, nothing it does not.
// A ModelShape comes from a preset (fit/presets.cpp), a Hugging Face config.json
// (fit/hf_config.cpp) or a GGUF header (fit/gguf_source.cpp); layout_tensors() turns it into the
// tensor directory a GGUF file of that model would have (names and shapes as llama.cpp writes
// them).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace hearth::fit {

struct ModelShape {
  std::string name;  // "llama-3.1-8b"
  std::string arch;  // GGUF architecture: llama, qwen2, qwen3, qwen3moe, gemma2, gemma3, phi3
  int64_t n_layer = 0;
  int64_t n_embd = 0;     // hidden size
  int64_t n_head = 0;     // query heads
  int64_t n_kv_head = 0;  // key/value heads (grouped-query attention)
  int64_t head_dim = 0;   // per head (key and value length)
  int64_t n_ff = 0;       // feed-forward width (per expert for MoE)
  int64_t n_vocab = 0;
  int64_t n_ctx_train = 0;       // context length the model was trained for
  bool tied_embeddings = false;  // no output.weight: token_embd doubles as the output projection
  bool qkv_bias = false;         // q/k/v biases (qwen2)
  bool qk_norm = false;          // per-head RMS norms on q and k (qwen3, gemma3)
  bool post_norms = false;       // post-attention and post-ffn norms (gemma2, gemma3)
  bool fused_qkv = false;        // one attn_qkv tensor (phi3)
  bool fused_gate_up = false;    // ffn_up holds gate and up, 2 * n_ff wide, no ffn_gate (phi3)
  int64_t n_expert = 0;          // 0 for dense models
  int64_t n_expert_used = 0;

  int64_t q_dim() const { return n_head * head_dim; }
  int64_t kv_dim() const { return n_kv_head * head_dim; }
  int64_t n_gqa() const { return n_kv_head > 0 ? n_head / n_kv_head : 0; }
  bool is_moe() const { return n_expert > 1; }
};

// Checks that every dimension is positive and consistent; errors name the field.
Status validate_shape(const ModelShape& shape);

// One tensor of a model's GGUF directory.
struct TensorDesc {
  std::string name;        // "blk.3.attn_q.weight"
  uint32_t ggml_type = 0;  // quant::GgmlType id
  int n_dims = 0;
  int64_t ne[4] = {1, 1, 1, 1};  // ne[0] is the row (contiguous) dimension
  uint64_t n_bytes = 0;          // filled by tensor_bytes() for the type

  int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
};

// The tensors a GGUF conversion of `shape` holds, 2-D weights as F16 and 1-D ones as F32 (what
// llama.cpp's converter writes before quantization), n_bytes filled in.
Result<std::vector<TensorDesc>> layout_tensors(const ModelShape& shape);

// Parameter count (elements of all tensors).
int64_t count_parameters(const std::vector<TensorDesc>& tensors);

// Layer index of "blk.N.xxx", or -1 for tensors outside the blocks.
int layer_of(std::string_view tensor_name);

// Presets: real shapes of published models, as a table (fit/presets.cpp).
struct Preset {
  const char* id;       // "llama-3.1-8b"
  const char* summary;  // "Llama 3.1 8B (Meta)"
  ModelShape shape;
};
const std::vector<Preset>& presets();
// Case-insensitive lookup by id; the error lists close names.
Result<ModelShape> find_preset(std::string_view id);

// Shape from the text of a Hugging Face config.json (llama, mistral, mixtral, qwen2, qwen3,
// qwen3_moe, gemma2, gemma3, phi3 model types). Errors name the missing or bad field.
Result<ModelShape> shape_from_hf_config(std::string_view json_text, const std::string& name);

}  // namespace hearth::fit
