// The memory and speed of a model on a device, itemized:
//   weights   = sum over tensors of their bytes (real types from a GGUF header, or a scheme's
//               rules); on a CPU an untied token embedding only for the rows a context looks up
//   KV cache  = 2 (K and V) x layers x context x parallel sequences x KV heads x head dim x
//   bytes
//               per value of the KV type (f16 2, q8_0 34/32, f32 4)
//   compute   = what a forward pass of one micro-batch allocates: on a CPU hearth's own buffers
//               (activations, logits, converted activations), on a GPU llama.cpp's (activations,
//               attention scores, logits); see docs/FIT.md
//   overhead  = process baseline + vocabulary tables + page tables of the mapped weights + the
//               device runtime's own reserve (GPU driver context); on a CPU hearth's repacked
//               layouts (Q4_K +2.8%) and the repacking peak where it exceeds KV cache + compute
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "fit/devices.h"
#include "fit/quant_scheme.h"
#include "fit/shape.h"

namespace hearth::fit {

enum class KvType { kF16, kQ8_0, kF32 };
Result<KvType> parse_kv_type(std::string_view name);
const char* kv_type_name(KvType type);
double kv_bytes_per_value(KvType type);

// A model to estimate: its shape and its tensors with their (real or planned) types.
struct ModelSpec {
  ModelShape shape;
  std::vector<TensorDesc> tensors;
  std::string quant;       // scheme name ("Q4_K_M"), or what the file says ("mostly Q4_K")
  std::string source;      // "preset", "config.json", "gguf"
  bool from_file = false;  // tensors (and their types) come from a GGUF header
};

// A preset or config.json shape at a scheme.
Result<ModelSpec> spec_for_scheme(const ModelShape& shape, const QuantScheme& scheme,
                                  const std::string& source);

struct FitOptions {
  int64_t n_ctx = 4096;    // context per sequence
  int64_t n_parallel = 1;  // sequences decoded together, each with its own n_ctx of KV cache
  KvType kv_type = KvType::kF16;
  int64_t n_ubatch = 512;  // tokens per forward pass while processing a prompt
};

struct MemoryItem {
  std::string name;
  uint64_t bytes = 0;
};

struct MemoryEstimate {
  uint64_t weights_file_bytes = 0;  // sum of the tensors' bytes (what the GGUF file holds)
  uint64_t weights_bytes = 0;       // of those, resident (CPU: the embedding rows looked up)
  uint64_t kv_cache_bytes = 0;
  uint64_t compute_bytes = 0;
  uint64_t overhead_bytes = 0;
  uint64_t total_bytes = 0;
  std::vector<MemoryItem> weights_by_type;  // "Q4_K" -> bytes, largest first
  std::vector<MemoryItem>
      weights_by_part;                    // token embedding, attention, feed-forward, output, norms
  std::vector<MemoryItem> compute_items;  // activations, attention scores, logits, scratch
  std::vector<MemoryItem> overhead_items;
  int64_t n_params = 0;
  int64_t n_active_params = 0;  // per token (MoE: only the experts used)
};

uint64_t kv_cache_bytes(const ModelShape& shape, int64_t n_ctx, int64_t n_parallel, KvType type);
MemoryEstimate estimate_memory(const ModelSpec& spec, const FitOptions& options,
                               uint64_t device_reserve_bytes = 0);

// The largest context per sequence (a multiple of 256 when above 256, at most the model's
// training context) whose total fits `memory_bytes`; 0 when not even 256 tokens fit.
int64_t max_context(const ModelSpec& spec, const FitOptions& options, uint64_t memory_bytes,
                    uint64_t device_reserve_bytes = 0);

struct SpeedEstimate {
  uint64_t bytes_per_token = 0;       // read per generated token, one sequence, context half full
  double tokens_per_s = 0;            // one sequence decoding
  double aggregate_tokens_per_s = 0;  // all n_parallel sequences decoding together
  double prompt_tokens_per_s = 0;     // prompt processing (compute bound)
  const char* decode_bound = "memory bandwidth";
};
SpeedEstimate estimate_speed(const ModelSpec& spec, const MemoryEstimate& memory,
                             const FitOptions& options, const Device& device);

}  // namespace hearth::fit
