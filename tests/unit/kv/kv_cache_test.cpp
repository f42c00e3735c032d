#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <vector>

#include "kv/kv_cache_manager.h"
#include "kv/kv_storage.h"

namespace hearth::kv {
namespace {

constexpr int B = kBlockSize;  // tokens per block; the tests hold for any block size >= 8

std::vector<int32_t> seq_tokens(int n, int32_t start) {
  std::vector<int32_t> t(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) t[static_cast<size_t>(i)] = start + i;
  return t;
}

TEST(BlockPool, AllocateFreeAndRefcounts) {
  BlockPool pool(4);
  EXPECT_EQ(pool.num_free(), 4);
  auto a = pool.allocate(), b = pool.allocate();
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(pool.num_free(), 2);
  pool.incref(*a);
  pool.decref(*a);
  EXPECT_EQ(pool.ref_count(*a), 1);
  pool.decref(*a);
  pool.decref(*b);
  EXPECT_EQ(pool.num_free(), 4);
  EXPECT_TRUE(pool.check_invariants());
}

TEST(BlockPool, ExhaustionReturnsNullopt) {
  BlockPool pool(2);
  ASSERT_TRUE(pool.allocate());
  ASSERT_TRUE(pool.allocate());
  EXPECT_FALSE(pool.allocate());
}

TEST(BlockPool, LookupRejectsCollidingTokens) {
  BlockPool pool(2);
  BlockId id = *pool.allocate();
  auto t = seq_tokens(kBlockSize, 0);
  uint64_t h = hash_block_tokens(0, t.data(), kBlockSize);
  pool.cache_block(id, h, 0, t.data());
  EXPECT_EQ(pool.lookup(h, 0, t.data()), id);
  auto other = seq_tokens(kBlockSize, 1);
  EXPECT_EQ(pool.lookup(h, 0, other.data()), kNoBlock);  // same hash key, other tokens
  EXPECT_EQ(pool.lookup(h, 7, t.data()), kNoBlock);      // other parent
}

TEST(KVCacheManager, SlotsFollowBlockTable) {
  KVCacheManager kv(8);
  std::vector<BlockCopy> copies;
  ASSERT_TRUE(kv.allocate(1, B + 4, {}, &copies));
  const auto& table = kv.block_table(1);
  ASSERT_EQ(table.size(), 2u);
  EXPECT_EQ(kv.slot(1, 0), table[0] * kBlockSize);
  EXPECT_EQ(kv.slot(1, B + 1), table[1] * kBlockSize + 1);
  EXPECT_TRUE(copies.empty());
  CacheStats st = kv.stats();
  EXPECT_EQ(st.pool.used, 2);
  EXPECT_EQ(st.tokens_held, B + 4);
  EXPECT_EQ(st.slots_wasted, B - 4);
}

TEST(KVCacheManager, AllocateFailureChangesNothing) {
  KVCacheManager kv(3);
  std::vector<BlockCopy> copies;
  ASSERT_TRUE(kv.allocate(1, 2 * B, {}, &copies));
  EXPECT_FALSE(kv.allocate(2, 2 * B + B / 2, {}, &copies));
  EXPECT_FALSE(kv.has(2));
  EXPECT_EQ(kv.num_free_blocks(), 1);
  EXPECT_FALSE(kv.allocate(1, 3 * B + 1, {}, &copies));
  EXPECT_EQ(kv.num_tokens(1), 2 * B);
  EXPECT_TRUE(kv.allocate(1, 3 * B, {}, &copies));
  EXPECT_EQ(kv.num_free_blocks(), 0);
}

TEST(KVCacheManager, PrefixSharingFullBlocksOnly) {
  KVCacheManager kv(16);
  std::vector<BlockCopy> copies;
  const int n = 2 * B + B / 2;  // 2 full blocks + half a block
  auto prompt = seq_tokens(n, 100);
  ASSERT_TRUE(kv.allocate(1, n, {}, &copies));
  kv.cache_computed(1, prompt.data(), n);
  std::vector<BlockId> hits;
  EXPECT_EQ(kv.find_cached_prefix(prompt.data(), n - 1, &hits), 2 * B);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0], kv.block_table(1)[0]);
  ASSERT_TRUE(kv.allocate(2, n, hits, &copies));
  EXPECT_EQ(kv.block_table(2)[0], kv.block_table(1)[0]);
  EXPECT_EQ(kv.block_table(2)[1], kv.block_table(1)[1]);
  EXPECT_NE(kv.block_table(2)[2], kv.block_table(1)[2]);
  EXPECT_EQ(kv.pool().ref_count(hits[0]), 2);
  EXPECT_EQ(kv.stats().pool.used, 4);
  // A different second block shares only the first.
  auto other = prompt;
  other[B + 4] = 7;
  EXPECT_EQ(kv.find_cached_prefix(other.data(), n, &hits), B);
  kv.free(1);
  kv.free(2);
  EXPECT_EQ(kv.num_free_blocks(), 16);
  EXPECT_TRUE(kv.pool().check_invariants());
}

TEST(KVCacheManager, CachedBlocksSurviveFreeUntilEvicted) {
  KVCacheManager kv(4);
  std::vector<BlockCopy> copies;
  auto prompt = seq_tokens(2 * B, 5);
  ASSERT_TRUE(kv.allocate(1, 2 * B, {}, &copies));
  kv.cache_computed(1, prompt.data(), 2 * B);
  kv.free(1);
  EXPECT_EQ(kv.stats().pool.cached, 2);
  std::vector<BlockId> hits;
  EXPECT_EQ(kv.find_cached_prefix(prompt.data(), 2 * B, &hits), 2 * B);
  // Reusing cached free blocks counts against the free pool: 2 hits + 3 new > 4 free.
  EXPECT_FALSE(kv.allocate(2, 5 * B, hits, &copies));
  ASSERT_TRUE(kv.allocate(2, 4 * B, hits, &copies));
  EXPECT_EQ(kv.num_free_blocks(), 0);
  kv.free(2);
  // Filling the pool with unrelated sequences evicts the cache (LRU).
  ASSERT_TRUE(kv.allocate(3, 4 * B, {}, &copies));
  EXPECT_EQ(kv.stats().pool.cached, 0);
  EXPECT_GE(kv.stats().pool.evictions, 2u);
  EXPECT_EQ(kv.find_cached_prefix(prompt.data(), 2 * B, &hits), 0);
}

TEST(KVCacheManager, EvictionIsLeastRecentlyUsedFirst) {
  KVCacheManager kv(4);
  std::vector<BlockCopy> copies;
  auto a = seq_tokens(B, 1000), b = seq_tokens(B, 2000);
  ASSERT_TRUE(kv.allocate(1, B, {}, &copies));
  kv.cache_computed(1, a.data(), B);
  ASSERT_TRUE(kv.allocate(2, B, {}, &copies));
  kv.cache_computed(2, b.data(), B);
  kv.free(1);  // a freed first: least recently used
  kv.free(2);
  ASSERT_TRUE(kv.allocate(3, 3 * B, {}, &copies));  // 2 never-cached blocks + 1 eviction
  std::vector<BlockId> hits;
  EXPECT_EQ(kv.find_cached_prefix(a.data(), B, &hits), 0);
  EXPECT_EQ(kv.find_cached_prefix(b.data(), B, &hits), B);
}

TEST(KVCacheManager, ForkSharesAndCopiesOnWrite) {
  KVCacheManager kv(8);
  std::vector<BlockCopy> copies;
  ASSERT_TRUE(kv.allocate(1, B + 4, {}, &copies));
  kv.fork(1, 2);
  EXPECT_EQ(kv.block_table(1), kv.block_table(2));
  EXPECT_EQ(kv.stats().pool.used, 2);
  BlockId shared_tail = kv.block_table(1)[1];
  ASSERT_TRUE(kv.allocate(2, B + 5, {}, &copies));  // writes into the shared partial block
  ASSERT_EQ(copies.size(), 1u);
  EXPECT_EQ(copies[0].src, shared_tail);
  EXPECT_EQ(copies[0].dst, kv.block_table(2)[1]);
  EXPECT_NE(kv.block_table(2)[1], shared_tail);
  EXPECT_EQ(kv.block_table(2)[0], kv.block_table(1)[0]);  // full block stays shared
  copies.clear();
  ASSERT_TRUE(kv.allocate(1, B + 5, {}, &copies));  // now private again: no copy
  EXPECT_TRUE(copies.empty());
  kv.free(1);
  kv.free(2);
  EXPECT_EQ(kv.num_free_blocks(), 8);
}

// Waste is counted over physical blocks: a block shared by a fork or a prefix hit counts once,
// and only the unfilled tails of held blocks are waste.
TEST(KVCacheManager, WasteCountsPhysicalBlocksOnce) {
  KVCacheManager kv(8);
  std::vector<BlockCopy> copies;
  auto prompt = seq_tokens(B + 4, 1);
  ASSERT_TRUE(kv.allocate(1, B + 4, {}, &copies));
  kv.cache_computed(1, prompt.data(), B + 4);
  kv.fork(1, 2);  // shares both blocks, the partial tail too
  CacheStats st = kv.stats();
  EXPECT_EQ(st.pool.used, 2);
  EXPECT_EQ(st.tokens_held, B + 4);
  EXPECT_EQ(st.slots_wasted, B - 4);
  EXPECT_DOUBLE_EQ(st.waste_fraction, (B - 4) / (2.0 * B));
  // A third sequence hits the first block and adds its own tail of 2 tokens.
  std::vector<BlockId> hits;
  ASSERT_EQ(kv.find_cached_prefix(prompt.data(), B + 1, &hits), B);
  ASSERT_TRUE(kv.allocate(3, B + 2, hits, &copies));
  st = kv.stats();
  EXPECT_EQ(st.pool.used, 3);
  EXPECT_EQ(st.tokens_held, B + 4 + 2);
  EXPECT_EQ(st.slots_wasted, 3 * B - (B + 6));
  kv.free(1);
  kv.free(2);
  kv.free(3);
  st = kv.stats();
  EXPECT_EQ(st.slots_wasted, 0);
  EXPECT_EQ(st.waste_fraction, 0);
}

// 1,000 random requests: prompts from a few shared prefixes, random growth, random cancellation
// at any point. At the end every block must be back in the pool.
TEST(KVCacheManager, ThousandRandomRequestsLeakNothing) {
  const int n_blocks = 256;
  KVCacheManager kv(n_blocks);
  std::mt19937 rng(1234);
  std::vector<std::vector<int32_t>> prefixes;
  for (int p = 0; p < 5; ++p) prefixes.push_back(seq_tokens(48, p * 10000));
  struct Live {
    std::vector<int32_t> tokens;
    int computed;
  };
  std::map<SeqId, Live> live;
  std::vector<BlockCopy> copies;
  SeqId next_id = 1;
  int started = 0, cancelled = 0, failed = 0;
  while (started < 1000 || !live.empty()) {
    int action = static_cast<int>(rng() % 10);
    if (action < 3 && started < 1000) {
      Live r;
      r.tokens = prefixes[rng() % prefixes.size()];
      r.tokens.resize(16 + rng() % 48);
      for (size_t i = 40; i < r.tokens.size(); ++i) r.tokens[i] = static_cast<int32_t>(rng() % 500);
      std::vector<BlockId> hits;
      int hit =
          kv.find_cached_prefix(r.tokens.data(), static_cast<int>(r.tokens.size()) - 1, &hits);
      ++started;
      if (!kv.allocate(next_id, static_cast<int>(r.tokens.size()), hits, &copies)) {
        ++failed;
        continue;
      }
      r.computed = static_cast<int>(r.tokens.size());
      kv.cache_computed(next_id, r.tokens.data(), r.computed);
      EXPECT_LE(hit, r.computed);
      live[next_id++] = std::move(r);
    } else if (!live.empty()) {
      auto it = live.begin();
      std::advance(it, rng() % live.size());
      if (action < 7) {  // grow by one generated token
        it->second.tokens.push_back(static_cast<int32_t>(rng() % 500));
        if (kv.allocate(it->first, static_cast<int>(it->second.tokens.size()), {}, &copies)) {
          kv.cache_computed(it->first, it->second.tokens.data(),
                            static_cast<int>(it->second.tokens.size()));
        } else {
          kv.free(it->first);  // preempted
          live.erase(it);
        }
      } else {  // finish or cancel
        cancelled += action == 9;
        kv.free(it->first);
        live.erase(it);
      }
    }
    ASSERT_TRUE(kv.pool().check_invariants());
  }
  EXPECT_EQ(started, 1000);
  EXPECT_GT(cancelled, 0);
  CacheStats st = kv.stats();
  EXPECT_EQ(st.n_seqs, 0);
  EXPECT_EQ(st.pool.used, 0);
  EXPECT_EQ(st.pool.free, n_blocks);
  EXPECT_GT(st.prefix_hits, 0u);
  (void)failed;
}

TEST(KVStorage, WriteReadCopyAndPagedAttention) {
  KVShape shape{2, 4, 2, 4};
  KVStorage kv(shape);
  EXPECT_EQ(shape.bytes(), 2ull * 2 * 4 * kBlockSize * 8 * 2);
  // Sequence of B + 4 tokens in blocks {3, 1}; a contiguous copy for the naive reference.
  std::vector<BlockId> table{3, 1};
  const int n_ctx = B + 4, row = 8, n_head = 4, head_dim = 4;
  std::vector<float> ks(n_ctx * row), vs(n_ctx * row);  // (n_ctx, n_kv_head*head_dim)
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1, 1);
  for (int p = 0; p < n_ctx; ++p) {
    for (int i = 0; i < row; ++i) {
      ks[p * row + i] = fp16_to_float(float_to_fp16(u(rng)));
      vs[p * row + i] = fp16_to_float(float_to_fp16(u(rng)));
    }
    kv.write(1, table[p / kBlockSize] * kBlockSize + p % kBlockSize, &ks[p * row], &vs[p * row]);
  }
  std::vector<float> q(n_head * head_dim), out(n_head * head_dim);
  for (float& x : q) x = u(rng);
  float scale = 0.5f;
  paged_attention_ref(kv, 1, table.data(), n_ctx, q.data(), n_head, scale, out.data());
  for (int h = 0; h < n_head; ++h) {
    int kvh = h / 2;
    std::vector<double> s(n_ctx);
    double mx = -1e30, sum = 0;
    for (int p = 0; p < n_ctx; ++p) {
      double d = 0;
      for (int i = 0; i < head_dim; ++i)
        d += q[h * head_dim + i] * ks[p * row + kvh * head_dim + i];
      s[p] = d * scale;
      mx = std::max(mx, s[p]);
    }
    for (double& x : s) sum += (x = std::exp(x - mx));
    for (int i = 0; i < head_dim; ++i) {
      double o = 0;
      for (int p = 0; p < n_ctx; ++p) o += s[p] / sum * vs[p * row + kvh * head_dim + i];
      EXPECT_NEAR(out[h * head_dim + i], o, 1e-5);
    }
  }
  kv.copy_block(3, 0);
  EXPECT_EQ(kv.k(1, 0)[5], kv.k(1, 3 * kBlockSize)[5]);
  EXPECT_EQ(fp16_to_float(kv.v(1, 3 * kBlockSize)[2]), vs[2]);
}

}  // namespace
}  // namespace hearth::kv
