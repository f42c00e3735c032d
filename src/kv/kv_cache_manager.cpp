#include "kv/kv_cache_manager.h"

#include <algorithm>
#include <cassert>

namespace hearth::kv {

static_assert(kBlockSize <= 127, "stats() counts a block's filled slots in an int8_t");

KVCacheManager::KVCacheManager(int n_blocks, bool enable_prefix_cache)
    : pool_(n_blocks, enable_prefix_cache) {}

int KVCacheManager::find_cached_prefix(const int32_t* tokens, int max_tokens,
                                       std::vector<BlockId>* hits) {
  hits->clear();
  prefix_queries_ += static_cast<uint64_t>(max_tokens > 0 ? max_tokens : 0);
  if (!pool_.prefix_cache_enabled()) return 0;
  uint64_t parent = 0;
  for (int b = 0; (b + 1) * kBlockSize <= max_tokens; ++b) {
    const int32_t* block_tokens = tokens + b * kBlockSize;
    uint64_t h = hash_block_tokens(parent, block_tokens, kBlockSize);
    BlockId id = pool_.lookup(h, parent, block_tokens);
    if (id == kNoBlock) break;
    hits->push_back(id);
    parent = h;
  }
  int n = static_cast<int>(hits->size()) * kBlockSize;
  prefix_hits_ += static_cast<uint64_t>(n);
  return n;
}

bool KVCacheManager::allocate(SeqId seq, int num_tokens, const std::vector<BlockId>& prefix_hits,
                              std::vector<BlockCopy>* copies) {
  auto it = seqs_.find(seq);
  const bool is_new = it == seqs_.end();
  const std::vector<BlockId> no_blocks;
  const std::vector<BlockId>& start = is_new ? prefix_hits : no_blocks;
  const int have_blocks =
      is_new ? static_cast<int>(start.size()) : static_cast<int>(it->second.blocks.size());
  const int have_tokens = is_new ? have_blocks * kBlockSize : it->second.num_tokens;
  if (num_tokens <= have_tokens && !is_new) return true;

  // A shared, partially filled last block gets written when the sequence grows: copy it.
  bool cow = false;
  if (!is_new && have_tokens % kBlockSize != 0 && num_tokens > have_tokens) {
    cow = pool_.ref_count(it->second.blocks.back()) > 1;
  }
  int need = blocks_for(num_tokens) - have_blocks;
  if (need < 0) need = 0;
  int free_needed = need + (cow ? 1 : 0);
  for (BlockId id : start) free_needed += pool_.ref_count(id) == 0;  // touching takes it off
  if (free_needed > pool_.num_free()) return false;

  Seq& s = is_new ? seqs_[seq] : it->second;
  if (is_new) {
    for (BlockId id : start) {
      pool_.touch(id);
      s.blocks.push_back(id);
    }
    s.num_tokens = have_tokens;
    // The hits are cached blocks: their hash chain is known, record it for cache_computed.
  }
  if (cow) {
    BlockId old = s.blocks.back();
    BlockId fresh = *pool_.allocate();
    copies->push_back({old, fresh});
    pool_.decref(old);
    s.blocks.back() = fresh;
  }
  for (int i = 0; i < need; ++i) s.blocks.push_back(*pool_.allocate());
  if (num_tokens > s.num_tokens) s.num_tokens = num_tokens;
  return true;
}

void KVCacheManager::cache_computed(SeqId seq, const int32_t* tokens, int num_computed) {
  auto it = seqs_.find(seq);
  if (it == seqs_.end() || !pool_.prefix_cache_enabled()) return;
  Seq& s = it->second;
  int n_full = num_computed / kBlockSize;
  if (n_full > static_cast<int>(s.blocks.size())) n_full = static_cast<int>(s.blocks.size());
  while (static_cast<int>(s.hashes.size()) < n_full) {
    size_t b = s.hashes.size();
    uint64_t parent = b == 0 ? 0 : s.hashes[b - 1];
    const int32_t* block_tokens = tokens + b * kBlockSize;
    uint64_t h = hash_block_tokens(parent, block_tokens, kBlockSize);
    pool_.cache_block(s.blocks[b], h, parent, block_tokens);
    s.hashes.push_back(h);
  }
}

void KVCacheManager::fork(SeqId src, SeqId dst) {
  assert(seqs_.count(dst) == 0 && "fork into an existing sequence");
  const Seq& s = seqs_.at(src);
  for (BlockId id : s.blocks) pool_.incref(id);
  seqs_[dst] = s;
}

void KVCacheManager::free(SeqId seq) {
  auto it = seqs_.find(seq);
  if (it == seqs_.end()) return;
  const std::vector<BlockId>& blocks = it->second.blocks;
  for (auto b = blocks.rbegin(); b != blocks.rend(); ++b) pool_.decref(*b);
  seqs_.erase(it);
}

const std::vector<BlockId>& KVCacheManager::block_table(SeqId seq) const {
  return seqs_.at(seq).blocks;
}

int KVCacheManager::num_tokens(SeqId seq) const {
  auto it = seqs_.find(seq);
  return it == seqs_.end() ? 0 : it->second.num_tokens;
}

int32_t KVCacheManager::slot(SeqId seq, int pos) const {
  const Seq& s = seqs_.at(seq);
  assert(pos >= 0 && pos < s.num_tokens);
  return s.blocks[static_cast<size_t>(pos / kBlockSize)] * kBlockSize + pos % kBlockSize;
}

CacheStats KVCacheManager::stats() const {
  CacheStats st;
  st.pool = pool_.stats();
  st.n_seqs = static_cast<int>(seqs_.size());
  // Filled slots per physical block: the most any sequence holding it has written there.
  std::vector<int8_t> filled(static_cast<size_t>(pool_.n_blocks()), -1);  // (n_blocks) -1: unheld
  for (const auto& [id, s] : seqs_) {
    for (size_t b = 0; b < s.blocks.size(); ++b) {
      const int in_block =
          std::min(kBlockSize, std::max(0, s.num_tokens - static_cast<int>(b) * kBlockSize));
      int8_t& f = filled[static_cast<size_t>(s.blocks[b])];
      f = std::max<int8_t>(f, static_cast<int8_t>(in_block));
    }
  }
  int64_t allocated = 0;
  for (int8_t f : filled) {
    if (f < 0) continue;
    allocated += kBlockSize;
    st.tokens_held += f;
  }
  st.slots_wasted = allocated - st.tokens_held;
  st.waste_fraction = allocated > 0 ? static_cast<double>(st.slots_wasted) / allocated : 0.0;
  st.prefix_queries = prefix_queries_;
  st.prefix_hits = prefix_hits_;
  return st;
}

}  // namespace hearth::kv
