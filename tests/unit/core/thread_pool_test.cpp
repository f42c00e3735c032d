#include "core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

namespace hearth {
namespace {

TEST(SplitRange, CoversEverythingOnce) {
  for (size_t n : {0, 1, 7, 64, 1000, 1001}) {
    for (int parts : {1, 2, 3, 8}) {
      for (size_t align : {1, 4, 16}) {
        size_t expected_begin = 0;
        for (int p = 0; p < parts; ++p) {
          auto [b, e] = split_range(n, parts, p, align);
          EXPECT_EQ(b, expected_begin);
          EXPECT_LE(b, e);
          if (b < n && e < n) {
            EXPECT_EQ(e % align, 0u);
          }
          expected_begin = e;
        }
        EXPECT_EQ(expected_begin, n);
      }
    }
  }
}

TEST(ThreadPool, ParallelForVisitsEveryIndexOnce) {
  for (int threads : {1, 2, 4}) {
    ThreadPool pool(threads);
    for (int round = 0; round < 200; ++round) {
      size_t n = 1 + round * 13;
      std::vector<std::atomic<int>> hits(n);
      pool.parallel_for("test", n, [&](size_t begin, size_t end, int tid) {
        EXPECT_GE(tid, 0);
        EXPECT_LT(tid, threads);
        for (size_t i = begin; i < end; ++i) hits[i].fetch_add(1);
      });
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "n=" << n << " i=" << i;
    }
  }
}

TEST(ThreadPool, RunCallsEveryThread) {
  ThreadPool pool(3);
  std::atomic<int> mask{0};
  pool.run("mask", [&](int tid, int n) {
    EXPECT_EQ(n, 3);
    mask.fetch_or(1 << tid);
  });
  EXPECT_EQ(mask.load(), 7);
}

TEST(ThreadPool, ManyBackToBackDispatches) {
  ThreadPool pool(2);
  std::atomic<long> total{0};
  for (int i = 0; i < 20000; ++i) {
    pool.run("tiny", [&](int tid, int) { total.fetch_add(tid + 1); });
  }
  EXPECT_EQ(total.load(), 20000L * 3);
}

}  // namespace
}  // namespace hearth
