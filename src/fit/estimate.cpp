#include "fit/estimate.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

namespace hearth::fit {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;
// Resident baseline of the process before the model is loaded: code and data of the binary and its
// libraries (server, TLS, ICU), libc/libstdc++, the main stack, allocator arenas. Measured
// (HEARTH_MEMORY_REPORT=1 hearth run, stage "planned"): 9.7-10.1 MiB.
constexpr uint64_t kProcessBaseline = 10 * kMiB;
// Token strings, scores, lookup tables and merges held by the tokenizer, per vocabulary entry.
// Measured (anon RSS after loading, HEARTH_MEMORY_REPORT=1): the 32000-entry SentencePiece
// vocabulary ~310 bytes per entry, the 50257-entry GPT-2 BPE vocabulary (with merges) ~367.
constexpr uint64_t kTokenizerBytesPerToken = 340;
// Page-table entries for mapped weights: 8 bytes per 4 KiB page.
constexpr uint64_t kPageTableDivisor = 512;
// A read fault on a mapped file maps the 64 KiB around the page (Linux fault_around_bytes), so
// one looked-up embedding row makes up to 64 KiB of the file resident.
constexpr uint64_t kFaultAroundBytes = 64 << 10;

struct KvTypeRow {
  KvType type;
  const char* name;
  double bytes_per_value;
};
constexpr KvTypeRow kKvTypes[] = {
    {KvType::kF16, "f16", 2.0},
    {KvType::kQ8_0, "q8_0", 34.0 / 32.0},
    {KvType::kF32, "f32", 4.0},
};

const char* part_of(const std::string& name) {
  if (name == "token_embd.weight") return "token embedding";
  if (name == "output.weight") return "output projection";
  if (name.find("_exps") != std::string::npos) return "feed-forward experts";
  if (name.find("norm") != std::string::npos) return "norms";
  if (name.find("attn_") != std::string::npos) return "attention";
  if (name.find("ffn_") != std::string::npos) return "feed-forward";
  return "other";
}

std::vector<MemoryItem> sorted_items(const std::map<std::string, uint64_t>& totals) {
  std::vector<MemoryItem> items;
  for (const auto& [name, bytes] : totals) items.push_back({name, bytes});
  std::stable_sort(items.begin(), items.end(),
                   [](const MemoryItem& a, const MemoryItem& b) { return a.bytes > b.bytes; });
  return items;
}

bool is_expert_tensor(const TensorDesc& t) {
  return t.name.find("_exps") != std::string::npos;
}

// Elements multiplied per token: everything but the embedding lookup; MoE experts only in part.
int64_t active_parameters(const ModelSpec& spec) {
  const ModelShape& s = spec.shape;
  double active = 0;
  for (const TensorDesc& t : spec.tensors) {
    if (t.name == "token_embd.weight" && !s.tied_embeddings) continue;
    double n = static_cast<double>(t.n_elements());
    if (is_expert_tensor(t) && s.n_expert > 0) n = n * s.n_expert_used / s.n_expert;
    active += n;
  }
  return static_cast<int64_t>(active);
}

// Tokens in the largest forward pass: a prompt micro-batch, or one token per sequence.
uint64_t tokens_per_pass(const FitOptions& o) {
  return static_cast<uint64_t>(
      std::max<int64_t>({1, std::min(o.n_ubatch, o.n_ctx * o.n_parallel), o.n_parallel}));
}

// Bytes per value of the activations converted for the dot products: F16 weights take F16
// activations, quantized ones Q8_K (292 bytes per 256, the widest of the Q8 formats).
double act_bytes_per_value(const std::vector<TensorDesc>& tensors) {
  using quant::GgmlType;
  for (const TensorDesc& t : tensors) {
    const auto type = static_cast<GgmlType>(t.ggml_type);
    if (t.ne[1] > 1 && (type == GgmlType::kF16 || type == GgmlType::kBF16)) return 2.0;
  }
  return 292.0 / 256.0;
}

// What hearth's CPU forward pass (model/blocks.cpp, Model::forward_batch) holds at its peak, the
// feed-forward of one layer: the residual stream, the normed input and the sublayer output
// (n_tok, n_embd) + RoPE angles (n_tok, head_dim) + attention's q, k, v and output
// (n_tok, 2 q_dim + 2 kv_dim) + the feed-forward's gate and up (n_tok, 2 n_ff), f32 (all of them
// are per-thread buffers that persist across layers and passes, blocks.cpp scratch()); attention
// itself is an online softmax over 64-position tiles (no (n_head, n_tok, n_ctx) score matrix).
void add_cpu_compute_items(const ModelSpec& spec, const FitOptions& o, MemoryEstimate* m) {
  const ModelShape& s = spec.shape;
  const uint64_t n_tok = tokens_per_pass(o);
  const uint64_t ff = static_cast<uint64_t>(s.fused_gate_up ? 2 * s.n_ff : s.n_ff);
  const uint64_t attn = 2 * s.q_dim() + 2 * s.kv_dim();
  const uint64_t per_token_floats = 3 * s.n_embd + s.head_dim + attn + 2 * ff;
  const uint64_t activations = 4 * n_tok * per_token_floats;
  // (n_parallel, n_vocab) logits as computed and as kept, plus the sampler's (id, logit) pairs.
  const uint64_t logits = 16 * static_cast<uint64_t>(s.n_vocab) * o.n_parallel;
  // (n_tok, max(dim)) activations converted for the dot products, kept between passes.
  const uint64_t widest =
      std::max<uint64_t>({static_cast<uint64_t>(s.n_embd), ff, static_cast<uint64_t>(s.q_dim())});
  const auto scratch = static_cast<uint64_t>(n_tok * widest * act_bytes_per_value(spec.tensors));
  m->compute_items = {
      {"activations", activations}, {"logits", logits}, {"converted activations", scratch}};
  for (const auto& item : m->compute_items) m->compute_bytes += item.bytes;
}

// GPU runtimes (llama.cpp's CUDA/Metal backends) keep a compute buffer sized for a whole
// micro-batch: all activations of a layer and the attention scores of one layer.
void add_gpu_compute_items(const ModelShape& s, const FitOptions& o, MemoryEstimate* m) {
  const uint64_t n_tok = tokens_per_pass(o);
  const uint64_t ff = static_cast<uint64_t>(s.fused_gate_up ? 2 * s.n_ff : s.n_ff);
  // (n_tok, x) f32: residual, normed input, attention output, q, k, v, attn out, ffn gate/up.
  const uint64_t per_token_floats = 3 * s.n_embd + 2 * s.q_dim() + 2 * s.kv_dim() + 2 * ff;
  const uint64_t activations = 4 * n_tok * per_token_floats;
  // (n_head, n_tok, n_ctx) f32 scores of one layer at a time.
  const uint64_t scores = 4 * static_cast<uint64_t>(s.n_head) * n_tok * o.n_ctx;
  // (n_parallel, n_vocab) f32: one row of logits per sequence.
  const uint64_t logits = 4 * static_cast<uint64_t>(s.n_vocab) * o.n_parallel;
  m->compute_items = {
      {"activations", activations}, {"attention scores", scores}, {"logits", logits}};
  for (const auto& item : m->compute_items) m->compute_bytes += item.bytes;
}

bool is_repacked(const TensorDesc& t) {
  using quant::GgmlType;
  const auto type = static_cast<GgmlType>(t.ggml_type);
  return t.name != "token_embd.weight" && t.ne[1] > 1 &&
         (type == GgmlType::kQ4_K || type == GgmlType::kQ4_0 || type == GgmlType::kQ8_0 ||
          type == GgmlType::kQ6_K);
}

// hearth's CPU backend repacks matrices for its tiled GEMM (kernels/repack.h): the layouts have
// the size of the GGUF blocks except Q4_K, whose 6-bit scales are unpacked (148 instead of 144
// bytes per 256 values). The token embedding stays in GGUF rows (get_rows reads it).
uint64_t cpu_repack_growth(const std::vector<TensorDesc>& tensors) {
  uint64_t grown = 0;
  for (const TensorDesc& t : tensors) {
    if (is_repacked(t) && t.ggml_type == static_cast<uint32_t>(quant::GgmlType::kQ4_K))
      grown += t.n_bytes * 4 / 144;
  }
  return grown;
}

// While a tensor is repacked, its mapped GGUF pages and the new copy are both resident (the pages
// are released right after). Layers are loaded last, so the loading peak is about all weights plus
// the largest layer tensor; it counts only where it exceeds the KV cache and compute buffers that
// the run allocates after loading.
uint64_t cpu_repack_in_flight(const std::vector<TensorDesc>& tensors, uint64_t after_loading) {
  uint64_t largest = 0;
  for (const TensorDesc& t : tensors) {
    if (is_repacked(t) && t.name.rfind("blk.", 0) == 0) largest = std::max(largest, t.n_bytes);
  }
  return largest > after_loading ? largest - after_loading : 0;
}

// The bytes of the token embedding that are resident. On a CPU an untied embedding is only read
// by row lookups, each mapping the 64 KiB fault-around window of the file around its row. The rows
// a context looks up grow like Heaps' law, ~4 x n^0.6 effective distinct windows for n tokens
// (calibrated with HEARTH_MEMORY_REPORT on English prompts of 470 and 637 tokens with the Llama 2
// vocabulary: 150 and 168 windows touched); of w windows, w x (1 - exp(-distinct / w)) are hit.
// Tied (it is also the output projection, read whole every token) or on a GPU: all of it.
uint64_t resident_embedding(const ModelSpec& spec, const TensorDesc& t, const FitOptions& o,
                            bool cpu) {
  if (!cpu || spec.shape.tied_embeddings || t.ne[1] <= 0) return t.n_bytes;
  const uint64_t row_bytes = t.n_bytes / static_cast<uint64_t>(t.ne[1]);
  const uint64_t unit = std::max(kFaultAroundBytes, row_bytes);
  const double windows = std::max(1.0, static_cast<double>(t.n_bytes) / unit);
  const double n_tokens = static_cast<double>(o.n_ctx) * o.n_parallel;
  const double distinct = std::min(4.0 * std::pow(n_tokens, 0.6), static_cast<double>(t.ne[1]));
  const double share = 1.0 - std::exp(-distinct / windows);
  return std::min(t.n_bytes, static_cast<uint64_t>(std::ceil(share * windows)) * unit);
}

void add_weight_items(const ModelSpec& spec, const FitOptions& o, bool cpu, MemoryEstimate* m) {
  std::map<std::string, uint64_t> by_type, by_part;
  for (const TensorDesc& t : spec.tensors) {
    const uint64_t bytes =
        t.name == "token_embd.weight" ? resident_embedding(spec, t, o, cpu) : t.n_bytes;
    m->weights_file_bytes += t.n_bytes;
    m->weights_bytes += bytes;
    by_type[quant::type_name(t.ggml_type)] += bytes;
    by_part[part_of(t.name)] += bytes;
  }
  m->weights_by_type = sorted_items(by_type);
  m->weights_by_part = sorted_items(by_part);
}

void add_overhead_items(const ModelSpec& spec, uint64_t device_reserve, MemoryEstimate* m) {
  const ModelShape& s = spec.shape;
  m->overhead_items = {{"process baseline", kProcessBaseline},
                       {"tokenizer tables", kTokenizerBytesPerToken * s.n_vocab},
                       {"page tables of mapped weights", m->weights_bytes / kPageTableDivisor}};
  if (device_reserve > 0) m->overhead_items.push_back({"device runtime reserve", device_reserve});
  if (device_reserve == 0) {  // this machine's CPU backend
    if (const uint64_t g = cpu_repack_growth(spec.tensors); g > 0)
      m->overhead_items.push_back({"repacked GEMM layouts (Q4_K scales)", g});
    const uint64_t after_loading = m->kv_cache_bytes + m->compute_bytes;
    if (const uint64_t f = cpu_repack_in_flight(spec.tensors, after_loading); f > 0)
      m->overhead_items.push_back({"repacking peak (one tensor in flight)", f});
  }
  for (const auto& item : m->overhead_items) m->overhead_bytes += item.bytes;
}

}  // namespace

Result<KvType> parse_kv_type(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& row : kKvTypes) {
    if (lower == row.name) return row.type;
  }
  return invalid_argument("unknown KV cache type '", name, "' (known: f16, q8_0, f32)");
}

const char* kv_type_name(KvType type) {
  for (const auto& row : kKvTypes) {
    if (row.type == type) return row.name;
  }
  return "?";
}

double kv_bytes_per_value(KvType type) {
  for (const auto& row : kKvTypes) {
    if (row.type == type) return row.bytes_per_value;
  }
  return 2.0;
}

Result<ModelSpec> spec_for_scheme(const ModelShape& shape, const QuantScheme& scheme,
                                  const std::string& source) {
  HEARTH_ASSIGN_OR_RETURN(std::vector<TensorDesc> tensors, layout_tensors(shape));
  HEARTH_ASSIGN_OR_RETURN(tensors, apply_scheme(scheme, shape, std::move(tensors)));
  ModelSpec spec;
  spec.shape = shape;
  spec.tensors = std::move(tensors);
  spec.quant = scheme.name;
  spec.source = source;
  return spec;
}

uint64_t kv_cache_bytes(const ModelShape& s, int64_t n_ctx, int64_t n_parallel, KvType type) {
  // K and V, (n_layer, n_parallel * n_ctx, n_kv_head * head_dim) each.
  const double values = 2.0 * static_cast<double>(s.n_layer) * static_cast<double>(n_ctx) *
                        static_cast<double>(n_parallel) * static_cast<double>(s.kv_dim());
  return static_cast<uint64_t>(std::ceil(values * kv_bytes_per_value(type)));
}

MemoryEstimate estimate_memory(const ModelSpec& spec, const FitOptions& options,
                               uint64_t device_reserve_bytes) {
  MemoryEstimate m;
  const bool cpu = device_reserve_bytes == 0;
  add_weight_items(spec, options, cpu, &m);
  m.n_params = count_parameters(spec.tensors);
  m.n_active_params = active_parameters(spec);
  m.kv_cache_bytes = kv_cache_bytes(spec.shape, options.n_ctx, options.n_parallel, options.kv_type);
  if (cpu) {
    add_cpu_compute_items(spec, options, &m);
  } else {
    add_gpu_compute_items(spec.shape, options, &m);
  }
  add_overhead_items(spec, device_reserve_bytes, &m);
  m.total_bytes = m.weights_bytes + m.kv_cache_bytes + m.compute_bytes + m.overhead_bytes;
  return m;
}

int64_t max_context(const ModelSpec& spec, const FitOptions& options, uint64_t memory_bytes,
                    uint64_t device_reserve_bytes) {
  constexpr int64_t kStep = 256;
  const int64_t cap = spec.shape.n_ctx_train > 0 ? spec.shape.n_ctx_train : int64_t{1} << 20;
  auto fits = [&](int64_t n_ctx) {
    FitOptions o = options;
    o.n_ctx = n_ctx;
    return estimate_memory(spec, o, device_reserve_bytes).total_bytes <= memory_bytes;
  };
  if (!fits(std::min(kStep, cap))) return 0;
  if (fits(cap)) return cap;
  int64_t lo = 1, hi = cap / kStep;  // fits(lo * kStep), !fits(hi * kStep) unless hi == lo
  if (hi <= lo) return std::min(kStep, cap);
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    (fits(mid * kStep) ? lo : hi) = mid;
  }
  return lo * kStep;
}

namespace {

// The share of the read bandwidth hearth's CPU decode reaches, per weight format, measured with
// `hearth bench -p 512 -n 128 -t 2` on tinyllama-1.1b shapes (docs/PERFORMANCE.md, 2026-11-25:
// tg128 at 70.9% of the roofline for Q4_K_M, 89.9% Q4_0, 92.8% Q8_0); formats not measured 0.85.
double cpu_decode_share(quant::GgmlType type) {
  using quant::GgmlType;
  switch (type) {
    case GgmlType::kQ2_K:
    case GgmlType::kQ3_K:
    case GgmlType::kQ4_K:
    case GgmlType::kQ5_K:
    case GgmlType::kQ6_K:
      return 0.71;
    case GgmlType::kQ4_0:
    case GgmlType::kQ8_0:
      return 0.91;
    default:
      return 0.85;
  }
}

// Bandwidth efficiency of decoding: a GPU's from the catalog, hearth's CPU kernels' averaged over
// the bytes each format contributes to a token.
double decode_efficiency(const ModelSpec& spec, const Device& device) {
  if (device.kind != DeviceKind::kCpu) return device.decode_efficiency;
  double bytes = 0, weighted = 0;
  for (const TensorDesc& t : spec.tensors) {
    if (t.name == "token_embd.weight" && !spec.shape.tied_embeddings) continue;
    const auto b = static_cast<double>(t.n_bytes);
    bytes += b;
    weighted += b * cpu_decode_share(static_cast<quant::GgmlType>(t.ggml_type));
  }
  return bytes > 0 ? weighted / bytes : device.decode_efficiency;
}

}  // namespace

SpeedEstimate estimate_speed(const ModelSpec& spec, const MemoryEstimate& memory,
                             const FitOptions& options, const Device& device) {
  const ModelShape& s = spec.shape;
  double weight_bytes_read = 0;
  for (const TensorDesc& t : spec.tensors) {
    double bytes = static_cast<double>(t.n_bytes);
    if (t.name == "token_embd.weight" && !s.tied_embeddings) bytes /= std::max<int64_t>(1, t.ne[1]);
    if (is_expert_tensor(t) && s.n_expert > 0) bytes = bytes * s.n_expert_used / s.n_expert;
    weight_bytes_read += bytes;
  }
  // One sequence's KV cache, half full on average over a generation that fills the context.
  const double kv_read =
      static_cast<double>(kv_cache_bytes(s, options.n_ctx, 1, options.kv_type)) / 2;
  SpeedEstimate speed;
  speed.bytes_per_token = static_cast<uint64_t>(weight_bytes_read + kv_read);
  const double bandwidth = device.bandwidth_bytes_per_s * decode_efficiency(spec, device);
  const double flops = device.flops * device.prefill_efficiency;
  // Multiply-adds per token: weights, plus attention over half the context (QK^T and AV).
  const double flop_per_token = 2.0 * static_cast<double>(memory.n_active_params) +
                                4.0 * s.n_layer * s.q_dim() * (options.n_ctx / 2.0);
  const double compute_bound = flop_per_token > 0 ? flops / flop_per_token : 0;
  const double memory_bound = speed.bytes_per_token > 0 ? bandwidth / speed.bytes_per_token : 0;
  speed.tokens_per_s = std::min(memory_bound, compute_bound);
  if (compute_bound < memory_bound) speed.decode_bound = "compute";
  const double step_bytes = weight_bytes_read + kv_read * options.n_parallel;
  speed.aggregate_tokens_per_s =
      std::min(options.n_parallel * bandwidth / step_bytes, compute_bound);
  speed.prompt_tokens_per_s = compute_bound;
  return speed;
}

}  // namespace hearth::fit
