// The weight table: each architecture declares its tensors as data (name, shape, required?).
// One table drives loading, validation (missing / mis-shaped / undecodable tensors are errors
// naming the tensor) and size accounting.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "gguf/gguf.h"
#include "kernels/kernels.h"
#include "model/config.h"

namespace hearth::model {

// A loaded tensor: a matrix view into the mapped file (rows = ne[1], cols = ne[0]); vectors
// (norm weights, biases, rope factors) are also decoded to f32 in `vec`.
struct Weight {
  kernels::Matrix m;
  std::vector<float> vec;  // (cols) decoded 1-D tensors only
  bool present() const { return m.data != nullptr; }
  const float* f32() const { return vec.empty() ? nullptr : vec.data(); }
};

struct LayerWeights {
  Weight attn_norm;     // (n_embd)
  Weight wq, wk, wv;    // (q_dim, n_embd), (k_dim, n_embd), (v_dim, n_embd)
  Weight bq, bk, bv;    // (q_dim), (k_dim), (v_dim) optional biases (qwen2)
  Weight q_norm;        // (head_dim_k) per-head RMS norm of Q (qwen3)
  Weight k_norm;        // (head_dim_k) per-head RMS norm of K (qwen3)
  Weight wo;            // (n_embd, attn_out_dim)
  Weight ffn_norm;      // (n_embd)
  Weight w_gate, w_up;  // (n_ff, n_embd)
  Weight w_down;        // (n_embd, n_ff)
};

struct ModelWeights {
  Weight token_embd;   // (n_vocab, n_embd)
  Weight output_norm;  // (n_embd)
  Weight output;       // (n_vocab, n_embd); absent when tied: token_embd is used
  Weight rope_freqs;   // (rope n_dims / 2) llama3 frequency factors, optional
  std::vector<LayerWeights> layers;
  const Weight& lm_head() const { return output.present() ? output : token_embd; }
};

// A dimension of a tensor, resolved against a ModelConfig.
enum class Dim { kEmbd, kVocab, kFf, kQ, kK, kV, kAttnOut, kHeadK, kRopeHalf };
int64_t dim_value(Dim d, const ModelConfig& c);

struct WeightSpec {
  const char* name;  // "token_embd.weight", or per layer "attn_q.weight" (-> "blk.N.attn_q.weight")
  bool per_layer;
  int n_dims;                // 1 or 2
  std::array<Dim, 2> shape;  // GGUF order: shape[0] = ne[0] (row length), shape[1] = ne[1]
  bool required;
  Weight ModelWeights::*global = nullptr;
  Weight LayerWeights::*layer = nullptr;
};

// Convenience constructors for the tables in arch/*.cpp.
constexpr WeightSpec global_weight(const char* name, Weight ModelWeights::*field, Dim d0,
                                   bool required) {
  return {name, false, 1, {d0, d0}, required, field, nullptr};
}
constexpr WeightSpec global_matrix(const char* name, Weight ModelWeights::*field, Dim d0, Dim d1,
                                   bool required) {
  return {name, false, 2, {d0, d1}, required, field, nullptr};
}
constexpr WeightSpec layer_vector(const char* name, Weight LayerWeights::*field, Dim d0,
                                  bool required) {
  return {name, true, 1, {d0, d0}, required, nullptr, field};
}
constexpr WeightSpec layer_matrix(const char* name, Weight LayerWeights::*field, Dim d0, Dim d1,
                                  bool required) {
  return {name, true, 2, {d0, d1}, required, nullptr, field};
}

// The full tensor name of `spec` in layer `layer` (ignored for globals).
std::string weight_name(const WeightSpec& spec, int64_t layer);

// Binds every tensor of `table` to its data in `file`, checking presence, shape and type.
Result<ModelWeights> load_weights(const gguf::File& file, const ModelConfig& config,
                                  std::span<const WeightSpec> table);

// Bytes of the weights `table` names that are present in `file` (size accounting).
uint64_t weight_bytes(const gguf::File& file, const ModelConfig& config,
                      std::span<const WeightSpec> table);

}  // namespace hearth::model
