// Dispatched matmul / get_rows: quantize activations once per call (once for all matrices of a
// matmul_multi), then row dot products from the active ISA's QdotTable, rows split across the
// pool in 16-row-aligned chunks (one 64-byte line of y per 16 rows, so threads never write the
// same cache line).
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

// Rows [begin, end) of y (n_tokens, w.rows) from the converted activations.
void rows_dot(const Matrix& w, RowDotFn dot, RowDotNFn dot_n, const ActBuffer& xa, int64_t n_tokens,
              int64_t begin, int64_t end, float* y) {
  const int64_t rows = w.rows, cols = w.cols;
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

// The row dot for w and its activation format; false when the generic path must handle w.
bool fast_path(const QdotTable& table, const Matrix& w, ActType* act, RowDotFn* dot) {
  if (w.type >= static_cast<uint32_t>(kMaxGgmlType) || !act_type_for(w.type, act)) return false;
  *dot = table.dot[w.type];
  return *dot != nullptr && w.cols % act_block_size(*act) == 0;
}

}  // namespace

void matmul(ThreadPool& pool, const Matrix& w, const float* x, int64_t n_tokens, float* y) {
  if (w.repacked && n_tokens > 0) return matmul_repacked(pool, w, x, n_tokens, y);
  const Matrix* ws[1] = {&w};
  float* ys[1] = {y};
  matmul_multi(pool, 1, ws, x, n_tokens, ys);
}

void matmul_multi(ThreadPool& pool, int n_mats, const Matrix* const* ws, const float* x,
                  int64_t n_tokens, float* const* ys) {
  constexpr int kMaxMats = 4;
  if (n_mats <= 0 || n_tokens <= 0) return;
  for (int i = 0; i < n_mats; ++i) {
    if (ws[i]->repacked == nullptr) continue;
    // repacked weights have their own tiled kernels (their GGUF pages may have been released);
    // matrices sharing one activation format share its quantization and one parallel region
    if (repacked_multi_compatible(n_mats, ws))
      return matmul_repacked_multi(pool, n_mats, ws, x, n_tokens, ys);
    for (int j = 0; j < n_mats; ++j) matmul(pool, *ws[j], x, n_tokens, ys[j]);
    return;
  }
  const QdotTable& table = qdot_table(active_isa());
  ActType act = ActType::kF32;
  RowDotFn dots[kMaxMats] = {};
  bool fused = n_mats <= kMaxMats;
  for (int i = 0; fused && i < n_mats; ++i) {
    ActType a;
    fused = fast_path(table, *ws[i], &a, &dots[i]) && ws[i]->cols == ws[0]->cols &&
            (i == 0 || a == act);
    act = a;
  }
  if (!fused && n_mats == 1) {  // a type or shape without a fast row dot
    ref::matmul(pool, *ws[0], x, n_tokens, ys[0]);
    return;
  }
  if (!fused) {  // mixed activation formats: one matrix at a time
    for (int i = 0; i < n_mats; ++i) matmul(pool, *ws[i], x, n_tokens, ys[i]);
    return;
  }
  // activations converted once for all matrices (they share the input x)
  const ActBuffer xa = prepare_activations(pool, table, act, x, n_tokens, ws[0]->cols);
  // chunks of rows handed out dynamically over all matrices: a thread that is descheduled
  // (shared machine) or slower does not hold up the others, and a worker that wakes after all
  // chunks are taken skips the call (run_opportunistic); chunk boundaries are 16-row (64-byte)
  // aligned so threads never write the same cache line of y
  size_t chunk[kMaxMats], first_chunk[kMaxMats + 1] = {0};
  for (int i = 0; i < n_mats; ++i) {
    const size_t rows = static_cast<size_t>(ws[i]->rows);
    chunk[i] = std::max<size_t>(kRowAlign, (rows / (8 * pool.n_threads())) / kRowAlign * kRowAlign);
    first_chunk[i + 1] = first_chunk[i] + (rows + chunk[i] - 1) / chunk[i];
  }
  const size_t n_chunks = first_chunk[n_mats];
  std::atomic<size_t> next{0};
  auto work = [&](int) {
    for (size_t c = next.fetch_add(1, std::memory_order_relaxed); c < n_chunks;
         c = next.fetch_add(1, std::memory_order_relaxed)) {
      int i = 0;
      while (c >= first_chunk[i + 1]) ++i;
      const Matrix& w = *ws[i];
      const int64_t begin = static_cast<int64_t>((c - first_chunk[i]) * chunk[i]);
      const int64_t end = std::min<int64_t>(w.rows, begin + static_cast<int64_t>(chunk[i]));
      rows_dot(w, dots[i], table.dot_n[w.type], xa, n_tokens, begin, end, ys[i]);
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
