// ModelForward: the engine's BatchForward over model::Model, first version: every scheduled
// sequence runs its tokens through its own contiguous model::KvCache (pooled and reused). The
// paged KV arena (src/kv) takes over when the model reads K/V through block tables; until then the
// engine must run with the prefix cache off (a hit would skip positions this cache never saw).
#pragma once

#include <memory>
#include <unordered_map>
#include <vector>

#include "core/thread_pool.h"
#include "engine/batch.h"
#include "model/model.h"

namespace hearth::engine {

class ModelForward : public BatchForward {
 public:
  // n_ctx: context per sequence (EngineConfig::sched.max_model_len).
  ModelForward(const model::Model& model, ThreadPool& pool, int n_ctx)
      : model_(model), pool_(pool), n_ctx_(n_ctx) {}

  int n_vocab() const override { return static_cast<int>(model_.config().n_vocab); }
  Status forward(const Batch& batch, float* logits) override;
  void release(RequestId id) override;

 private:
  struct SeqCache {
    std::unique_ptr<model::KvCache> kv;
    int n_past = 0;  // positions [0, n_past) are in kv
  };
  SeqCache& cache_for(RequestId id);

  const model::Model& model_;
  ThreadPool& pool_;
  int n_ctx_;
  std::unordered_map<RequestId, SeqCache> seqs_;
  std::vector<std::unique_ptr<model::KvCache>> spare_;  // released caches, reused
  std::vector<float> logits_;                           // (rows, n_vocab) of one sequence
};

}  // namespace hearth::engine
