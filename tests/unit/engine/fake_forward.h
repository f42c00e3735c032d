// TEST ONLY: a deterministic toy "model" that really goes through the paged KV cache.
// forward() writes each token (with its position) into its KV slot, then for every logits row reads
// the whole context back through the sequence's block table and hashes it; the logits peak at
// 1 + hash % (n_vocab - 1). A wrong slot, a bad prefix-cache hit or a lost block changes the text.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/batch.h"
#include "engine/engine.h"

namespace hearth::testing {

class FakeForward : public engine::BatchForward {
 public:
  FakeForward(int n_vocab, int n_blocks)
      : n_vocab_(n_vocab),
        kv_tok_(static_cast<size_t>(n_blocks) * kv::kBlockSize, -1),
        kv_pos_(kv_tok_.size(), -1) {}
  int n_vocab() const override { return n_vocab_; }

  Status forward(const engine::Batch& b, float* logits) override {
    ++calls;
    for (const kv::BlockCopy& c : b.copies) {
      for (int i = 0; i < kv::kBlockSize; ++i) {
        kv_tok_[c.dst * kv::kBlockSize + i] = kv_tok_[c.src * kv::kBlockSize + i];
        kv_pos_[c.dst * kv::kBlockSize + i] = kv_pos_[c.src * kv::kBlockSize + i];
      }
    }
    for (int i = 0; i < b.n_tokens(); ++i) {
      kv_tok_[static_cast<size_t>(b.slots[i])] = b.tokens[i];
      kv_pos_[static_cast<size_t>(b.slots[i])] = b.positions[i];
    }
    max_batch_tokens = std::max(max_batch_tokens, b.n_tokens());
    for (int r = 0; r < b.n_logits(); ++r) {
      int row = b.logit_rows[r];
      const engine::BatchSeq& s = b.seqs[static_cast<size_t>(b.seq_index[row])];
      uint64_t h = 1469598103934665603ull;
      for (int p = 0; p <= b.positions[row]; ++p) {
        size_t slot = static_cast<size_t>((*s.block_table)[p / kv::kBlockSize] * kv::kBlockSize +
                                          p % kv::kBlockSize);
        if (kv_pos_[slot] != p) return internal_error("KV slot ", slot, " lost position ", p);
        h = (h ^ static_cast<uint64_t>(kv_tok_[slot])) * 1099511628211ull;
      }
      float* out = logits + static_cast<size_t>(r) * n_vocab_;
      int peak = 1 + static_cast<int>(h % static_cast<uint64_t>(n_vocab_ - 1));
      for (int t = 0; t < n_vocab_; ++t) out[t] = -0.5f * static_cast<float>(std::abs(t - peak));
      if (eos_after > 0 && b.positions[row] + 1 >= eos_after) out[0] = 100.0f;
    }
    return fail_next ? internal_error("injected failure") : Status::Ok();
  }

  void release(engine::RequestId id) override { released.push_back(id); }

  std::vector<engine::RequestId> released;
  int calls = 0, max_batch_tokens = 0;
  int eos_after = 0;  // > 0: token 0 (end of generation) wins from that sequence length on
  bool fail_next = false;

 private:
  int n_vocab_;
  std::vector<int32_t> kv_tok_, kv_pos_;  // (n_blocks * kBlockSize) what each slot holds
};

class FakeVocab : public engine::Vocab {
 public:
  std::string token_piece(int32_t t) const override { return "t" + std::to_string(t) + " "; }
  bool is_eog(int32_t t) const override { return t == 0; }
};

// Collects a request's events (engine thread) for inspection.
class CollectSink : public engine::StreamSink {
 public:
  void on_token(const engine::Request&, int32_t token, const std::string& text) override {
    if (token >= 0) tokens.push_back(token);
    this->text += text;
  }
  void on_finish(const engine::Request&, engine::FinishReason r, const Status& e) override {
    ++finishes;
    reason = r;
    error = e;
  }
  std::vector<int32_t> tokens;
  std::string text;
  int finishes = 0;
  engine::FinishReason reason = engine::FinishReason::kNone;
  Status error;
};

// A greedy request for prompt [first, first + n) that generates at most max_tokens into sink.
inline std::shared_ptr<engine::Request> make_req(int n, int32_t first, int max_tokens,
                                                 std::shared_ptr<CollectSink> sink) {
  auto r = std::make_shared<engine::Request>();
  for (int i = 0; i < n; ++i) r->prompt.push_back(first + i);
  r->params.temperature = 0;
  r->params.max_tokens = max_tokens;
  r->sink = std::move(sink);
  return r;
}

}  // namespace hearth::testing
