// KVStorage: the KV cache memory. One contiguous f16 arena per layer for K and one for V, each
// (n_blocks, kBlockSize, n_kv_head, head_dim), addressed by slot = block * kBlockSize + offset
// (KVCacheManager::slot). An attention kernel walks a sequence's block table:
//   for position p: slot = table[p / kBlockSize] * kBlockSize + p % kBlockSize,
//   key of head h = k(layer, slot) + h * head_dim   // (head_dim) f16
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/aligned_buffer.h"
#include "core/fp16.h"
#include "kv/block_pool.h"

namespace hearth::kv {

struct KVShape {
  int n_layer = 0;
  int n_blocks = 0;
  int n_kv_head = 0;
  int head_dim = 0;
  size_t row() const { return static_cast<size_t>(n_kv_head) * head_dim; }  // f16 per slot
  size_t bytes() const {                                                    // K and V, all layers
    return 2ull * n_layer * static_cast<size_t>(n_blocks) * kBlockSize * row() * sizeof(fp16_t);
  }
};

class KVStorage {
 public:
  explicit KVStorage(const KVShape& shape);

  const KVShape& shape() const { return shape_; }
  size_t slot_stride() const { return shape_.row(); }  // f16 elements between slots

  // Base of a layer's arena: (n_blocks * kBlockSize, n_kv_head, head_dim) f16.
  fp16_t* k_layer(int layer) { return k_[static_cast<size_t>(layer)].data(); }
  fp16_t* v_layer(int layer) { return v_[static_cast<size_t>(layer)].data(); }
  const fp16_t* k_layer(int layer) const { return k_[static_cast<size_t>(layer)].data(); }
  const fp16_t* v_layer(int layer) const { return v_[static_cast<size_t>(layer)].data(); }
  // One slot: (n_kv_head, head_dim) f16.
  fp16_t* k(int layer, int32_t slot) { return k_layer(layer) + slot * slot_stride(); }
  fp16_t* v(int layer, int32_t slot) { return v_layer(layer) + slot * slot_stride(); }
  const fp16_t* k(int layer, int32_t slot) const { return k_layer(layer) + slot * slot_stride(); }
  const fp16_t* v(int layer, int32_t slot) const { return v_layer(layer) + slot * slot_stride(); }

  // Stores one token's K and V, each (n_kv_head * head_dim) f32, converted to f16.
  void write(int layer, int32_t slot, const float* k_row, const float* v_row);
  // Copies a whole block (all layers, K and V): used for copy-on-write.
  void copy_block(BlockId src, BlockId dst);

 private:
  KVShape shape_;
  std::vector<AlignedBuffer<fp16_t>> k_, v_;  // (n_layer) arenas of (n_blocks*kBlockSize, row)
};

// Reference attention over paged KV for one query token (the specification a fast kernel must
// match). q: (n_head, head_dim) f32; out: (n_head, head_dim) f32; attends to positions [0, n_ctx)
// of the sequence whose block table is `table`. Grouped-query: head h reads KV head
// h / (n_head / n_kv_head).
void paged_attention_ref(const KVStorage& kv, int layer, const BlockId* table, int n_ctx,
                         const float* q, int n_head, float scale, float* out);

}  // namespace hearth::kv
