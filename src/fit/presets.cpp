// Published model shapes, one row each, from the models' Hugging Face config.json files
// (hidden_size, num_hidden_layers, num_attention_heads, num_key_value_heads, head_dim,
// intermediate_size, vocab_size, max_position_embeddings, tie_word_embeddings).
#include <algorithm>
#include <cctype>

#include "fit/shape.h"

namespace hearth::fit {
namespace {

enum Flags : unsigned {
  kNone = 0,
  kTied = 1u << 0,         // tie_word_embeddings
  kQkvBias = 1u << 1,      // qwen2 q/k/v biases
  kQkNorm = 1u << 2,       // qwen3, gemma3
  kPostNorms = 1u << 3,    // gemma2, gemma3
  kFusedQkv = 1u << 4,     // phi3 attn_qkv
  kFusedGateUp = 1u << 5,  // phi3 ffn_up = [gate; up]
};

struct Row {
  const char* id;
  const char* summary;
  const char* arch;
  int64_t layers, embd, heads, kv_heads, head_dim, ff, vocab, ctx;
  unsigned flags;
  int64_t experts = 0, experts_used = 0;
};

constexpr unsigned kGemma2 = kTied | kPostNorms;
constexpr unsigned kGemma3 = kTied | kPostNorms | kQkNorm;
constexpr unsigned kPhi3 = kFusedQkv | kFusedGateUp;

// id, summary, arch, layers, hidden, heads, kv heads, head dim, ffn, vocab, context, flags[,
// experts, used]
constexpr Row kRows[] = {
    {"llama-3.2-1b", "Llama 3.2 1B", "llama", 16, 2048, 32, 8, 64, 8192, 128256, 131072, kTied},
    {"llama-3.2-3b", "Llama 3.2 3B", "llama", 28, 3072, 24, 8, 128, 8192, 128256, 131072, kTied},
    {"llama-3.1-8b", "Llama 3.1 8B", "llama", 32, 4096, 32, 8, 128, 14336, 128256, 131072, kNone},
    {"llama-3.1-70b", "Llama 3.1/3.3 70B", "llama", 80, 8192, 64, 8, 128, 28672, 128256, 131072,
     kNone},
    {"llama-3.1-405b", "Llama 3.1 405B", "llama", 126, 16384, 128, 8, 128, 53248, 128256, 131072,
     kNone},
    {"tinyllama-1.1b", "TinyLlama 1.1B", "llama", 22, 2048, 32, 4, 64, 5632, 32000, 2048, kNone},
    {"llama-2-7b", "Llama 2 7B", "llama", 32, 4096, 32, 32, 128, 11008, 32000, 4096, kNone},
    {"llama-2-13b", "Llama 2 13B", "llama", 40, 5120, 40, 40, 128, 13824, 32000, 4096, kNone},
    {"llama-2-70b", "Llama 2 70B", "llama", 80, 8192, 64, 8, 128, 28672, 32000, 4096, kNone},
    {"mistral-7b", "Mistral 7B v0.3", "llama", 32, 4096, 32, 8, 128, 14336, 32768, 32768, kNone},
    {"mixtral-8x7b", "Mixtral 8x7B (MoE, 2 of 8 experts)", "llama", 32, 4096, 32, 8, 128, 14336,
     32000, 32768, kNone, 8, 2},
    {"qwen2.5-0.5b", "Qwen2.5 0.5B", "qwen2", 24, 896, 14, 2, 64, 4864, 151936, 32768,
     kTied | kQkvBias},
    {"qwen2.5-1.5b", "Qwen2.5 1.5B", "qwen2", 28, 1536, 12, 2, 128, 8960, 151936, 32768,
     kTied | kQkvBias},
    {"qwen2.5-3b", "Qwen2.5 3B", "qwen2", 36, 2048, 16, 2, 128, 11008, 151936, 32768,
     kTied | kQkvBias},
    {"qwen2.5-7b", "Qwen2.5 7B", "qwen2", 28, 3584, 28, 4, 128, 18944, 152064, 32768, kQkvBias},
    {"qwen2.5-14b", "Qwen2.5 14B", "qwen2", 48, 5120, 40, 8, 128, 13824, 152064, 32768, kQkvBias},
    {"qwen2.5-32b", "Qwen2.5 32B", "qwen2", 64, 5120, 40, 8, 128, 27648, 152064, 32768, kQkvBias},
    {"qwen2.5-72b", "Qwen2.5 72B", "qwen2", 80, 8192, 64, 8, 128, 29568, 152064, 32768, kQkvBias},
    {"qwen3-0.6b", "Qwen3 0.6B", "qwen3", 28, 1024, 16, 8, 128, 3072, 151936, 40960,
     kTied | kQkNorm},
    {"qwen3-1.7b", "Qwen3 1.7B", "qwen3", 28, 2048, 16, 8, 128, 6144, 151936, 40960,
     kTied | kQkNorm},
    {"qwen3-4b", "Qwen3 4B", "qwen3", 36, 2560, 32, 8, 128, 9728, 151936, 40960, kTied | kQkNorm},
    {"qwen3-8b", "Qwen3 8B", "qwen3", 36, 4096, 32, 8, 128, 12288, 151936, 40960, kQkNorm},
    {"qwen3-14b", "Qwen3 14B", "qwen3", 40, 5120, 40, 8, 128, 17408, 151936, 40960, kQkNorm},
    {"qwen3-32b", "Qwen3 32B", "qwen3", 64, 5120, 64, 8, 128, 25600, 151936, 40960, kQkNorm},
    {"qwen3-30b-a3b", "Qwen3 30B-A3B (MoE, 8 of 128 experts)", "qwen3moe", 48, 2048, 32, 4, 128,
     768, 151936, 40960, kQkNorm, 128, 8},
    {"gemma-2-2b", "Gemma 2 2B", "gemma2", 26, 2304, 8, 4, 256, 9216, 256000, 8192, kGemma2},
    {"gemma-2-9b", "Gemma 2 9B", "gemma2", 42, 3584, 16, 8, 256, 14336, 256000, 8192, kGemma2},
    {"gemma-2-27b", "Gemma 2 27B", "gemma2", 46, 4608, 32, 16, 128, 36864, 256000, 8192, kGemma2},
    {"gemma-3-1b", "Gemma 3 1B", "gemma3", 26, 1152, 4, 1, 256, 6912, 262144, 32768, kGemma3},
    {"gemma-3-4b", "Gemma 3 4B (text)", "gemma3", 34, 2560, 8, 4, 256, 10240, 262208, 131072,
     kGemma3},
    {"gemma-3-12b", "Gemma 3 12B (text)", "gemma3", 48, 3840, 16, 8, 256, 15360, 262208, 131072,
     kGemma3},
    {"gemma-3-27b", "Gemma 3 27B (text)", "gemma3", 62, 5376, 32, 16, 128, 21504, 262208, 131072,
     kGemma3},
    {"phi-3-mini", "Phi-3 mini 3.8B (4k)", "phi3", 32, 3072, 32, 32, 96, 8192, 32064, 4096, kPhi3},
    {"phi-3-medium", "Phi-3 medium 14B (4k)", "phi3", 40, 5120, 40, 10, 128, 17920, 32064, 4096,
     kPhi3},
    {"phi-4", "Phi-4 14B", "phi3", 40, 5120, 40, 10, 128, 17920, 100352, 16384, kPhi3},
    {"phi-4-mini", "Phi-4 mini 3.8B", "phi3", 32, 3072, 24, 8, 128, 8192, 200064, 131072,
     kPhi3 | kTied},
};

ModelShape to_shape(const Row& r) {
  ModelShape s;
  s.name = r.id;
  s.arch = r.arch;
  s.n_layer = r.layers;
  s.n_embd = r.embd;
  s.n_head = r.heads;
  s.n_kv_head = r.kv_heads;
  s.head_dim = r.head_dim;
  s.n_ff = r.ff;
  s.n_vocab = r.vocab;
  s.n_ctx_train = r.ctx;
  s.tied_embeddings = r.flags & kTied;
  s.qkv_bias = r.flags & kQkvBias;
  s.qk_norm = r.flags & kQkNorm;
  s.post_norms = r.flags & kPostNorms;
  s.fused_qkv = r.flags & kFusedQkv;
  s.fused_gate_up = r.flags & kFusedGateUp;
  s.n_expert = r.experts;
  s.n_expert_used = r.experts_used;
  return s;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

const std::vector<Preset>& presets() {
  static const std::vector<Preset> table = [] {
    std::vector<Preset> out;
    for (const Row& r : kRows) out.push_back({r.id, r.summary, to_shape(r)});
    return out;
  }();
  return table;
}

Result<ModelShape> find_preset(std::string_view id) {
  const std::string wanted = lower(id);
  for (const Preset& p : presets()) {
    if (wanted == p.id) return p.shape;
  }
  // Suggest presets sharing the family prefix ("llama-3", "qwen2.5", ...).
  std::string suggestions;
  const std::string family = wanted.substr(0, std::min<size_t>(wanted.size(), 5));
  for (const Preset& p : presets()) {
    if (!family.empty() && std::string_view(p.id).substr(0, family.size()) == family) {
      suggestions += suggestions.empty() ? "" : ", ";
      suggestions += p.id;
    }
  }
  if (suggestions.empty()) suggestions = "`hearth fit --list` shows them all";
  return not_found("unknown model preset '", id, "' (not a file either); presets: ", suggestions);
}

}  // namespace hearth::fit
