#include "model/blocks.h"

#include <algorithm>
#include <atomic>
#include <cmath>

#include "kernels/attention.h"
#include "kernels/kernels.h"
#include "kernels/vec.h"
#include "model/observer.h"

namespace hearth::model {

void rms_norm_rows(const float* x, const Weight& weight, float eps, int64_t n_rows, int64_t n,
                   float* y) {
  for (int64_t r = 0; r < n_rows; ++r)
    kernels::rms_norm(x + r * n, weight.f32(), eps, n, y + r * n);
}

void linear(ThreadPool& pool, const Weight& w, const Weight& bias, const float* x, int64_t n_tokens,
            float* y) {
  observe_matmul(w.m, x, n_tokens);
  kernels::matmul(pool, w.m, x, n_tokens, y);
  if (!bias.present()) return;
  for (int64_t t = 0; t < n_tokens; ++t)
    kernels::add_inplace(y + t * w.m.rows, bias.f32(), w.m.rows);
}

namespace {

// Row-wise work over n_rows rows of `row_elems` elements each, split over the pool in chunks of
// rows taken from a shared counter when the batch is big enough to pay for waking a thread
// (decode steps of many sequences, prefill chunks); rows are independent, so the result does not
// depend on the split. fn(begin, end) handles rows [begin, end).
template <class Fn>
void for_rows(ThreadPool& pool, const char* name, int64_t n_rows, int64_t row_elems, Fn&& fn) {
  constexpr int64_t kMinElems = 32 * 1024;  // below this one thread is faster than a wake-up
  if (pool.n_threads() == 1 || n_rows < 2 || n_rows * row_elems < kMinElems) {
    fn(int64_t{0}, n_rows);
    return;
  }
  // ~4 chunks per thread for balance, each at least kMinElems / 4 elements
  const int64_t by_size = std::max<int64_t>(1, kMinElems / 4 / std::max<int64_t>(row_elems, 1));
  const int64_t chunk = std::max(by_size, n_rows / (4 * pool.n_threads()));
  std::atomic<int64_t> next{0};
  pool.run_opportunistic(name, [&](int) {
    for (int64_t b = next.fetch_add(chunk); b < n_rows; b = next.fetch_add(chunk))
      fn(b, std::min(n_rows, b + chunk));
  });
}

// Activation buffers reused across layers and forward passes: a fresh std::vector per layer
// costs page faults and zeroing (at 512 tokens the FFN buffers are 11.5 MB each, ~5% of prompt
// time). Each role has its own slot; a slot grows to the largest batch seen and is overwritten
// before it is read. thread_local: forward passes on different threads never share one.
enum Slot { kQ, kK, kV, kAtt, kGate, kUp, kNormed, kOut, kNumSlots };

float* scratch(Slot slot, size_t n) {
  thread_local std::vector<float> buffers[kNumSlots];
  std::vector<float>& b = buffers[slot];
  if (b.size() < n) b.resize(n);
  return b.data();
}

// Per-head RMS norm (qwen3) and RoPE of tokens [t0, t1) of x (n_tokens, n_heads * head_dim),
// in place.
void norm_and_rope(const LayerContext& ctx, const Weight& head_norm, int64_t n_heads, int64_t t0,
                   int64_t t1, float* x) {
  const ModelConfig& c = ctx.config;
  const int64_t width = n_heads * c.head_dim_k;
  if (head_norm.present()) {
    thread_local std::vector<float> tmp;  // (head_dim_k), per thread of the pool
    tmp.resize(c.head_dim_k);
    for (int64_t r = t0 * n_heads; r < t1 * n_heads; ++r) {
      kernels::rms_norm(x + r * c.head_dim_k, head_norm.f32(), c.rms_eps, c.head_dim_k, tmp.data());
      std::copy(tmp.begin(), tmp.end(), x + r * c.head_dim_k);
    }
  }
  for (int64_t t = t0; t < t1; ++t) {
    kernels::rope_apply(ctx.rope, ctx.rope_cos_sin + t * ctx.rope.n_dims, n_heads, c.head_dim_k,
                        x + t * width);
  }
}

}  // namespace

void attention(const LayerContext& ctx, const float* xn, float* out) {
  const ModelConfig& c = ctx.config;
  const int64_t n = ctx.n_tokens;
  float* q = scratch(kQ, n * c.q_dim());             // (n_tokens, n_head * head_dim_k)
  float* k = scratch(kK, n * c.k_dim());             // (n_tokens, n_head_kv * head_dim_k)
  float* v = scratch(kV, n * c.v_dim());             // (n_tokens, n_head_kv * head_dim_v)
  float* att = scratch(kAtt, n * c.attn_out_dim());  // (n_tokens, n_head * head_dim_v)
  {  // q, k, v share the input: one activation conversion, one parallel region
    const kernels::Matrix* ws[3] = {&ctx.w.wq.m, &ctx.w.wk.m, &ctx.w.wv.m};
    float* ys[3] = {q, k, v};
    for (const kernels::Matrix* w : ws) observe_matmul(*w, xn, n);
    kernels::matmul_multi(ctx.pool, 3, ws, xn, n, ys);
    const Weight* biases[3] = {&ctx.w.bq, &ctx.w.bk, &ctx.w.bv};
    for (int i = 0; i < 3; ++i) {
      if (!biases[i]->present()) continue;
      for (int64_t t = 0; t < n; ++t)
        kernels::add_inplace(ys[i] + t * ws[i]->rows, biases[i]->f32(), ws[i]->rows);
    }
  }
  fp16_t* k_arena = ctx.kv.k[ctx.layer];  // (n_slots, k_stride)
  fp16_t* v_arena = ctx.kv.v[ctx.layer];  // (n_slots, v_stride)
  // per token: Q/K norms and RoPE, then its K/V into its slot (distinct slots per token)
  for_rows(ctx.pool, "rope_kv_store", n, c.q_dim() + c.k_dim(), [&](int64_t t0, int64_t t1) {
    norm_and_rope(ctx, ctx.w.q_norm, c.n_head, t0, t1, q);
    norm_and_rope(ctx, ctx.w.k_norm, c.n_head_kv, t0, t1, k);
    for (int64_t t = t0; t < t1; ++t) {
      kernels::f32_to_f16_row(k + t * c.k_dim(), c.k_dim(),
                              k_arena + ctx.slots[t] * ctx.kv.k_stride);
      kernels::f32_to_f16_row(v + t * c.v_dim(), c.v_dim(),
                              v_arena + ctx.slots[t] * ctx.kv.v_stride);
    }
  });

  const int64_t group = c.n_head / c.n_head_kv;  // query heads per KV head
  const float scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim_k));
  // one item = one token's query heads of one KV head (a GQA group), handed out dynamically:
  // later tokens attend to more positions, so equal-sized static chunks would be unbalanced
  const int64_t n_items = n * c.n_head_kv;
  std::atomic<int64_t> next{0};
  auto work = [&](int) {
    for (int64_t item = next.fetch_add(1); item < n_items; item = next.fetch_add(1)) {
      const int64_t t = item / c.n_head_kv, kvh = item % c.n_head_kv;
      const SeqKv& seq = ctx.batch.seqs[ctx.batch.seq_index[t]];
      kernels::AttentionHeadArgs a;
      a.q = q + t * c.q_dim() + kvh * group * c.head_dim_k;
      a.k = k_arena + kvh * c.head_dim_k;
      a.v = v_arena + kvh * c.head_dim_v;
      a.k_stride = ctx.kv.k_stride;
      a.v_stride = ctx.kv.v_stride;
      a.block_table = seq.block_table;
      a.block_size = ctx.batch.block_size;
      a.n_kv = ctx.batch.positions[t] + 1;
      a.head_dim_k = c.head_dim_k;
      a.head_dim_v = c.head_dim_v;
      a.scale = scale;
      kernels::attention_group(a, group, c.head_dim_k,
                               att + t * c.attn_out_dim() + kvh * group * c.head_dim_v,
                               c.head_dim_v);
    }
  };
  if (n_items == 1) {
    work(0);
  } else {
    ctx.pool.run_opportunistic("attention", work);
  }
  linear(ctx.pool, ctx.w.wo, Weight{}, att, n, out);
}

void swiglu_ffn(const LayerContext& ctx, const float* xn, float* out) {
  const int64_t n = ctx.n_tokens, n_ff = ctx.config.n_ff;
  float* gate = scratch(kGate, n * n_ff);  // (n_tokens, n_ff)
  float* up = scratch(kUp, n * n_ff);      // (n_tokens, n_ff)
  observe_matmul(ctx.w.w_gate.m, xn, n);
  observe_matmul(ctx.w.w_up.m, xn, n);
  const kernels::Matrix* ws[2] = {&ctx.w.w_gate.m, &ctx.w.w_up.m};  // same input: one pass
  float* ys[2] = {gate, up};
  kernels::matmul_multi(ctx.pool, 2, ws, xn, n, ys);
  for_rows(ctx.pool, "silu_mul", n, n_ff, [&](int64_t t0, int64_t t1) {
    kernels::silu_mul(gate + t0 * n_ff, up + t0 * n_ff, (t1 - t0) * n_ff, gate + t0 * n_ff);
  });
  observe_matmul(ctx.w.w_down.m, gate, n);
  kernels::matmul(ctx.pool, ctx.w.w_down.m, gate, n, out);
}

void pre_norm_block(const LayerContext& ctx, float* x) {
  const ModelConfig& c = ctx.config;
  const int64_t n = ctx.n_tokens;
  float* xn = scratch(kNormed, n * c.n_embd);  // (n_tokens, n_embd) normalized input
  float* out = scratch(kOut, n * c.n_embd);    // (n_tokens, n_embd) sublayer output
  const int64_t d = c.n_embd;
  for_rows(ctx.pool, "rms_norm", n, d, [&](int64_t t0, int64_t t1) {
    rms_norm_rows(x + t0 * d, ctx.w.attn_norm, c.rms_eps, t1 - t0, d, xn + t0 * d);
  });
  attention(ctx, xn, out);
  // residual add and the next norm in one pass over each row
  for_rows(ctx.pool, "add_rms_norm", n, d, [&](int64_t t0, int64_t t1) {
    kernels::add_inplace(x + t0 * d, out + t0 * d, (t1 - t0) * d);
    rms_norm_rows(x + t0 * d, ctx.w.ffn_norm, c.rms_eps, t1 - t0, d, xn + t0 * d);
  });
  swiglu_ffn(ctx, xn, out);
  for_rows(ctx.pool, "add", n, d, [&](int64_t t0, int64_t t1) {
    kernels::add_inplace(x + t0 * d, out + t0 * d, (t1 - t0) * d);
  });
}

}  // namespace hearth::model
