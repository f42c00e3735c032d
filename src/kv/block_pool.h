// BlockPool: the fixed set of KV blocks, their reference counts, the free queue and the prefix
// cache (vLLM v1 style).
//
// Every block is in exactly one of two states:
//   - in use:  ref_count > 0 (held by one or more sequences' block tables);
//   - free:    ref_count == 0, linked in the free queue. A free block may still carry a
//   prefix-cache
//              hash ("cached"): it keeps its KV contents until it is handed out again, which evicts
//              it from the cache. The queue is ordered least-recently-freed first, so allocation
//              evicts the least recently used cached blocks first.
// A cache hit on a free cached block takes it out of the queue ("touch") without losing contents.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

namespace hearth::kv {

using BlockId = int32_t;
// Tokens per block. 8, not 16: the only memory a sequence wastes is the unfilled tail of its last
// block (B/2 - 1/2 slots on average), so halving B halves the waste: a 160-token sequence wastes
// ~2% instead of ~4.5%. The attention kernels look every position up through the block table
// (kernels/attention.h), so a smaller block costs them nothing; block tables and prefix-cache
// hashes get twice as many (cheap) entries.
inline constexpr int kBlockSize = 8;
inline constexpr BlockId kNoBlock = -1;

// Hash of one full block: chains the parent block's hash with the block's tokens.
uint64_t hash_block_tokens(uint64_t parent_hash, const int32_t* tokens, int n);

struct PoolStats {
  int total = 0;   // blocks in the pool
  int used = 0;    // ref_count > 0
  int free = 0;    // ref_count == 0 (includes evictable cached blocks)
  int cached = 0;  // blocks carrying a prefix-cache hash (in use or free)
  uint64_t evictions = 0;
};

class BlockPool {
 public:
  explicit BlockPool(int n_blocks, bool enable_prefix_cache = true);

  int n_blocks() const { return static_cast<int>(blocks_.size()); }
  int num_free() const { return num_free_; }
  bool prefix_cache_enabled() const { return enable_prefix_cache_; }

  // Pops the least recently used free block (evicting its cache entry) with ref_count 1, or
  // nullopt when every block is in use.
  std::optional<BlockId> allocate();
  void incref(BlockId id);
  // Drops one reference; at zero the block joins the tail of the free queue (keeping its hash).
  void decref(BlockId id);
  int ref_count(BlockId id) const { return blocks_[id].ref_count; }

  // Prefix cache. `lookup` returns the cached block for (parent_hash, tokens) or kNoBlock; the
  // stored tokens and parent hash are compared, so a hash collision never returns wrong KV.
  BlockId lookup(uint64_t hash, uint64_t parent_hash, const int32_t* tokens) const;
  // Takes one reference on a cached block found by lookup (removing it from the free queue).
  void touch(BlockId id);
  // Registers a full block (kBlockSize tokens) under `hash`. No-op when the block already has a
  // hash or another block already holds this hash (the first one stays canonical).
  void cache_block(BlockId id, uint64_t hash, uint64_t parent_hash, const int32_t* tokens);
  bool is_cached(BlockId id) const { return blocks_[id].has_hash; }

  // Drops every free block's cache entry (e.g. after the model changes).
  void reset_prefix_cache();
  PoolStats stats() const;
  // Walks the free queue and reference counts; returns false if they disagree (tests).
  bool check_invariants() const;

 private:
  struct Block {
    int32_t ref_count = 0;
    BlockId prev = kNoBlock;  // free-queue links (valid while ref_count == 0)
    BlockId next = kNoBlock;
    bool has_hash = false;
    uint64_t hash = 0;
    uint64_t parent_hash = 0;
    int32_t tokens[kBlockSize] = {};  // (kBlockSize) the block's tokens, for collision checks
  };

  void queue_push_back(BlockId id);
  void queue_remove(BlockId id);
  void drop_hash(BlockId id);

  std::vector<Block> blocks_;
  std::unordered_map<uint64_t, BlockId> cached_;  // hash -> block
  BlockId head_ = kNoBlock, tail_ = kNoBlock;     // free queue: head = least recently freed
  int num_free_ = 0;
  uint64_t evictions_ = 0;
  bool enable_prefix_cache_;
};

}  // namespace hearth::kv
