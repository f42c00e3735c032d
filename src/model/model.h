// Model: a loaded GGUF model (config, validated weights, architecture) and its forward pass.
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

 private:
  Model(gguf::File file) : file_(std::move(file)) {}
  Status init();
  kernels::RopeParams rope_params() const;

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
