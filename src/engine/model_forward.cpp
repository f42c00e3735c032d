#include "engine/model_forward.h"

#include <algorithm>

namespace hearth::engine {
namespace {

// One KV row holds every KV head: the model's K and V widths may differ, so a slot is as wide as
// the wider of the two (the narrower uses the start of the slot).
kv::KVShape shape_for(const model::ModelConfig& c, int n_blocks) {
  kv::KVShape s;
  s.n_layer = static_cast<int>(c.n_layer);
  s.n_blocks = n_blocks;
  s.n_kv_head = static_cast<int>(c.n_head_kv);
  s.head_dim = static_cast<int>(std::max(c.head_dim_k, c.head_dim_v));
  return s;
}

}  // namespace

ModelForward::ModelForward(const model::Model& model, ThreadPool& pool, int n_blocks)
    : model_(model), pool_(pool), storage_(shape_for(model.config(), n_blocks)) {
  const kv::KVShape& s = storage_.shape();
  arena_.n_slots = static_cast<int64_t>(s.n_blocks) * kv::kBlockSize;
  arena_.k_stride = static_cast<int64_t>(storage_.slot_stride());
  arena_.v_stride = arena_.k_stride;
  for (int l = 0; l < s.n_layer; ++l) {
    arena_.k.push_back(storage_.k_layer(l));
    arena_.v.push_back(storage_.v_layer(l));
  }
}

size_t ModelForward::storage_bytes(const model::ModelConfig& config, int n_blocks) {
  return shape_for(config, n_blocks).bytes();
}

Status ModelForward::forward(const Batch& batch, float* logits) {
  for (const kv::BlockCopy& c : batch.copies) {
    if (c.src < 0 || c.dst < 0 || c.src >= storage_.shape().n_blocks ||
        c.dst >= storage_.shape().n_blocks)
      return internal_error("block copy ", c.src, " -> ", c.dst, " is outside the KV storage of ",
                            storage_.shape().n_blocks, " blocks");
    storage_.copy_block(c.src, c.dst);
  }
  if (batch.n_tokens() == 0) return Status::Ok();
  seq_kv_.assign(batch.seqs.size(), model::SeqKv{});
  for (size_t i = 0; i < batch.seqs.size(); ++i) {
    const std::vector<kv::BlockId>* table = batch.seqs[i].block_table;
    if (table == nullptr)
      return internal_error("sequence ", batch.seqs[i].id, " comes without a block table");
    seq_kv_[i].block_table = table->data();
    seq_kv_[i].n_blocks = static_cast<int64_t>(table->size());
  }
  model::BatchView view;
  view.tokens = batch.tokens;
  view.positions = batch.positions;
  view.seq_index = batch.seq_index;
  view.seqs = seq_kv_;
  view.block_size = kv::kBlockSize;
  view.logit_rows = batch.logit_rows;
  return model_.forward_batch(pool_, arena_, view, logits);
}

}  // namespace hearth::engine
