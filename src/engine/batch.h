// Batch: a StepPlan flattened into the arrays a forward pass consumes, and BatchForward, the one
// interface between the engine and a model.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "engine/scheduler.h"
#include "kv/kv_cache_manager.h"

namespace hearth::engine {

struct BatchSeq {
  RequestId id = 0;
  int begin = 0, end = 0;                                 // token positions computed this step
  const std::vector<kv::BlockId>* block_table = nullptr;  // covers positions [0, end)
};

struct Batch {
  std::vector<int32_t> tokens;        // (n_tokens) token ids, sequences back to back
  std::vector<int32_t> positions;     // (n_tokens) position of each token in its sequence
  std::vector<int32_t> seq_index;     // (n_tokens) index into seqs
  std::vector<int32_t> slots;         // (n_tokens) KV slot to write (block * kBlockSize + offset)
  std::vector<int32_t> logit_rows;    // (n_logits) token rows whose logits are wanted, in seq order
  std::vector<BatchSeq> seqs;         // (n_seqs)
  std::vector<kv::BlockCopy> copies;  // block copies to perform before computing
  int n_tokens() const { return static_cast<int>(tokens.size()); }
  int n_logits() const { return static_cast<int>(logit_rows.size()); }
};

Batch build_batch(const StepPlan& plan, const kv::KVCacheManager& kv);

class BatchForward {
 public:
  virtual ~BatchForward() = default;
  virtual int n_vocab() const = 0;
  // Computes the batch (writing its KV) and fills logits: (n_logits, n_vocab) f32, row i for
  // batch.logit_rows[i].
  virtual Status forward(const Batch& batch, float* logits) = 0;
  // The sequence finished or was preempted: state kept for it outside the paged KV (a
  // per-sequence model context) can go. The engine never schedules it again under this id
  // without starting from position 0.
  virtual void release(RequestId id) {}
};

}  // namespace hearth::engine
