// Dispatched matmul / get_rows: quantize activations once per call, then row dot products
// from the active ISA's QdotTable, rows split across the pool in 16-row-aligned chunks (one
// 64-byte line of y per 16 rows, so threads never write the same cache line).
#include <algorithm>
#include <atomic>
#include <vector>

#include "kernels/kernels.h"
#include "kernels/qdot.h"
#include "kernels/ref/matmul_ref.h"
#include "kernels/repack.h"

namespace hearth::kernels {
namespace {

constexpr size_t kRowAlign = 16;    // rows per chunk boundary: 16 floats = one cache line of y
constexpr int64_t kTokenTile = 32;  // tokens sharing one pass over a weight row (n_tokens > 1)

// Activations converted to the weight's ActType, (n_tokens, row_bytes), reused across calls.
struct ActBuffer {
  const uint8_t* data = nullptr;
  size_t row_bytes = 0;
};

ActBuffer prepare_activations(ThreadPool& pool, const QdotTable& table, ActType act, const float* x,
                              int64_t n_tokens, int64_t cols) {
  if (act == ActType::kF32) {
    return {reinterpret_cast<const uint8_t*>(x), static_cast<size_t>(cols) * sizeof(float)};
  }
  thread_local std::vector<uint8_t> storage;  // (n_tokens, row_bytes)
  const size_t row_bytes = act_row_bytes(act, cols);
  if (storage.size() < row_bytes * n_tokens) storage.resize(row_bytes * n_tokens);
  uint8_t* out = storage.data();
  QuantizeActFn quantize = table.quantize[static_cast<int>(act)];
  if (n_tokens == 1) {
    quantize(x, out, cols);
  } else {
    std::atomic<int64_t> next{0};  // tokens handed out one at a time
    pool.run_opportunistic("matmul_quantize_act", [&](int) {
      for (int64_t t = next.fetch_add(1); t < n_tokens; t = next.fetch_add(1)) {
        quantize(x + t * cols, out + t * row_bytes, cols);
      }
    });
  }
  return {out, row_bytes};
}

}  // namespace

void matmul(ThreadPool& pool, const Matrix& w, const float* x, int64_t n_tokens, float* y) {
  if (w.repacked && n_tokens > 0) return matmul_repacked(pool, w, x, n_tokens, y);
  const QdotTable& table = qdot_table(active_isa());
  ActType act;
  RowDotFn dot = nullptr;
  if (w.type < static_cast<uint32_t>(kMaxGgmlType) && act_type_for(w.type, &act)) {
    dot = table.dot[w.type];
  }
  if (dot == nullptr || w.cols % act_block_size(act) != 0 || n_tokens <= 0) {
    ref::matmul(pool, w, x, n_tokens, y);
    return;
  }
  const ActBuffer xa = prepare_activations(pool, table, act, x, n_tokens, w.cols);
  const int64_t rows = w.rows, cols = w.cols;
  const RowDotNFn dot_n = table.dot_n[w.type];
  // chunks of rows handed out dynamically: a thread that is descheduled (shared machine) or
  // slower does not hold up the others, and a worker that wakes after all chunks are taken
  // skips the call (run_opportunistic); chunk boundaries are 16-row (64-byte) aligned
  const size_t chunk = std::max<size_t>(
      kRowAlign, (static_cast<size_t>(rows) / (8 * pool.n_threads())) / kRowAlign * kRowAlign);
  const size_t n_chunks = (static_cast<size_t>(rows) + chunk - 1) / chunk;
  std::atomic<size_t> next{0};
  auto work = [&](int) {
    for (size_t c = next.fetch_add(1, std::memory_order_relaxed); c < n_chunks;
         c = next.fetch_add(1, std::memory_order_relaxed)) {
      const int64_t begin = static_cast<int64_t>(c * chunk);
      const int64_t end = std::min<int64_t>(rows, begin + static_cast<int64_t>(chunk));
      for (int64_t t0 = 0; t0 < n_tokens; t0 += kTokenTile) {
        const int64_t t1 = std::min(n_tokens, t0 + kTokenTile);
        for (int64_t r = begin; r < end; ++r) {
          const uint8_t* w_row = w.data + r * w.row_bytes;
          int64_t t = t0;
          float out[kDotNTokens];
          for (; dot_n != nullptr && t + kDotNTokens <= t1; t += kDotNTokens) {
            dot_n(cols, w_row, xa.data + t * xa.row_bytes, xa.row_bytes, out);
            for (int k = 0; k < kDotNTokens; ++k) y[(t + k) * rows + r] = out[k];
          }
          for (; t < t1; ++t) y[t * rows + r] = dot(cols, w_row, xa.data + t * xa.row_bytes);
        }
      }
    }
  };
  if (n_chunks == 1 || pool.n_threads() == 1) {
    work(0);
  } else {
    pool.run_opportunistic("matmul", work);
  }
}

void get_rows(const Matrix& w, const int32_t* ids, int64_t n_ids, float* out) {
  ref::get_rows(w, ids, n_ids, out);
}

}  // namespace hearth::kernels
