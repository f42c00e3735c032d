#include "fit/shape.h"

#include <charconv>
#include <initializer_list>

#include "quant/type_traits.h"

namespace hearth::fit {
namespace {

using quant::GgmlType;

struct DimCheck {
  const char* field;
  int64_t value;
};

// Adds a tensor with its bytes; `ne` in GGUF order (row dimension first).
Status add_tensor(std::vector<TensorDesc>& out, std::string name, GgmlType type,
                  std::initializer_list<int64_t> ne) {
  TensorDesc t;
  t.name = std::move(name);
  t.ggml_type = static_cast<uint32_t>(type);
  t.n_dims = static_cast<int>(ne.size());
  int i = 0;
  for (int64_t d : ne) t.ne[i++] = d;
  HEARTH_ASSIGN_OR_RETURN(t.n_bytes, quant::tensor_bytes(t.ggml_type, t.ne));
  out.push_back(std::move(t));
  return Status::Ok();
}

constexpr GgmlType kWeight = GgmlType::kF16;  // 2-D weights as the converter writes them
constexpr GgmlType kVector = GgmlType::kF32;  // norms, biases, the MoE router

Status add_attention(std::vector<TensorDesc>& out, const ModelShape& s, const std::string& p) {
  HEARTH_RETURN_IF_ERROR(add_tensor(out, p + "attn_norm.weight", kVector, {s.n_embd}));
  if (s.fused_qkv) {
    HEARTH_RETURN_IF_ERROR(
        add_tensor(out, p + "attn_qkv.weight", kWeight, {s.n_embd, s.q_dim() + 2 * s.kv_dim()}));
  } else {
    HEARTH_RETURN_IF_ERROR(add_tensor(out, p + "attn_q.weight", kWeight, {s.n_embd, s.q_dim()}));
    HEARTH_RETURN_IF_ERROR(add_tensor(out, p + "attn_k.weight", kWeight, {s.n_embd, s.kv_dim()}));
    HEARTH_RETURN_IF_ERROR(add_tensor(out, p + "attn_v.weight", kWeight, {s.n_embd, s.kv_dim()}));
  }
  if (s.qkv_bias) {
    HEARTH_RETURN_IF_ERROR(add_tensor(out, p + "attn_q.bias", kVector, {s.q_dim()}));
    HEARTH_RETURN_IF_ERROR(add_tensor(out, p + "attn_k.bias", kVector, {s.kv_dim()}));
    HEARTH_RETURN_IF_ERROR(add_tensor(out, p + "attn_v.bias", kVector, {s.kv_dim()}));
  }
  if (s.qk_norm) {
    HEARTH_RETURN_IF_ERROR(add_tensor(out, p + "attn_q_norm.weight", kVector, {s.head_dim}));
    HEARTH_RETURN_IF_ERROR(add_tensor(out, p + "attn_k_norm.weight", kVector, {s.head_dim}));
  }
  HEARTH_RETURN_IF_ERROR(add_tensor(out, p + "attn_output.weight", kWeight, {s.q_dim(), s.n_embd}));
  if (s.post_norms) {
    HEARTH_RETURN_IF_ERROR(add_tensor(out, p + "post_attention_norm.weight", kVector, {s.n_embd}));
  }
  return Status::Ok();
}

Status add_feed_forward(std::vector<TensorDesc>& out, const ModelShape& s, const std::string& p) {
  HEARTH_RETURN_IF_ERROR(add_tensor(out, p + "ffn_norm.weight", kVector, {s.n_embd}));
  if (s.is_moe()) {
    HEARTH_RETURN_IF_ERROR(
        add_tensor(out, p + "ffn_gate_inp.weight", kVector, {s.n_embd, s.n_expert}));
    HEARTH_RETURN_IF_ERROR(
        add_tensor(out, p + "ffn_gate_exps.weight", kWeight, {s.n_embd, s.n_ff, s.n_expert}));
    HEARTH_RETURN_IF_ERROR(
        add_tensor(out, p + "ffn_up_exps.weight", kWeight, {s.n_embd, s.n_ff, s.n_expert}));
    HEARTH_RETURN_IF_ERROR(
        add_tensor(out, p + "ffn_down_exps.weight", kWeight, {s.n_ff, s.n_embd, s.n_expert}));
  } else if (s.fused_gate_up) {
    HEARTH_RETURN_IF_ERROR(add_tensor(out, p + "ffn_up.weight", kWeight, {s.n_embd, 2 * s.n_ff}));
    HEARTH_RETURN_IF_ERROR(add_tensor(out, p + "ffn_down.weight", kWeight, {s.n_ff, s.n_embd}));
  } else {
    HEARTH_RETURN_IF_ERROR(add_tensor(out, p + "ffn_gate.weight", kWeight, {s.n_embd, s.n_ff}));
    HEARTH_RETURN_IF_ERROR(add_tensor(out, p + "ffn_up.weight", kWeight, {s.n_embd, s.n_ff}));
    HEARTH_RETURN_IF_ERROR(add_tensor(out, p + "ffn_down.weight", kWeight, {s.n_ff, s.n_embd}));
  }
  if (s.post_norms) {
    HEARTH_RETURN_IF_ERROR(add_tensor(out, p + "post_ffw_norm.weight", kVector, {s.n_embd}));
  }
  return Status::Ok();
}

}  // namespace

Status validate_shape(const ModelShape& s) {
  const DimCheck checks[] = {{"layers", s.n_layer},         {"hidden size", s.n_embd},
                             {"heads", s.n_head},           {"KV heads", s.n_kv_head},
                             {"head dim", s.head_dim},      {"feed-forward size", s.n_ff},
                             {"vocabulary size", s.n_vocab}};
  constexpr int64_t kLimit = int64_t{1}
                             << 24;  // far beyond any real model, keeps products in range
  for (const auto& c : checks) {
    if (c.value <= 0 || c.value > kLimit) {
      return invalid_argument("model ", s.name, ": ", c.field, " is ", c.value,
                              " (must be between 1 and ", kLimit, ")");
    }
  }
  if (s.n_head % s.n_kv_head != 0) {
    return invalid_argument("model ", s.name, ": ", s.n_head, " heads are not a multiple of ",
                            s.n_kv_head, " KV heads");
  }
  if (s.is_moe() && (s.n_expert_used <= 0 || s.n_expert_used > s.n_expert)) {
    return invalid_argument("model ", s.name, ": ", s.n_expert_used, " experts used of ",
                            s.n_expert);
  }
  return Status::Ok();
}

Result<std::vector<TensorDesc>> layout_tensors(const ModelShape& s) {
  HEARTH_RETURN_IF_ERROR(validate_shape(s));
  std::vector<TensorDesc> out;
  HEARTH_RETURN_IF_ERROR(add_tensor(out, "token_embd.weight", kWeight, {s.n_embd, s.n_vocab}));
  for (int64_t i = 0; i < s.n_layer; ++i) {
    const std::string prefix = "blk." + std::to_string(i) + ".";
    HEARTH_RETURN_IF_ERROR(add_attention(out, s, prefix));
    HEARTH_RETURN_IF_ERROR(add_feed_forward(out, s, prefix));
  }
  HEARTH_RETURN_IF_ERROR(add_tensor(out, "output_norm.weight", kVector, {s.n_embd}));
  if (!s.tied_embeddings) {
    HEARTH_RETURN_IF_ERROR(add_tensor(out, "output.weight", kWeight, {s.n_embd, s.n_vocab}));
  }
  return out;
}

int64_t count_parameters(const std::vector<TensorDesc>& tensors) {
  int64_t n = 0;
  for (const auto& t : tensors) n += t.n_elements();
  return n;
}

int layer_of(std::string_view name) {
  constexpr std::string_view kPrefix = "blk.";
  if (name.substr(0, kPrefix.size()) != kPrefix) return -1;
  int layer = -1;
  const char* begin = name.data() + kPrefix.size();
  auto [end, ec] = std::from_chars(begin, name.data() + name.size(), layer);
  if (ec != std::errc() || end == name.data() + name.size() || *end != '.') return -1;
  return layer;
}

}  // namespace hearth::fit
