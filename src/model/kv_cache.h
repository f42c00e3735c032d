// Where a forward pass keeps keys and values.
//   KvArena: per layer, one f16 array of K slots and one of V slots. Token position p of a
//     sequence lives in slot  table[p / block_size] * block_size + p % block_size  when the
//     sequence has a block table (paged, shared by many sequences: kv::KVStorage), else in slot p.
//   KvCache: one sequence's contiguous cache (slot = position), used by Session.
#pragma once

#include <cstdint>
#include <vector>

#include "core/aligned_buffer.h"
#include "core/fp16.h"
#include "model/config.h"

namespace hearth::model {

struct KvArena {
  std::vector<fp16_t*> k;  // (n_layer) each (n_slots, k_stride) f16 keys
  std::vector<fp16_t*> v;  // (n_layer) each (n_slots, v_stride) f16 values
  int64_t n_slots = 0;
  int64_t k_stride = 0;  // f16 between consecutive slots, >= config k_dim
  int64_t v_stride = 0;  // f16 between consecutive slots, >= config v_dim
};

class KvCache {
 public:
  KvCache(const ModelConfig& config, int64_t n_ctx);

  int64_t n_ctx() const { return n_ctx_; }
  int64_t k_dim() const { return k_dim_; }
  int64_t v_dim() const { return v_dim_; }
  // (n_ctx, k_dim) keys of `layer`; row p holds position p.
  fp16_t* k(int64_t layer) { return k_.data() + layer * n_ctx_ * k_dim_; }
  // (n_ctx, v_dim) values of `layer`; row p holds position p.
  fp16_t* v(int64_t layer) { return v_.data() + layer * n_ctx_ * v_dim_; }
  size_t bytes() const { return (k_.size() + v_.size()) * sizeof(fp16_t); }
  // This cache as an arena of n_ctx slots (slot = position).
  const KvArena& arena() const { return arena_; }

 private:
  int64_t n_ctx_;
  int64_t k_dim_;
  int64_t v_dim_;
  AlignedBuffer<fp16_t> k_;  // (n_layer, n_ctx, k_dim)
  AlignedBuffer<fp16_t> v_;  // (n_layer, n_ctx, v_dim)
  KvArena arena_;            // points into k_ and v_
};

}  // namespace hearth::model
