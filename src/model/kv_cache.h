// The KV cache of one sequence: f16 keys and values for every layer and position.
// A batched engine keeps one KvCache (or, later, a block table into a paged pool) per sequence.
#pragma once

#include <cstdint>

#include "core/aligned_buffer.h"
#include "core/fp16.h"
#include "model/config.h"

namespace hearth::model {

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

 private:
  int64_t n_ctx_;
  int64_t k_dim_;
  int64_t v_dim_;
  AlignedBuffer<fp16_t> k_;  // (n_layer, n_ctx, k_dim)
  AlignedBuffer<fp16_t> v_;  // (n_layer, n_ctx, v_dim)
};

}  // namespace hearth::model
