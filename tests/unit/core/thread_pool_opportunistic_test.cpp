// ThreadPool::run_opportunistic: every chunk is processed exactly once, and it interleaves
// safely with run() / parallel_for() (late workers must never run a finished job).
#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "core/thread_pool.h"

namespace hearth {
namespace {

TEST(ThreadPoolOpportunistic, EveryChunkExactlyOnce) {
  for (int threads : {1, 2, 4}) {
    ThreadPool pool(threads);
    for (int round = 0; round < 200; ++round) {
      const size_t n_chunks = 1 + round % 37;
      std::vector<std::atomic<int>> hits(n_chunks);
      std::atomic<size_t> next{0};
      pool.run_opportunistic("test", [&](int thread_index) {
        EXPECT_GE(thread_index, 0);
        EXPECT_LT(thread_index, threads);
        for (size_t c = next.fetch_add(1); c < n_chunks; c = next.fetch_add(1)) hits[c]++;
      });
      for (size_t c = 0; c < n_chunks; ++c) ASSERT_EQ(hits[c].load(), 1) << "chunk " << c;
    }
  }
}

TEST(ThreadPoolOpportunistic, InterleavesWithRunAndParallelFor) {
  ThreadPool pool(3);
  for (int round = 0; round < 500; ++round) {
    std::atomic<int> per_thread{0};
    pool.run("run", [&](int, int) { per_thread++; });
    ASSERT_EQ(per_thread.load(), 3);
    std::atomic<size_t> next{0}, done{0};
    pool.run_opportunistic("opp", [&](int) {
      for (size_t c = next.fetch_add(1); c < 64; c = next.fetch_add(1)) done++;
    });
    ASSERT_EQ(done.load(), 64u);
    std::vector<int> out(100, 0);
    pool.parallel_for("pf", out.size(), [&](size_t b, size_t e, int) {
      for (size_t i = b; i < e; ++i) out[i] += 1;
    });
    for (int v : out) ASSERT_EQ(v, 1);
  }
}

}  // namespace
}  // namespace hearth
