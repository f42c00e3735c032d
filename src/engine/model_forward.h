// ModelForward: the engine's BatchForward over model::Model. One engine step is one
// Model::forward_batch over every scheduled sequence: the weights are read once per step for all
// of them, each token's K/V goes to the slot its block table gives in one paged kv::KVStorage
// (sized by the engine's n_blocks), and attention reads each sequence's positions through its
// block table. Copy-on-write block copies of the step are applied to the storage first, so
// prefix-cache hits and shared blocks work.
#pragma once

#include <vector>

#include "core/thread_pool.h"
#include "engine/batch.h"
#include "kv/kv_storage.h"
#include "model/model.h"

namespace hearth::engine {

class ModelForward : public BatchForward {
 public:
  // n_blocks: KV blocks of kv::kBlockSize tokens (EngineConfig::n_blocks).
  ModelForward(const model::Model& model, ThreadPool& pool, int n_blocks);

  // The storage for `n_blocks` blocks of `model`, in bytes (for memory plans and messages).
  static size_t storage_bytes(const model::ModelConfig& config, int n_blocks);

  int n_vocab() const override { return static_cast<int>(model_.config().n_vocab); }
  Status forward(const Batch& batch, float* logits) override;

  const kv::KVStorage& storage() const { return storage_; }

 private:
  const model::Model& model_;
  ThreadPool& pool_;
  kv::KVStorage storage_;
  model::KvArena arena_;              // storage_ seen by the model
  std::vector<model::SeqKv> seq_kv_;  // (n_seqs) of the current batch
};

}  // namespace hearth::engine
