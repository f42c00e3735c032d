#include "engine/model_forward.h"

#include <algorithm>
#include <cstring>

namespace hearth::engine {

ModelForward::SeqCache& ModelForward::cache_for(RequestId id) {
  SeqCache& c = seqs_[id];
  if (!c.kv) {
    if (!spare_.empty()) {
      c.kv = std::move(spare_.back());
      spare_.pop_back();
    } else {
      c.kv = std::make_unique<model::KvCache>(model_.config(), n_ctx_);
    }
    c.n_past = 0;
  }
  return c;
}

void ModelForward::release(RequestId id) {
  auto it = seqs_.find(id);
  if (it == seqs_.end()) return;
  if (it->second.kv) spare_.push_back(std::move(it->second.kv));
  seqs_.erase(it);
}

Status ModelForward::forward(const Batch& batch, float* logits) {
  const size_t vocab = static_cast<size_t>(n_vocab());
  int row = 0;  // next batch token row
  int out = 0;  // next logits row
  for (const BatchSeq& s : batch.seqs) {
    const int n = s.end - s.begin;
    SeqCache& c = cache_for(s.id);
    if (s.begin == 0) c.n_past = 0;  // a fresh (or recomputed) sequence
    if (s.begin != c.n_past) {
      return internal_error("sequence ", s.id, " resumes at position ", s.begin,
                            " but its cache holds ", c.n_past,
                            " positions (run the engine with the prefix cache off)");
    }
    std::span<const int32_t> tokens(batch.tokens.data() + row, static_cast<size_t>(n));
    std::span<const int32_t> positions(batch.positions.data() + row, static_cast<size_t>(n));
    HEARTH_RETURN_IF_ERROR(
        model_.forward(pool_, *c.kv, tokens, positions, model::Logits::kLast, logits_));
    c.n_past = s.end;
    row += n;
    const bool wants =
        out < batch.n_logits() && batch.logit_rows[static_cast<size_t>(out)] == row - 1;
    if (wants) {
      std::memcpy(logits + static_cast<size_t>(out) * vocab, logits_.data(),
                  vocab * sizeof(float));
      ++out;
    }
  }
  return Status::Ok();
}

}  // namespace hearth::engine
