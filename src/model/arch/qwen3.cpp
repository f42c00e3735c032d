// qwen3: Qwen3 dense. The Llama block with per-head RMS norms of Q and K before neox RoPE, and
// an explicit head size (attention.key_length) that need not be n_embd / n_head.
#include "model/arch.h"

namespace hearth::model {
namespace {

using D = Dim;
using M = ModelWeights;
using L = LayerWeights;

const WeightSpec kWeights[] = {
    global_matrix("token_embd.weight", &M::token_embd, D::kEmbd, D::kVocab, true),
    global_weight("output_norm.weight", &M::output_norm, D::kEmbd, true),
    global_matrix("output.weight", &M::output, D::kEmbd, D::kVocab, false),
    layer_vector("attn_norm.weight", &L::attn_norm, D::kEmbd, true),
    layer_matrix("attn_q.weight", &L::wq, D::kEmbd, D::kQ, true),
    layer_matrix("attn_k.weight", &L::wk, D::kEmbd, D::kK, true),
    layer_matrix("attn_v.weight", &L::wv, D::kEmbd, D::kV, true),
    layer_vector("attn_q_norm.weight", &L::q_norm, D::kHeadK, true),
    layer_vector("attn_k_norm.weight", &L::k_norm, D::kHeadK, true),
    layer_matrix("attn_output.weight", &L::wo, D::kAttnOut, D::kEmbd, true),
    layer_vector("ffn_norm.weight", &L::ffn_norm, D::kEmbd, true),
    layer_matrix("ffn_gate.weight", &L::w_gate, D::kEmbd, D::kFf, true),
    layer_matrix("ffn_up.weight", &L::w_up, D::kEmbd, D::kFf, true),
    layer_matrix("ffn_down.weight", &L::w_down, D::kFf, D::kEmbd, true),
};

// attention() applies the Q/K norms because they are present in the layer's weights.
const ArchDef kQwen3 = {"qwen3", RopeLayout::kNeox, kWeights, pre_norm_block};

}  // namespace

const ArchDef& qwen3_arch() {
  return kQwen3;
}

}  // namespace hearth::model
