#include "core/thread_pool.h"

#include <algorithm>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HEARTH_CPU_RELAX() _mm_pause()
#else
#define HEARTH_CPU_RELAX() ((void)0)
#endif

namespace hearth {
namespace {
constexpr int kSpinIterations = 20000;  // ~50-100 us of spinning before sleeping
constexpr uint64_t kOpen = 1ull << 31;  // opp_state_: the opportunistic job accepts workers
constexpr uint64_t kActiveMask = kOpen - 1;
}  // namespace

std::pair<size_t, size_t> split_range(size_t n, int parts, int part, size_t align) {
  if (parts <= 0) return {0, n};
  if (align == 0) align = 1;
  size_t units = (n + align - 1) / align;
  size_t per = units / parts;
  size_t extra = units % parts;
  size_t begin_units = part * per + std::min<size_t>(part, extra);
  size_t end_units = begin_units + per + (static_cast<size_t>(part) < extra ? 1 : 0);
  size_t begin = std::min(n, begin_units * align);
  size_t end = std::min(n, end_units * align);
  return {begin, end};
}

ThreadPool::ThreadPool(int n_threads) {
  if (n_threads <= 0)
    n_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  n_threads_ = n_threads;
  workers_.reserve(n_threads_ - 1);
  for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { worker_main(i); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  generation_.notify_all();
  for (auto& worker : workers_) worker.join();
}

void ThreadPool::worker_main(int thread_index) {
  uint64_t seen = 0;
  for (;;) {
    uint64_t gen = generation_.load(std::memory_order_acquire);
    for (int spin = 0; gen == seen && spin < kSpinIterations; ++spin) {
      HEARTH_CPU_RELAX();
      gen = generation_.load(std::memory_order_acquire);
    }
    while (gen == seen) {
      generation_.wait(seen, std::memory_order_acquire);
      gen = generation_.load(std::memory_order_acquire);
    }
    seen = gen;
    if (stop_.load(std::memory_order_acquire)) return;
    uint64_t state = opp_state_.load(std::memory_order_acquire);
    if ((state >> 32) == (gen & 0xffffffffu)) {  // this generation is an opportunistic job
      while (state & kOpen) {
        if (opp_state_.compare_exchange_weak(state, state + 1, std::memory_order_acq_rel)) {
          (*opp_job_)(thread_index);
          opp_state_.fetch_sub(1, std::memory_order_acq_rel);
          break;
        }
      }
      continue;  // closed (or done): nothing to report back
    }
    if (thread_index < active_threads_) (*job_)(thread_index, active_threads_);
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::run(const char* name, const std::function<void(int, int)>& fn) {
  current_name_ = name;
  active_threads_ = n_threads_;
  if (n_threads_ == 1) {
    fn(0, 1);
    current_name_ = nullptr;
    return;
  }
  job_ = &fn;
  pending_.store(n_threads_ - 1, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  generation_.notify_all();
  fn(0, n_threads_);
  while (pending_.load(std::memory_order_acquire) != 0) HEARTH_CPU_RELAX();
  job_ = nullptr;
  current_name_ = nullptr;
}

void ThreadPool::run_opportunistic(const char* name, const std::function<void(int)>& fn) {
  current_name_ = name;
  if (n_threads_ == 1) {
    fn(0);
    current_name_ = nullptr;
    return;
  }
  // No job is running now (calls are not reentrant) and every worker that joined an earlier
  // opportunistic job has left it, so the state can be replaced.
  const uint64_t gen = generation_.load(std::memory_order_relaxed) + 1;
  opp_job_ = &fn;
  opp_state_.store(((gen & 0xffffffffu) << 32) | kOpen, std::memory_order_release);
  generation_.store(gen, std::memory_order_release);
  generation_.notify_all();
  fn(0);
  // close: late workers skip; wait only for those inside fn
  uint64_t state = opp_state_.fetch_and(~kOpen, std::memory_order_acq_rel) & ~kOpen;
  while ((state & kActiveMask) != 0) {
    HEARTH_CPU_RELAX();
    state = opp_state_.load(std::memory_order_acquire);
  }
  opp_job_ = nullptr;
  current_name_ = nullptr;
}

void ThreadPool::parallel_for(const char* name, size_t n,
                              const std::function<void(size_t, size_t, int)>& fn, size_t grain,
                              size_t align) {
  if (n == 0) return;
  if (grain == 0) grain = 1;
  size_t max_parts = std::max<size_t>(1, n / grain);
  int parts = static_cast<int>(std::min<size_t>(n_threads_, max_parts));
  if (parts <= 1) {
    current_name_ = name;
    fn(0, n, 0);
    current_name_ = nullptr;
    return;
  }
  run(name, [&](int thread_index, int /*n_threads*/) {
    if (thread_index >= parts) return;
    auto [begin, end] = split_range(n, parts, thread_index, align);
    if (begin < end) fn(begin, end, thread_index);
  });
}

}  // namespace hearth
