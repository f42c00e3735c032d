// Quantization schemes ("file types": Q4_K_M, Q8_0, ...) as llama.cpp's llama-quantize builds
// them: a base tensor type plus per-tensor exceptions (output and attn_v / ffn_down get more bits
// in some layers), so the size of a model at a scheme can be computed tensor by tensor without
// the file. Also the quality cost of each scheme (perplexity increase).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "fit/shape.h"
#include "quant/type_traits.h"

namespace hearth::fit {

struct QuantScheme {
  const char* name;      // "Q4_K_M"
  quant::GgmlType base;  // the type most tensors get
  // Perplexity increase of brown-6m (6.8M-parameter Llama) on brown-val.txt at context 256,
  // measured with llama.cpp (../shared/testdata/README.md), in percent; nullopt: not measured.
  std::optional<double> brown6m_ppl_increase_pct;
  // Perplexity increase on Llama-3-8B (wikitext) as llama.cpp's llama-quantize lists it (F16 and
  // BF16: on Mistral-7B); nullopt: not published there.
  std::optional<double> llama3_8b_ppl_increase;
  // GGUF general.file_type (llama_ftype) of a file quantized with this scheme.
  int64_t file_type = 0;
};

// All schemes, highest quality first (the order `best quantization that fits` tries them in).
const std::vector<QuantScheme>& quant_schemes();
// Case-insensitive ("q4_k_m"); the error lists the known names.
Result<const QuantScheme*> find_scheme(std::string_view name);

// The type llama-quantize gives `tensor` of a model of `shape` under `scheme` (its rules, see
// docs/FIT.md). Tensors that are never quantized (norms, biases, the MoE router) keep their type.
// `has_imatrix`: an importance matrix is used (a few rules depend on it: Q4_0 / Q5_0 / IQ4_*
// ffn_down in the first eighth of the layers).
uint32_t scheme_tensor_type(const QuantScheme& scheme, const ModelShape& shape,
                            const TensorDesc& tensor, bool has_imatrix = false);
// Whether llama-quantize converts `tensor` at all (2-D+ "*weight" tensors except norms, the MoE
// router and position embeddings); the others are copied as they are.
bool is_quantizable(const TensorDesc& tensor);

// Re-types every tensor for `scheme` and recomputes its bytes.
Result<std::vector<TensorDesc>> apply_scheme(const QuantScheme& scheme, const ModelShape& shape,
                                             std::vector<TensorDesc> tensors);

// The scheme a file most likely used, from GGUF general.file_type (llama_ftype); nullptr if
// unknown.
const QuantScheme* scheme_from_file_type(int64_t file_type);

}  // namespace hearth::fit
