// Model: a loaded GGUF model (config, validated weights, architecture) and its forward pass.
//   forward_batch: one pass over a mixed batch of many sequences (prefill chunks and single
//     decode tokens together) whose K/V live in a shared, possibly paged arena. Every matmul
//     runs once over all n_tokens rows; logits only for the rows asked for.
//   forward: the same pass for one sequence over its contiguous KvCache.
// Session: one sequence's KV cache plus the tokens evaluated so far.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/thread_pool.h"
#include "gguf/gguf.h"
#include "kernels/rope.h"
#include "model/arch.h"
#include "model/batch_view.h"
#include "model/config.h"
#include "model/kv_cache.h"
#include "model/weights.h"

namespace hearth::model {

enum class Logits { kLast, kAll };

class Model {
 public:
  // Opens, parses and validates a GGUF model; errors name the file and the tensor or key.
  static Result<std::unique_ptr<Model>> load(const std::string& path);
  // Takes an already parsed file (tests build models in memory with gguf::Writer).
  static Result<std::unique_ptr<Model>> from_file(gguf::File file);

  const ModelConfig& config() const { return config_; }
  const ArchDef& arch() const { return *arch_; }
  const ModelWeights& weights() const { return weights_; }
  const gguf::File& file() const { return file_; }
  uint64_t weight_bytes() const;

  // Runs tokens (n_tokens) at `positions` (n_tokens) of the sequence whose cache is `kv`.
  // Token i attends to cache positions [0, positions[i]]: earlier positions must already be in
  // `kv` (or in this batch, in order). logits: (n_tokens, n_vocab) for kAll, (1, n_vocab) for
  // kLast. Bad ids or positions outside the cache are errors.
  Status forward(ThreadPool& pool, KvCache& kv, std::span<const int32_t> tokens,
                 std::span<const int32_t> positions, Logits which,
                 std::vector<float>& logits) const;

  // Runs every token of `batch`, writing its K and V to its slot of `kv` (the slot its sequence's
  // block table gives for its position). Token i attends to positions [0, positions[i]] of its
  // own sequence: earlier positions must already be in the arena or earlier in this batch. Fills
  // logits (n_logits, n_vocab), row r for token batch.logit_rows[r]. Rows do not depend on each
  // other: a sequence computes the same values alone or inside any batch. Bad ids, positions,
  // tables or slots are errors, checked before anything is written.
  Status forward_batch(ThreadPool& pool, const KvArena& kv, const BatchView& batch,
                       float* logits) const;

 private:
  Model(gguf::File file) : file_(std::move(file)) {}
  Status init();
  kernels::RopeParams rope_params() const;
  Status check_batch(const KvArena& kv, const BatchView& batch, std::vector<int32_t>& slots) const;

  gguf::File file_;
  const ArchDef* arch_ = nullptr;
  ModelConfig config_;
  ModelWeights weights_;
};

// A single sequence being evaluated: its KV cache and position.
class Session {
 public:
  Session(const Model& model, ThreadPool& pool, int64_t n_ctx);

  // Appends tokens at positions n_past()..; logits of the last token (kLast) or of every token
  // (kAll). Fails without changing state if the context would overflow. Long inputs are run
  // in batches of at most `max_batch` tokens.
  Status eval(std::span<const int32_t> tokens, Logits which = Logits::kLast);
  // (n_rows, n_vocab) logits of the last eval.
  std::span<const float> logits() const { return logits_; }
  std::span<const float> last_logits() const;
  int64_t n_past() const { return n_past_; }
  int64_t n_ctx() const { return kv_.n_ctx(); }
  // Forgets positions >= n (n <= n_past()); 0 starts a fresh sequence.
  void truncate(int64_t n) { n_past_ = n < n_past_ ? n : n_past_; }
  const Model& model() const { return model_; }

  int64_t max_batch = 512;

 private:
  const Model& model_;
  ThreadPool& pool_;
  KvCache kv_;
  int64_t n_past_ = 0;
  std::vector<float> logits_;  // (n_rows, n_vocab)
};

}  // namespace hearth::model
