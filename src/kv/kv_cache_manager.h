// KVCacheManager: per-sequence block tables over a BlockPool, prefix caching and copy-on-write.
//
// Token position p of sequence s lives in KV slot  block_table(s)[p / kBlockSize] * kBlockSize
// + p % kBlockSize  of every layer's arena (see kv_storage.h).
//
// Sharing rules:
//   - full blocks whose KV has been computed are registered in the prefix cache under the hash
//   chain
//     of their tokens; a new sequence with the same prefix takes references to them instead of
//     recomputing (find_cached_prefix + allocate);
//   - fork() shares every block of a sequence, including a partially filled last block; the first
//     write into a shared partial block copies it (allocate reports the copy, the engine performs
//     it on the KV storage before the forward pass).
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "kv/block_pool.h"

namespace hearth::kv {

using SeqId = uint64_t;

struct BlockCopy {
  BlockId src = kNoBlock;
  BlockId dst = kNoBlock;
};

struct CacheStats {
  PoolStats pool;
  // Waste as vLLM measures it, over the physical blocks the sequences hold (a block shared by
  // several sequences counts once; free blocks, cached or not, are reusable and do not count):
  int n_seqs = 0;
  int64_t tokens_held = 0;      // slots of those blocks holding a token of some sequence
  int64_t slots_wasted = 0;     // slots of those blocks holding nothing (unfilled block tails)
  double waste_fraction = 0;    // slots_wasted / (blocks held * kBlockSize)
  uint64_t prefix_queries = 0;  // tokens looked up in the prefix cache
  uint64_t prefix_hits = 0;     // of those, tokens found
};

class KVCacheManager {
 public:
  explicit KVCacheManager(int n_blocks, bool enable_prefix_cache = true);

  int n_blocks() const { return pool_.n_blocks(); }
  int num_free_blocks() const { return pool_.num_free(); }
  static int blocks_for(int n_tokens) { return (n_tokens + kBlockSize - 1) / kBlockSize; }

  // The longest run of cached full blocks at the start of tokens[0, max_tokens): fills `hits` and
  // returns the number of tokens they cover (a multiple of kBlockSize). Changes nothing except the
  // hit counters.
  int find_cached_prefix(const int32_t* tokens, int max_tokens, std::vector<BlockId>* hits);

  // Reserves slots so that sequence `seq` can hold `num_tokens` tokens. A sequence seen for the
  // first time starts with `prefix_hits` (from find_cached_prefix). Returns false and changes
  // nothing when the pool lacks free blocks. A shared, partially filled last block that will be
  // written is replaced by a private copy, reported in `copies`.
  bool allocate(SeqId seq, int num_tokens, const std::vector<BlockId>& prefix_hits,
                std::vector<BlockCopy>* copies);

  // Called once the KV of tokens[0, num_computed) of `seq` is written: registers its full blocks
  // in the prefix cache.
  void cache_computed(SeqId seq, const int32_t* tokens, int num_computed);

  // `dst` shares all of `src`'s blocks (dst must not exist yet).
  void fork(SeqId src, SeqId dst);
  // Releases the sequence's blocks (no-op for an unknown sequence). Blocks join the free queue
  // last-block first, so a sequence's tail is evicted before its (more shareable) head.
  void free(SeqId seq);

  bool has(SeqId seq) const { return seqs_.count(seq) != 0; }
  const std::vector<BlockId>& block_table(SeqId seq) const;
  int num_tokens(SeqId seq) const;
  // KV slot of position `pos` of `seq` (pos < num_tokens(seq)).
  int32_t slot(SeqId seq, int pos) const;

  CacheStats stats() const;
  const BlockPool& pool() const { return pool_; }
  void reset_prefix_cache() { pool_.reset_prefix_cache(); }

 private:
  struct Seq {
    std::vector<BlockId> blocks;
    std::vector<uint64_t> hashes;  // (n full blocks registered) hash chain of blocks[0..]
    int num_tokens = 0;            // slots reserved
  };

  BlockPool pool_;
  std::unordered_map<SeqId, Seq> seqs_;
  uint64_t prefix_queries_ = 0, prefix_hits_ = 0;
};

}  // namespace hearth::kv
