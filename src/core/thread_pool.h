// Persistent thread pool with a named parallel_for.
//
// Dispatch + join costs a few microseconds: workers spin briefly on a generation counter before
// sleeping (std::atomic::wait, a futex), so back-to-back matrix multiplies do not pay a wake-up.
// The calling thread takes part as thread 0. Calls are not reentrant: one parallel_for at a time
// per pool (the engine loop owns its pool).
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <thread>
#include <vector>

namespace hearth {

class ThreadPool {
 public:
  // n_threads counts the calling thread; 0 means std::thread::hardware_concurrency().
  explicit ThreadPool(int n_threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int n_threads() const { return n_threads_; }

  // Runs fn(thread_index, n_threads) once on every thread (thread_index 0 is the caller) and
  // returns when all are done. `name` labels the work for profiling and errors.
  void run(const char* name, const std::function<void(int thread_index, int n_threads)>& fn);

  // Runs fn(thread_index) on the caller and on every worker that wakes up before the caller has
  // returned from its own fn(0); workers arriving later skip the job. For work that threads
  // take from a shared atomic counter: the caller then never waits for a descheduled worker
  // (only for workers already inside fn). Not for work that must run once per thread.
  void run_opportunistic(const char* name, const std::function<void(int thread_index)>& fn);

  // Splits [0, n) into contiguous chunks, at most one per thread, and calls fn(begin, end,
  // thread_index) for each non-empty chunk. `grain` is the smallest chunk worth a thread; the
  // chunk boundaries are multiples of `align` (e.g. rows of an interleaved weight group).
  void parallel_for(const char* name, size_t n,
                    const std::function<void(size_t begin, size_t end, int thread_index)>& fn,
                    size_t grain = 1, size_t align = 1);

  // The name of the work currently running (nullptr when idle).
  const char* current_work() const { return current_name_; }

 private:
  void worker_main(int thread_index);

  int n_threads_ = 1;
  std::vector<std::thread> workers_;
  const std::function<void(int, int)>* job_ = nullptr;
  const char* current_name_ = nullptr;
  int active_threads_ = 1;  // threads taking part in the current job (<= n_threads_)
  alignas(64) std::atomic<uint64_t> generation_{0};
  alignas(64) std::atomic<int> pending_{0};
  alignas(64) std::atomic<bool> stop_{false};
  // Opportunistic job: (generation << 32) | kOpen | number of workers inside the job.
  const std::function<void(int)>* opp_job_ = nullptr;
  alignas(64) std::atomic<uint64_t> opp_state_{0};
};

// Splits [0, n) into `parts` contiguous chunks aligned to `align`; returns [begin, end) of `part`.
std::pair<size_t, size_t> split_range(size_t n, int parts, int part, size_t align = 1);

}  // namespace hearth
