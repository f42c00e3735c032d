// llama: Llama 1/2/3, Mistral, TinyLlama, SmolLM. Pre-norm blocks, RoPE on adjacent pairs,
// grouped-query attention, SwiGLU; optional output.weight (tied embeddings) and llama3
// rope_freqs.weight.
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
    global_weight("rope_freqs.weight", &M::rope_freqs, D::kRopeHalf, false),
    layer_vector("attn_norm.weight", &L::attn_norm, D::kEmbd, true),
    layer_matrix("attn_q.weight", &L::wq, D::kEmbd, D::kQ, true),
    layer_matrix("attn_k.weight", &L::wk, D::kEmbd, D::kK, true),
    layer_matrix("attn_v.weight", &L::wv, D::kEmbd, D::kV, true),
    layer_matrix("attn_output.weight", &L::wo, D::kAttnOut, D::kEmbd, true),
    layer_vector("ffn_norm.weight", &L::ffn_norm, D::kEmbd, true),
    layer_matrix("ffn_gate.weight", &L::w_gate, D::kEmbd, D::kFf, true),
    layer_matrix("ffn_up.weight", &L::w_up, D::kEmbd, D::kFf, true),
    layer_matrix("ffn_down.weight", &L::w_down, D::kFf, D::kEmbd, true),
};

const ArchDef kLlama = {"llama", RopeLayout::kNormal, kWeights, pre_norm_block};

}  // namespace

const ArchDef& llama_arch() {
  return kLlama;
}

}  // namespace hearth::model
