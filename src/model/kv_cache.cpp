#include "model/kv_cache.h"

namespace hearth::model {

KvCache::KvCache(const ModelConfig& c, int64_t n_ctx)
    : n_ctx_(n_ctx),
      k_dim_(c.k_dim()),
      v_dim_(c.v_dim()),
      k_(static_cast<size_t>(c.n_layer * n_ctx * c.k_dim())),
      v_(static_cast<size_t>(c.n_layer * n_ctx * c.v_dim())) {
  arena_.n_slots = n_ctx;
  arena_.k_stride = k_dim_;
  arena_.v_stride = v_dim_;
  for (int64_t l = 0; l < c.n_layer; ++l) {
    arena_.k.push_back(k(l));
    arena_.v.push_back(v(l));
  }
}

}  // namespace hearth::model
