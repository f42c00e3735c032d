// The per-tensor rules follow llama.cpp's llama_tensor_get_type (src/llama-quant.cpp) for the
// schemes listed here, written as a table: for a (scheme, tensor role) the first row whose
// condition holds gives the type. Checked against the brown-6m files llama-quantize wrote
// (tests/unit/fit/quant_scheme_test.cpp).
#include "fit/quant_scheme.h"

#include <cctype>
#include <string>

namespace hearth::fit {
namespace {

using quant::GgmlType;
using T = GgmlType;

enum class Role {
  kOutput,
  kTokenEmbd,
  kAttnQ,
  kAttnK,
  kAttnV,
  kAttnQkv,
  kAttnOutput,
  kFfnGate,
  kFfnUp,
  kFfnDown,
  kOther
};

enum class When {
  kAlways,
  kMoreBits,     // llama.cpp's use_more_bits: first and last eighth of layers, every third between
  kFirstEighth,  // layer < n_layer / 8
  kFirstSixteenth,          // layer < n_layer / 16
  kFirstTwo,                // layer < 2
  kFirstFour,               // layer < 4
  kFirstEighthNoImatrix,    // layer < n_layer / 8 and no importance matrix
  kFirstEighthWithImatrix,  // layer < n_layer / 8 with an importance matrix
  kGqaAtLeast4,             // n_head / n_kv_head >= 4
  kEightExperts,            // n_expert == 8 (Mixtral)
  kNotEightExperts,
};

struct Rule {
  const char* scheme;
  Role role;
  When when;
  T type;
};

constexpr Rule kRules[] = {
    {"Q2_K", Role::kAttnV, When::kGqaAtLeast4, T::kQ4_K},
    {"Q2_K", Role::kAttnV, When::kAlways, T::kQ3_K},
    {"Q3_K_M", Role::kAttnV, When::kFirstTwo, T::kQ5_K},
    {"Q3_K_M", Role::kAttnV, When::kAlways, T::kQ4_K},
    {"Q3_K_L", Role::kAttnV, When::kAlways, T::kQ5_K},
    {"Q4_K_M", Role::kAttnV, When::kMoreBits, T::kQ6_K},
    {"Q5_K_M", Role::kAttnV, When::kMoreBits, T::kQ6_K},
    {"Q4_K_S", Role::kAttnV, When::kFirstFour, T::kQ5_K},
    {"IQ4_NL", Role::kAttnV, When::kGqaAtLeast4, T::kQ5_K},
    {"IQ4_XS", Role::kAttnV, When::kGqaAtLeast4, T::kQ5_K},

    {"Q2_K", Role::kFfnDown, When::kAlways, T::kQ3_K},
    {"Q3_K_M", Role::kFfnDown, When::kFirstSixteenth, T::kQ5_K},
    {"Q3_K_M", Role::kFfnDown, When::kAlways, T::kQ4_K},
    {"Q3_K_L", Role::kFfnDown, When::kAlways, T::kQ5_K},
    {"Q4_K_M", Role::kFfnDown, When::kMoreBits, T::kQ6_K},
    {"IQ4_NL", Role::kFfnDown, When::kFirstEighthNoImatrix, T::kQ5_K},
    {"IQ4_XS", Role::kFfnDown, When::kFirstEighthNoImatrix, T::kQ5_K},
    {"Q5_K_M", Role::kFfnDown, When::kMoreBits, T::kQ6_K},
    {"Q4_K_S", Role::kFfnDown, When::kFirstEighth, T::kQ5_K},
    {"Q4_0", Role::kFfnDown, When::kFirstEighthWithImatrix, T::kQ4_1},
    {"Q5_0", Role::kFfnDown, When::kFirstEighthWithImatrix, T::kQ5_1},

    {"Q2_K", Role::kAttnOutput, When::kEightExperts, T::kQ5_K},
    {"Q3_K_S", Role::kAttnOutput, When::kEightExperts, T::kQ5_K},
    {"Q3_K_M", Role::kAttnOutput, When::kEightExperts, T::kQ5_K},
    {"Q4_K_S", Role::kAttnOutput, When::kEightExperts, T::kQ5_K},
    {"Q4_K_M", Role::kAttnOutput, When::kEightExperts, T::kQ5_K},
    {"IQ4_NL", Role::kAttnOutput, When::kEightExperts, T::kQ5_K},
    {"IQ4_XS", Role::kAttnOutput, When::kEightExperts, T::kQ5_K},
    {"Q2_K", Role::kAttnOutput, When::kNotEightExperts, T::kQ3_K},
    {"Q3_K_M", Role::kAttnOutput, When::kNotEightExperts, T::kQ4_K},
    {"Q3_K_L", Role::kAttnOutput, When::kNotEightExperts, T::kQ5_K},

    {"Q3_K_M", Role::kAttnQkv, When::kAlways, T::kQ4_K},
    {"Q3_K_L", Role::kAttnQkv, When::kAlways, T::kQ4_K},
    {"Q4_K_M", Role::kAttnQkv, When::kAlways, T::kQ5_K},
    {"Q5_K_M", Role::kAttnQkv, When::kAlways, T::kQ6_K},
};

// name, base type, brown-6m PPL increase % (testdata README), Llama-3-8B PPL increase
// (llama-quantize)
const std::vector<QuantScheme> kSchemes = {
    {"F32", T::kF32, 0.0, std::nullopt, 0},
    {"BF16", T::kBF16, std::nullopt, -0.0050, 32},
    {"F16", T::kF16, -0.00, 0.0020, 1},
    {"Q8_0", T::kQ8_0, 0.01, 0.0026, 7},
    {"Q6_K", T::kQ6_K, 0.08, 0.0217, 18},
    {"Q5_K_M", T::kQ5_K, 0.06, 0.0569, 17},
    {"Q5_K_S", T::kQ5_K, std::nullopt, 0.1049, 16},
    {"Q5_0", T::kQ5_0, std::nullopt, std::nullopt, 8},
    {"Q4_K_M", T::kQ4_K, 0.27, 0.1754, 15},
    {"Q4_K_S", T::kQ4_K, std::nullopt, 0.2689, 14},
    {"IQ4_NL", T::kIQ4_NL, std::nullopt, std::nullopt, 25},
    {"IQ4_XS", T::kIQ4_XS, std::nullopt, std::nullopt, 30},
    {"Q4_0", T::kQ4_0, 0.19, 0.4685, 2},
    {"Q3_K_L", T::kQ3_K, std::nullopt, 0.5562, 13},
    {"Q3_K_M", T::kQ3_K, std::nullopt, 0.6569, 12},
    {"Q3_K_S", T::kQ3_K, 1.24, 1.6321, 11},
    {"Q2_K", T::kQ2_K, 4.31, 3.5199, 10},
};

bool contains(std::string_view s, std::string_view part) {
  return s.find(part) != s.npos;
}

Role role_of(const TensorDesc& t, const ModelShape& shape) {
  const std::string_view name = t.name;
  if (name == "output.weight") return Role::kOutput;
  if (name == "token_embd.weight") return shape.tied_embeddings ? Role::kOutput : Role::kTokenEmbd;
  if (contains(name, "attn_v.weight")) return Role::kAttnV;
  if (contains(name, "attn_k.weight")) return Role::kAttnK;
  if (contains(name, "attn_q.weight")) return Role::kAttnQ;
  if (contains(name, "attn_qkv.weight")) return Role::kAttnQkv;
  if (contains(name, "attn_output.weight")) return Role::kAttnOutput;
  if (contains(name, "ffn_down")) return Role::kFfnDown;
  if (contains(name, "ffn_gate")) return Role::kFfnGate;
  if (contains(name, "ffn_up")) return Role::kFfnUp;
  return Role::kOther;
}

bool use_more_bits(int64_t layer, int64_t n_layer) {
  return layer < n_layer / 8 || layer >= 7 * n_layer / 8 || (layer - n_layer / 8) % 3 == 2;
}

bool holds(When when, int64_t layer, const ModelShape& s, bool has_imatrix) {
  switch (when) {
    case When::kAlways:
      return true;
    case When::kMoreBits:
      return use_more_bits(layer, s.n_layer);
    case When::kFirstEighth:
      return layer < s.n_layer / 8;
    case When::kFirstSixteenth:
      return layer < s.n_layer / 16;
    case When::kFirstTwo:
      return layer < 2;
    case When::kFirstFour:
      return layer < 4;
    case When::kFirstEighthNoImatrix:
      return layer < s.n_layer / 8 && !has_imatrix;
    case When::kFirstEighthWithImatrix:
      return layer < s.n_layer / 8 && has_imatrix;
    case When::kGqaAtLeast4:
      return s.n_gqa() >= 4;
    case When::kEightExperts:
      return s.n_expert == 8;
    case When::kNotEightExperts:
      return s.n_expert != 8;
  }
  return false;
}

int64_t block_size(T type) {
  return quant::type_traits(type).block_size;
}

// A K-quant needs rows that are a multiple of 256 values; llama-quantize falls back otherwise.
T fallback_type(T type) {
  switch (type) {
    case T::kQ2_K:
    case T::kQ3_K:
    case T::kIQ4_XS:
      return T::kIQ4_NL;
    case T::kQ4_K:
      return T::kQ5_0;
    case T::kQ5_K:
      return T::kQ5_1;
    case T::kQ6_K:
      return T::kQ8_0;
    default:
      return T::kF16;
  }
}

T output_type(const QuantScheme& scheme, int64_t row_length) {
  if (row_length % block_size(scheme.base) != 0) return T::kQ8_0;
  return scheme.base == T::kQ8_0 ? T::kQ8_0 : T::kQ6_K;
}

T rule_type(const QuantScheme& scheme, Role role, int64_t layer, const ModelShape& shape,
            bool has_imatrix) {
  for (const Rule& r : kRules) {
    if (r.role == role && std::string_view(r.scheme) == scheme.name &&
        holds(r.when, layer, shape, has_imatrix)) {
      return r.type;
    }
  }
  return scheme.base;
}

}  // namespace

const std::vector<QuantScheme>& quant_schemes() {
  return kSchemes;
}

Result<const QuantScheme*> find_scheme(std::string_view name) {
  std::string upper(name);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const QuantScheme& s : kSchemes) {
    if (upper == s.name) return &s;
  }
  std::string known;
  for (const QuantScheme& s : kSchemes) known += std::string(known.empty() ? "" : ", ") + s.name;
  return invalid_argument("unknown quantization '", name, "' (known: ", known, ")");
}

// llama-quantize quantizes 2-D+ tensors named "*weight" except norms, the MoE router and
// position embeddings.
bool is_quantizable(const TensorDesc& t) {
  const std::string_view name = t.name;
  constexpr std::string_view kSuffix = "weight";
  if (name.size() < kSuffix.size() || name.substr(name.size() - kSuffix.size()) != kSuffix)
    return false;
  if (t.n_dims < 2) return false;
  return !contains(name, "_norm.weight") && !contains(name, "ffn_gate_inp.weight") &&
         !contains(name, "position_embd") && !contains(name, "token_types");
}

uint32_t scheme_tensor_type(const QuantScheme& scheme, const ModelShape& shape,
                            const TensorDesc& tensor, bool has_imatrix) {
  if (!is_quantizable(tensor)) return tensor.ggml_type;
  if (!quant::type_traits(scheme.base).is_quantized) return static_cast<uint32_t>(scheme.base);
  const Role role = role_of(tensor, shape);
  const int64_t layer = layer_of(tensor.name);
  T type = role == Role::kOutput ? output_type(scheme, tensor.ne[0])
                                 : rule_type(scheme, role, layer, shape, has_imatrix);
  if (role == Role::kAttnV && shape.n_layer == 80 && (type == T::kQ3_K || type == T::kQ4_K)) {
    type = T::kQ5_K;  // llama.cpp's 70B rule: attn_v is 8x smaller than attn_q, give it more bits
  }
  if ((role == Role::kAttnV || role == Role::kAttnK) && shape.n_expert == 8) type = T::kQ8_0;
  if (tensor.ne[0] % block_size(type) != 0) {
    type = fallback_type(type);
    if (tensor.ne[0] % block_size(type) != 0) type = T::kF16;
  }
  return static_cast<uint32_t>(type);
}

Result<std::vector<TensorDesc>> apply_scheme(const QuantScheme& scheme, const ModelShape& shape,
                                             std::vector<TensorDesc> tensors) {
  for (TensorDesc& t : tensors) {
    t.ggml_type = scheme_tensor_type(scheme, shape, t);
    auto bytes = quant::tensor_bytes(t.ggml_type, t.ne);
    if (!bytes.ok()) return bytes.status().with_context("tensor " + t.name);
    t.n_bytes = *bytes;
  }
  return tensors;
}

const QuantScheme* scheme_from_file_type(int64_t file_type) {
  for (const QuantScheme& s : kSchemes) {
    if (s.file_type == file_type) return &s;
  }
  return nullptr;
}

}  // namespace hearth::fit
