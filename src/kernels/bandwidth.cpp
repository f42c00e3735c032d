// measure_read_bandwidth: multi-threaded streaming read over a buffer larger than the caches.
#include "kernels/bandwidth.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>

#include "core/huge_page_buffer.h"
#include "kernels/kernels.h"

namespace hearth::kernels {

uint64_t read_sum_avx2(const void* p, size_t bytes);  // x86/bandwidth_avx2.cpp

namespace {
uint64_t read_sum_scalar(const void* p, size_t bytes) {
  const auto* w = static_cast<const uint64_t*>(p);  // (bytes / 8)
  uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (size_t i = 0; i + 4 <= bytes / 8; i += 4) {
    s0 += w[i];
    s1 += w[i + 1];
    s2 += w[i + 2];
    s3 += w[i + 3];
  }
  return s0 ^ s1 ^ s2 ^ s3;
}
}  // namespace

uint64_t read_sum(const void* p, size_t bytes) {
  if (active_isa() != Isa::kScalar) return read_sum_avx2(p, bytes);
  return read_sum_scalar(p, bytes);
}

double measure_read_bandwidth(ThreadPool& pool, size_t bytes, int repetitions, bool huge_pages) {
  constexpr size_t kPage = 4096;
  bytes = std::max<size_t>(kPage, (bytes + kPage - 1) / kPage * kPage);
  HugePageBuffer storage;  // (bytes)
  storage.resize(bytes, huge_pages);
  uint8_t* buf = storage.data();
  const size_t pages = bytes / kPage;
  pool.parallel_for("bandwidth_fill", pages, [&](size_t begin, size_t end, int) {
    for (size_t pg = begin; pg < end; ++pg) std::memset(buf + pg * kPage, int(pg & 0xff), kPage);
  });
  std::atomic<uint64_t> sink{0};
  double best = 0;
  for (int rep = 0; rep < std::max(1, repetitions); ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    pool.parallel_for("bandwidth_read", pages, [&](size_t begin, size_t end, int) {
      sink.fetch_xor(read_sum(buf + begin * kPage, (end - begin) * kPage),
                     std::memory_order_relaxed);
    });
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, static_cast<double>(bytes) / s / 1e9);
  }
  return best;  // `sink` (atomic) keeps the reads observable
}

}  // namespace hearth::kernels
