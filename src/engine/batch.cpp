#include "engine/batch.h"

namespace hearth::engine {

Batch build_batch(const StepPlan& plan, const kv::KVCacheManager& kv) {
  Batch b;
  b.tokens.reserve(static_cast<size_t>(plan.num_tokens));
  b.copies = plan.copies;
  for (const ScheduledSeq& s : plan.seqs) {
    const int idx = static_cast<int>(b.seqs.size());
    b.seqs.push_back({s.req->id, s.begin, s.end, &kv.block_table(s.req->id)});
    for (int pos = s.begin; pos < s.end; ++pos) {
      b.tokens.push_back(s.req->token_at(pos));
      b.positions.push_back(pos);
      b.seq_index.push_back(idx);
      b.slots.push_back(kv.slot(s.req->id, pos));
    }
    if (s.sample) b.logit_rows.push_back(b.n_tokens() - 1);
  }
  return b;
}

}  // namespace hearth::engine
