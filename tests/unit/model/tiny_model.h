// Builds small random-weight GGUF models in memory (llama / qwen2 / qwen3 shapes) and computes
// their logits with a plain, unoptimized reference forward pass written from the papers.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/fp16.h"
#include "gguf/gguf.h"

namespace hearth::testing {

struct TinySpec {
  std::string arch = "llama";
  int64_t n_embd = 32, n_head = 4, n_head_kv = 2, head_dim = 8, n_ff = 48, n_layer = 2;
  int64_t n_vocab = 50, n_ctx = 64, rope_dims = 8;
  float freq_base = 10000.0f, rms_eps = 1e-5f;
  bool tied = false, biases = false, qk_norm = false, rope_freqs = false, neox = false;
  float linear_scale = 0.0f;  // rope.scaling.factor (0: none)
  uint32_t seed = 1;
};

// Random tensors of a model, by GGUF name, in GGUF order (ne[0] contiguous).
struct TinyModel {
  TinySpec spec;
  std::map<std::string, std::vector<float>> t;
  std::map<std::string, std::vector<int64_t>> shape;
  std::vector<uint8_t> bytes;  // the serialized GGUF file
};

inline void add_random(TinyModel& m, std::mt19937& rng, const std::string& name,
                       std::vector<int64_t> ne, float scale, float offset = 0.0f) {
  std::normal_distribution<float> dist(0.0f, 1.0f);
  int64_t n = 1;
  for (int64_t d : ne) n *= d;
  std::vector<float> v(n);
  for (float& x : v) x = offset + scale * dist(rng);
  m.t[name] = v;
  m.shape[name] = ne;
}

// Builds the tensors; `skip` leaves one out, `reshape` gives one tensor a wrong first dim.
inline TinyModel make_tiny(const TinySpec& s, const std::string& skip = "",
                           const std::string& reshape = "") {
  TinyModel m;
  m.spec = s;
  std::mt19937 rng(s.seed);
  const int64_t q = s.n_head * s.head_dim, kv = s.n_head_kv * s.head_dim;
  add_random(m, rng, "token_embd.weight", {s.n_embd, s.n_vocab}, 1.0f);
  add_random(m, rng, "output_norm.weight", {s.n_embd}, 0.1f, 1.0f);
  if (!s.tied) add_random(m, rng, "output.weight", {s.n_embd, s.n_vocab}, 0.3f);
  if (s.rope_freqs) add_random(m, rng, "rope_freqs.weight", {s.rope_dims / 2}, 0.5f, 2.0f);
  for (int64_t l = 0; l < s.n_layer; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    const float ws = 1.0f / std::sqrt(static_cast<float>(s.n_embd));
    add_random(m, rng, p + "attn_norm.weight", {s.n_embd}, 0.1f, 1.0f);
    add_random(m, rng, p + "attn_q.weight", {s.n_embd, q}, ws);
    add_random(m, rng, p + "attn_k.weight", {s.n_embd, kv}, ws);
    add_random(m, rng, p + "attn_v.weight", {s.n_embd, kv}, ws);
    if (s.biases) {
      add_random(m, rng, p + "attn_q.bias", {q}, 0.2f);
      add_random(m, rng, p + "attn_k.bias", {kv}, 0.2f);
      add_random(m, rng, p + "attn_v.bias", {kv}, 0.2f);
    }
    if (s.qk_norm) {
      add_random(m, rng, p + "attn_q_norm.weight", {s.head_dim}, 0.1f, 1.0f);
      add_random(m, rng, p + "attn_k_norm.weight", {s.head_dim}, 0.1f, 1.0f);
    }
    add_random(m, rng, p + "attn_output.weight", {q, s.n_embd}, 1.0f / std::sqrt(float(q)));
    add_random(m, rng, p + "ffn_norm.weight", {s.n_embd}, 0.1f, 1.0f);
    add_random(m, rng, p + "ffn_gate.weight", {s.n_embd, s.n_ff}, ws);
    add_random(m, rng, p + "ffn_up.weight", {s.n_embd, s.n_ff}, ws);
    add_random(m, rng, p + "ffn_down.weight", {s.n_ff, s.n_embd}, 1.0f / std::sqrt(float(s.n_ff)));
  }
  gguf::Writer w;
  const std::string a = s.arch;
  w.set("general.architecture", gguf::Value::str(a));
  w.set(a + ".context_length", gguf::Value::u32(s.n_ctx));
  w.set(a + ".embedding_length", gguf::Value::u32(s.n_embd));
  w.set(a + ".block_count", gguf::Value::u32(s.n_layer));
  w.set(a + ".feed_forward_length", gguf::Value::u32(s.n_ff));
  w.set(a + ".attention.head_count", gguf::Value::u32(s.n_head));
  w.set(a + ".attention.head_count_kv", gguf::Value::u32(s.n_head_kv));
  w.set(a + ".attention.key_length", gguf::Value::u32(s.head_dim));
  w.set(a + ".attention.value_length", gguf::Value::u32(s.head_dim));
  w.set(a + ".rope.dimension_count", gguf::Value::u32(s.rope_dims));
  w.set(a + ".rope.freq_base", gguf::Value::f32(s.freq_base));
  w.set(a + ".attention.layer_norm_rms_epsilon", gguf::Value::f32(s.rms_eps));
  w.set(a + ".vocab_size", gguf::Value::u32(s.n_vocab));
  if (s.linear_scale > 0) {
    w.set(a + ".rope.scaling.type", gguf::Value::str("linear"));
    w.set(a + ".rope.scaling.factor", gguf::Value::f32(s.linear_scale));
  }
  for (auto& [name, values] : m.t) {
    if (name == skip) continue;
    std::vector<int64_t> ne = m.shape[name];
    std::vector<float> data = values;
    if (name == reshape) {
      ne[0] += 1;
      int64_t n = 1;
      for (int64_t d : ne) n *= d;
      data.resize(n);
    }
    std::vector<uint8_t> raw(data.size() * 4);
    std::memcpy(raw.data(), data.data(), raw.size());
    (void)w.add_tensor_copy(name, 0, ne, std::move(raw));
  }
  auto bytes = w.to_bytes();
  if (bytes.ok()) m.bytes = std::move(bytes).value();
  return m;
}

// ---- reference forward pass (double accumulation, f16 rounding of the K/V cache and Q) ----

inline float round_f16(float x) {
  return fp16_to_float(float_to_fp16(x));
}

// y (rows) = W (rows, cols) x (cols), W as GGUF stores it (ne = {cols, rows}).
inline std::vector<float> ref_matvec(const std::vector<float>& w, const std::vector<float>& x) {
  const size_t cols = x.size(), rows = w.size() / cols;
  std::vector<float> y(rows);
  for (size_t r = 0; r < rows; ++r) {
    double acc = 0;
    for (size_t c = 0; c < cols; ++c) acc += double(w[r * cols + c]) * x[c];
    y[r] = float(acc);
  }
  return y;
}

inline std::vector<float> ref_rmsnorm(const float* x, size_t n, const std::vector<float>& w,
                                      float eps) {
  double ss = 0;
  for (size_t i = 0; i < n; ++i) ss += double(x[i]) * x[i];
  const double inv = 1.0 / std::sqrt(ss / n + eps);
  std::vector<float> y(n);
  for (size_t i = 0; i < n; ++i) y[i] = float(x[i] * inv * w[i]);
  return y;
}

inline void ref_rope(const TinyModel& m, float* head, int64_t pos) {
  const TinySpec& s = m.spec;
  const int64_t half = s.rope_dims / 2;
  for (int64_t i = 0; i < half; ++i) {
    double theta = pos * std::pow(double(s.freq_base), -2.0 * i / s.rope_dims);
    if (s.rope_freqs) theta /= m.t.at("rope_freqs.weight")[i];
    if (s.linear_scale > 0) theta /= s.linear_scale;
    const int64_t a = s.neox ? i : 2 * i, b = s.neox ? i + half : 2 * i + 1;
    const double x0 = head[a], x1 = head[b];
    head[a] = float(x0 * std::cos(theta) - x1 * std::sin(theta));
    head[b] = float(x0 * std::sin(theta) + x1 * std::cos(theta));
  }
}

// Logits (n_tokens, n_vocab) of tokens at positions 0..n-1.
inline std::vector<std::vector<float>> ref_forward(const TinyModel& m,
                                                   const std::vector<int32_t>& tokens) {
  const TinySpec& s = m.spec;
  const int64_t hd = s.head_dim, n = tokens.size();
  auto T = [&](const std::string& name) -> const std::vector<float>& { return m.t.at(name); };
  std::vector<std::vector<float>> x(n);
  for (int64_t i = 0; i < n; ++i) {
    const auto& e = T("token_embd.weight");
    x[i].assign(e.begin() + tokens[i] * s.n_embd, e.begin() + (tokens[i] + 1) * s.n_embd);
  }
  for (int64_t l = 0; l < s.n_layer; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    std::vector<std::vector<float>> q(n), k(n), v(n);
    for (int64_t i = 0; i < n; ++i) {
      auto xn = ref_rmsnorm(x[i].data(), s.n_embd, T(p + "attn_norm.weight"), s.rms_eps);
      q[i] = ref_matvec(T(p + "attn_q.weight"), xn);
      k[i] = ref_matvec(T(p + "attn_k.weight"), xn);
      v[i] = ref_matvec(T(p + "attn_v.weight"), xn);
      if (s.biases) {
        for (size_t j = 0; j < q[i].size(); ++j) q[i][j] += T(p + "attn_q.bias")[j];
        for (size_t j = 0; j < k[i].size(); ++j) k[i][j] += T(p + "attn_k.bias")[j];
        for (size_t j = 0; j < v[i].size(); ++j) v[i][j] += T(p + "attn_v.bias")[j];
      }
      for (int64_t h = 0; h < s.n_head; ++h) {
        if (s.qk_norm) {
          auto y = ref_rmsnorm(&q[i][h * hd], hd, T(p + "attn_q_norm.weight"), s.rms_eps);
          std::copy(y.begin(), y.end(), &q[i][h * hd]);
        }
        ref_rope(m, &q[i][h * hd], i);
      }
      for (int64_t h = 0; h < s.n_head_kv; ++h) {
        if (s.qk_norm) {
          auto y = ref_rmsnorm(&k[i][h * hd], hd, T(p + "attn_k_norm.weight"), s.rms_eps);
          std::copy(y.begin(), y.end(), &k[i][h * hd]);
        }
        ref_rope(m, &k[i][h * hd], i);
      }
      for (float& f : k[i]) f = round_f16(f);
      for (float& f : v[i]) f = round_f16(f);
      for (float& f : q[i]) f = round_f16(f);
    }
    for (int64_t i = 0; i < n; ++i) {
      std::vector<float> att(s.n_head * hd);
      for (int64_t h = 0; h < s.n_head; ++h) {
        const int64_t g = h / (s.n_head / s.n_head_kv);
        // llama.cpp's CPU flash attention: online softmax over positions in order, the
        // weighted sum of values kept in f16 and rescaled when a new maximum appears.
        double mx = -1e300, sum = 0;
        std::vector<float> acc(hd, 0.0f);
        for (int64_t j = 0; j <= i; ++j) {
          double d = 0;
          for (int64_t c = 0; c < hd; ++c) d += double(q[i][h * hd + c]) * k[j][g * hd + c];
          const double sc = d / std::sqrt(double(hd));
          double w = 1.0;
          if (sc > mx) {
            const double rescale = std::exp(mx - sc);
            for (float& a : acc) a = round_f16(float(a * rescale));
            sum *= rescale;
            mx = sc;
          } else {
            w = std::exp(sc - mx);
          }
          for (int64_t c = 0; c < hd; ++c) acc[c] = round_f16(float(acc[c] + w * v[j][g * hd + c]));
          sum += w;
        }
        for (int64_t c = 0; c < hd; ++c) att[h * hd + c] = float(acc[c] / sum);
      }
      auto o = ref_matvec(T(p + "attn_output.weight"), att);
      for (int64_t c = 0; c < s.n_embd; ++c) x[i][c] += o[c];
      auto xn = ref_rmsnorm(x[i].data(), s.n_embd, T(p + "ffn_norm.weight"), s.rms_eps);
      auto gate = ref_matvec(T(p + "ffn_gate.weight"), xn);
      auto up = ref_matvec(T(p + "ffn_up.weight"), xn);
      for (size_t c = 0; c < gate.size(); ++c) gate[c] = gate[c] / (1 + std::exp(-gate[c])) * up[c];
      auto d = ref_matvec(T(p + "ffn_down.weight"), gate);
      for (int64_t c = 0; c < s.n_embd; ++c) x[i][c] += d[c];
    }
  }
  std::vector<std::vector<float>> logits(n);
  const auto& head = s.tied ? T("token_embd.weight") : T("output.weight");
  for (int64_t i = 0; i < n; ++i)
    logits[i] =
        ref_matvec(head, ref_rmsnorm(x[i].data(), s.n_embd, T("output_norm.weight"), s.rms_eps));
  return logits;
}

}  // namespace hearth::testing
