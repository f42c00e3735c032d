#include "fit/estimate.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

namespace hearth::fit {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;
// Resident baseline of the process: code, libc/libstdc++, thread stacks, allocator arenas.
// Measured: peak RSS of `hearth run` on brown-6m minus its weights, KV cache and compute is 1.2-1.4
// MiB.
// Measured: `hearth --version` alone peaks at ~9 MiB RSS now that the server, TLS and ICU
// libraries are linked; a model run adds ~6 MiB of that beyond the items counted below.
constexpr uint64_t kProcessBaseline = 6 * kMiB;
// Token strings, scores and merge tables held by the tokenizer, per vocabulary entry.
constexpr uint64_t kTokenizerBytesPerToken = 64;
// Page-table entries for mapped weights: 8 bytes per 4 KiB page.
constexpr uint64_t kPageTableDivisor = 512;

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

void add_compute_items(const ModelShape& s, const FitOptions& o, MemoryEstimate* m) {
  // Tokens in the largest forward pass: a prompt micro-batch, or one token per sequence.
  const uint64_t n_tok = static_cast<uint64_t>(
      std::max<int64_t>({1, std::min(o.n_ubatch, o.n_ctx * o.n_parallel), o.n_parallel}));
  const uint64_t ff = static_cast<uint64_t>(s.fused_gate_up ? 2 * s.n_ff : s.n_ff);
  // (n_tok, x) f32: residual, normed input, attention output, q, k, v, attn out, ffn gate/up.
  const uint64_t per_token_floats = 3 * s.n_embd + 2 * s.q_dim() + 2 * s.kv_dim() + 2 * ff;
  const uint64_t activations = 4 * n_tok * per_token_floats;
  // (n_head, n_tok, n_ctx) f32 scores of one layer at a time.
  const uint64_t scores = 4 * static_cast<uint64_t>(s.n_head) * n_tok * o.n_ctx;
  // (n_parallel, n_vocab) f32: one row of logits per sequence.
  const uint64_t logits = 4 * static_cast<uint64_t>(s.n_vocab) * o.n_parallel;
  // (n_tok, max(dim)) activations quantized for the dot products (Q8_K: 292 bytes per 256).
  const uint64_t widest =
      std::max<uint64_t>({static_cast<uint64_t>(s.n_embd), ff, static_cast<uint64_t>(s.q_dim())});
  const uint64_t scratch = n_tok * widest * 292 / 256;
  m->compute_items = {{"activations", activations},
                      {"attention scores", scores},
                      {"logits", logits},
                      {"quantized activations", scratch}};
  for (const auto& item : m->compute_items) m->compute_bytes += item.bytes;
}

// hearth's CPU backend repacks matrices for its tiled GEMM (kernels/repack.h): the layouts have
// the size of the GGUF blocks except Q4_K, whose 6-bit scales are unpacked (148 instead of 144
// bytes per 256 values). The token embedding stays in GGUF rows (get_rows reads it).
// While a tensor is repacked its mapped GGUF pages and the new copy are both resident (the pages
// are released right after), so the peak also holds the largest repacked tensor twice.
uint64_t cpu_repack_growth(const std::vector<TensorDesc>& tensors) {
  using quant::GgmlType;
  uint64_t grown = 0, largest = 0;
  for (const TensorDesc& t : tensors) {
    if (t.name == "token_embd.weight") continue;
    const auto type = static_cast<GgmlType>(t.ggml_type);
    if (type == GgmlType::kQ4_K) grown += t.n_bytes * 4 / 144;
    if (type == GgmlType::kQ4_K || type == GgmlType::kQ4_0 || type == GgmlType::kQ8_0 ||
        type == GgmlType::kQ6_K)
      largest = std::max(largest, t.n_bytes);
  }
  return grown + largest;
}

void add_overhead_items(const ModelSpec& spec, uint64_t weights, uint64_t device_reserve,
                        MemoryEstimate* m) {
  const ModelShape& s = spec.shape;
  m->overhead_items = {{"process baseline", kProcessBaseline},
                       {"tokenizer tables", kTokenizerBytesPerToken * s.n_vocab},
                       {"page tables of mapped weights", weights / kPageTableDivisor}};
  if (device_reserve > 0) m->overhead_items.push_back({"device runtime reserve", device_reserve});
  if (device_reserve == 0) {  // this machine's CPU backend
    if (const uint64_t g = cpu_repack_growth(spec.tensors); g > 0)
      m->overhead_items.push_back({"repacked GEMM layouts (Q4_K scales, one tensor in flight)", g});
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
  std::map<std::string, uint64_t> by_type, by_part;
  for (const TensorDesc& t : spec.tensors) {
    m.weights_bytes += t.n_bytes;
    by_type[quant::type_name(t.ggml_type)] += t.n_bytes;
    by_part[part_of(t.name)] += t.n_bytes;
  }
  m.weights_by_type = sorted_items(by_type);
  m.weights_by_part = sorted_items(by_part);
  m.n_params = count_parameters(spec.tensors);
  m.n_active_params = active_parameters(spec);
  m.kv_cache_bytes = kv_cache_bytes(spec.shape, options.n_ctx, options.n_parallel, options.kv_type);
  add_compute_items(spec.shape, options, &m);
  add_overhead_items(spec, m.weights_bytes, device_reserve_bytes, &m);
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
  const double bandwidth = device.bandwidth_bytes_per_s * device.decode_efficiency;
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
