#include "kernels/ref/matmul_ref.h"

#include <cassert>
#include <vector>

#include "kernels/ref/vec_ref.h"
#include "quant/type_traits.h"

namespace hearth::kernels::ref {

void matmul(ThreadPool& pool, const Matrix& w, const float* x, int64_t n_tokens, float* y) {
  const quant::TypeTraits* wt = quant::find_type_traits(w.type);
  assert(wt != nullptr && (wt->vec_dot != nullptr || wt->to_float != nullptr));
  const int64_t cols = w.cols;
  if (wt->vec_dot == nullptr) {
    pool.parallel_for("matmul_ref_dequant", w.rows, [&](size_t begin, size_t end, int) {
      std::vector<float> row(cols);  // (cols)
      for (size_t r = begin; r < end; ++r) {
        wt->to_float(w.data + r * w.row_bytes, row.data(), cols);
        for (int64_t t = 0; t < n_tokens; ++t) {
          y[t * w.rows + r] = dot_f32(row.data(), x + t * cols, cols);
        }
      }
    });
    return;
  }
  const quant::TypeTraits& at = quant::type_traits(wt->vec_dot_type);
  const size_t act_row_bytes = *quant::row_size(static_cast<uint32_t>(at.type), cols);
  std::vector<uint8_t> xq(static_cast<size_t>(n_tokens) *
                          act_row_bytes);  // (n_tokens, act_row_bytes)
  for (int64_t t = 0; t < n_tokens; ++t) {
    at.from_float(x + t * cols, xq.data() + t * act_row_bytes, cols, nullptr);
  }
  pool.parallel_for("matmul_ref", w.rows, [&](size_t begin, size_t end, int) {
    for (size_t r = begin; r < end; ++r) {
      const uint8_t* w_row = w.data + r * w.row_bytes;
      for (int64_t t = 0; t < n_tokens; ++t) {
        y[t * w.rows + r] = wt->vec_dot(cols, w_row, xq.data() + t * act_row_bytes);
      }
    }
  });
}

void get_rows(const Matrix& w, const int32_t* ids, int64_t n_ids, float* out) {
  const quant::TypeTraits* wt = quant::find_type_traits(w.type);
  assert(wt != nullptr && wt->to_float != nullptr);
  for (int64_t i = 0; i < n_ids; ++i) {
    assert(ids[i] >= 0 && ids[i] < w.rows);
    wt->to_float(w.data + static_cast<size_t>(ids[i]) * w.row_bytes, out + i * w.cols, w.cols);
  }
}

}  // namespace hearth::kernels::ref
