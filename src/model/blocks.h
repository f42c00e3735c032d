// Shared transformer building blocks: RMS norm, attention (GQA, RoPE, optional Q/K/V biases and
// per-head Q/K norms, f16 KV cache) and the SwiGLU feed-forward. Architectures compose these.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/rope.h"
#include "model/batch_view.h"
#include "model/config.h"
#include "model/kv_cache.h"
#include "model/weights.h"

namespace hearth::model {

// Everything one layer's forward pass needs for a batch of n_tokens tokens of many sequences.
struct LayerContext {
  const ModelConfig& config;
  const LayerWeights& w;
  int64_t layer;
  ThreadPool& pool;
  const KvArena& kv;
  const BatchView& batch;  // tokens, positions, sequences and their block tables
  const int32_t* slots;    // (n_tokens) KV slot of each token (checked by Model::check_batch)
  const kernels::RopeParams& rope;
  const float* rope_cos_sin;  // (n_tokens, rope.n_dims) from kernels::rope_angles
  int64_t n_tokens;
};

// y (n_rows, n) = rms_norm(x (n_rows, n)) * weight (n)
void rms_norm_rows(const float* x, const Weight& weight, float eps, int64_t n_rows, int64_t n,
                   float* y);

// y (n_tokens, w.rows) = x (n_tokens, w.cols) W^T (+ bias (w.rows) if present)
void linear(ThreadPool& pool, const Weight& w, const Weight& bias, const float* x, int64_t n_tokens,
            float* y);

// out (n_tokens, n_embd) = self-attention of xn (n_tokens, n_embd); stores each token's K/V in
// its slot and lets token i attend to positions [0, positions[i]] of its own sequence, read
// through that sequence's block table.
void attention(const LayerContext& ctx, const float* xn, float* out);

// out (n_tokens, n_embd) = W_down (silu(W_gate xn) * W_up xn)
void swiglu_ffn(const LayerContext& ctx, const float* xn, float* out);

// The Llama-family block: x += attention(norm(x)); x += ffn(norm(x)).  x: (n_tokens, n_embd)
void pre_norm_block(const LayerContext& ctx, float* x);

}  // namespace hearth::model
