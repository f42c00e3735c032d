#include "kv/block_pool.h"

#include <cassert>
#include <cstring>

namespace hearth::kv {

uint64_t hash_block_tokens(uint64_t parent_hash, const int32_t* tokens, int n) {
  // splitmix64-style mixing of the parent hash and each token.
  auto mix = [](uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
  };
  uint64_t h = mix(parent_hash ^ 0x6b76626c6f636bull);
  for (int i = 0; i < n; ++i) h = mix(h ^ static_cast<uint32_t>(tokens[i]));
  return mix(h ^ static_cast<uint64_t>(n));
}

BlockPool::BlockPool(int n_blocks, bool enable_prefix_cache)
    : blocks_(static_cast<size_t>(n_blocks)), enable_prefix_cache_(enable_prefix_cache) {
  for (BlockId id = 0; id < n_blocks; ++id) queue_push_back(id);
}

void BlockPool::queue_push_back(BlockId id) {
  Block& b = blocks_[id];
  b.prev = tail_;
  b.next = kNoBlock;
  if (tail_ != kNoBlock)
    blocks_[tail_].next = id;
  else
    head_ = id;
  tail_ = id;
  ++num_free_;
}

void BlockPool::queue_remove(BlockId id) {
  Block& b = blocks_[id];
  if (b.prev != kNoBlock)
    blocks_[b.prev].next = b.next;
  else
    head_ = b.next;
  if (b.next != kNoBlock)
    blocks_[b.next].prev = b.prev;
  else
    tail_ = b.prev;
  b.prev = b.next = kNoBlock;
  --num_free_;
}

void BlockPool::drop_hash(BlockId id) {
  Block& b = blocks_[id];
  if (!b.has_hash) return;
  auto it = cached_.find(b.hash);
  if (it != cached_.end() && it->second == id) cached_.erase(it);
  b.has_hash = false;
}

std::optional<BlockId> BlockPool::allocate() {
  if (head_ == kNoBlock) return std::nullopt;
  BlockId id = head_;
  queue_remove(id);
  if (blocks_[id].has_hash) {
    drop_hash(id);
    ++evictions_;
  }
  blocks_[id].ref_count = 1;
  return id;
}

void BlockPool::incref(BlockId id) {
  assert(blocks_[id].ref_count > 0 && "incref on a free block: use touch()");
  ++blocks_[id].ref_count;
}

void BlockPool::decref(BlockId id) {
  Block& b = blocks_[id];
  assert(b.ref_count > 0 && "decref on a free block");
  if (--b.ref_count == 0) {
    if (!enable_prefix_cache_) drop_hash(id);
    queue_push_back(id);
  }
}

BlockId BlockPool::lookup(uint64_t hash, uint64_t parent_hash, const int32_t* tokens) const {
  if (!enable_prefix_cache_) return kNoBlock;
  auto it = cached_.find(hash);
  if (it == cached_.end()) return kNoBlock;
  const Block& b = blocks_[it->second];
  if (b.parent_hash != parent_hash ||
      std::memcmp(b.tokens, tokens, sizeof(int32_t) * kBlockSize) != 0) {
    return kNoBlock;
  }
  return it->second;
}

void BlockPool::touch(BlockId id) {
  Block& b = blocks_[id];
  if (b.ref_count == 0) queue_remove(id);
  ++b.ref_count;
}

void BlockPool::cache_block(BlockId id, uint64_t hash, uint64_t parent_hash,
                            const int32_t* tokens) {
  if (!enable_prefix_cache_) return;
  Block& b = blocks_[id];
  if (b.has_hash || cached_.count(hash) != 0) return;
  b.has_hash = true;
  b.hash = hash;
  b.parent_hash = parent_hash;
  std::memcpy(b.tokens, tokens, sizeof(int32_t) * kBlockSize);
  cached_.emplace(hash, id);
}

void BlockPool::reset_prefix_cache() {
  for (BlockId id = 0; id < n_blocks(); ++id) {
    if (blocks_[id].ref_count == 0) drop_hash(id);
  }
}

PoolStats BlockPool::stats() const {
  PoolStats s;
  s.total = n_blocks();
  s.free = num_free_;
  s.used = s.total - s.free;
  s.cached = static_cast<int>(cached_.size());
  s.evictions = evictions_;
  return s;
}

bool BlockPool::check_invariants() const {
  int n_in_queue = 0;
  BlockId prev = kNoBlock;
  for (BlockId id = head_; id != kNoBlock; id = blocks_[id].next) {
    if (blocks_[id].ref_count != 0 || blocks_[id].prev != prev) return false;
    if (++n_in_queue > n_blocks()) return false;  // a cycle
    prev = id;
  }
  if (prev != tail_ || n_in_queue != num_free_) return false;
  int n_zero = 0;
  for (const Block& b : blocks_) {
    if (b.ref_count < 0) return false;
    n_zero += b.ref_count == 0;
  }
  for (const auto& [hash, id] : cached_) {
    if (!blocks_[id].has_hash || blocks_[id].hash != hash) return false;
  }
  return n_zero == num_free_;
}

}  // namespace hearth::kv
