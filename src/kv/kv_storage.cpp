#include "kv/kv_storage.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace hearth::kv {

KVStorage::KVStorage(const KVShape& shape) : shape_(shape) {
  size_t per_layer = static_cast<size_t>(shape.n_blocks) * kBlockSize * shape.row();
  k_.resize(static_cast<size_t>(shape.n_layer));
  v_.resize(static_cast<size_t>(shape.n_layer));
  for (int l = 0; l < shape.n_layer; ++l) {
    k_[static_cast<size_t>(l)].resize(per_layer);
    v_[static_cast<size_t>(l)].resize(per_layer);
  }
}

void KVStorage::write(int layer, int32_t slot, const float* k_row, const float* v_row) {
  fp16_t* kd = k(layer, slot);
  fp16_t* vd = v(layer, slot);
  for (size_t i = 0; i < shape_.row(); ++i) {
    kd[i] = float_to_fp16(k_row[i]);
    vd[i] = float_to_fp16(v_row[i]);
  }
}

void KVStorage::copy_block(BlockId src, BlockId dst) {
  size_t n = kBlockSize * shape_.row();
  for (int l = 0; l < shape_.n_layer; ++l) {
    std::memcpy(k(l, dst * kBlockSize), k(l, src * kBlockSize), n * sizeof(fp16_t));
    std::memcpy(v(l, dst * kBlockSize), v(l, src * kBlockSize), n * sizeof(fp16_t));
  }
}

void paged_attention_ref(const KVStorage& kv, int layer, const BlockId* table, int n_ctx,
                         const float* q, int n_head, float scale, float* out) {
  const int n_kv_head = kv.shape().n_kv_head, head_dim = kv.shape().head_dim;
  const int group = n_head / n_kv_head;
  std::vector<float> scores(static_cast<size_t>(n_ctx));  // (n_ctx)
  for (int h = 0; h < n_head; ++h) {
    const int kvh = h / group;
    const float* qh = q + static_cast<size_t>(h) * head_dim;
    float max_score = -INFINITY;
    for (int p = 0; p < n_ctx; ++p) {
      int32_t slot = table[p / kBlockSize] * kBlockSize + p % kBlockSize;
      const fp16_t* kh = kv.k(layer, slot) + static_cast<size_t>(kvh) * head_dim;
      float dot = 0;
      for (int d = 0; d < head_dim; ++d) dot += qh[d] * fp16_to_float(kh[d]);
      scores[static_cast<size_t>(p)] = dot * scale;
      max_score = std::max(max_score, scores[static_cast<size_t>(p)]);
    }
    float sum = 0;
    for (float& s : scores) sum += (s = std::exp(s - max_score));
    float* oh = out + static_cast<size_t>(h) * head_dim;
    std::fill(oh, oh + head_dim, 0.0f);
    for (int p = 0; p < n_ctx; ++p) {
      int32_t slot = table[p / kBlockSize] * kBlockSize + p % kBlockSize;
      const fp16_t* vh = kv.v(layer, slot) + static_cast<size_t>(kvh) * head_dim;
      float w = scores[static_cast<size_t>(p)] / sum;
      for (int d = 0; d < head_dim; ++d) oh[d] += w * fp16_to_float(vh[d]);
    }
  }
}

}  // namespace hearth::kv
