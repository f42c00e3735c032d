// Compute kernels: matrix products over GGUF-typed weights, run-time ISA dispatch.
//
// Every kernel has a scalar reference (kernels/ref/, the specification) and x86 versions
// (kernels/x86/*_avx2.cpp, *_avx512.cpp) compiled with their own flags; dispatch.cpp checks
// cpuid + XCR0 once and fills the kernel table. HEARTH_ISA=scalar|avx2|avx512 forces a lower path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/thread_pool.h"

namespace hearth::kernels {

enum class Isa { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };
const char* isa_name(Isa isa);
Isa detected_isa();  // the best path this CPU + OS support
Isa active_isa();    // detected, lowered by HEARTH_ISA or set_active_isa()
// For tests and benchmarks: use `isa` (clamped to detected_isa()); returns the ISA now active.
Isa set_active_isa(Isa isa);

struct RepackedMatrix;  // weights re-laid-out at load time for the tiled GEMM (kernels/repack.h)

// A weight matrix as GGUF stores it: `rows` rows of `cols` values of `type` (a GgmlType id);
// row r starts at data + r * row_bytes. ne[0] of the GGUF tensor is `cols`, ne[1] is `rows`.
struct Matrix {
  uint32_t type = 0;
  const uint8_t* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  size_t row_bytes = 0;
  std::shared_ptr<const RepackedMatrix>
      repacked;  // optional, set by repack_matrix() (kernels/repack.h)
};

// y (n_tokens, w.rows) = x (n_tokens, w.cols) * w^T, all row-major f32. Activations are
// quantized to the weight type's vec_dot_type internally (never dequantizes weights to f32 in
// the hot loop). Splits rows across the pool's threads.
void matmul(ThreadPool& pool, const Matrix& w, const float* x, int64_t n_tokens, float* y);

// ys[i] (n_tokens, ws[i]->rows) = x (n_tokens, cols) * ws[i]^T for i < n_mats (at most 4
// share one pass; more are done one by one): matrices with the same input (q/k/v, gate/up)
// share one activation conversion and one parallel region. Falls back to one matmul() per
// matrix when their columns or activation formats differ (repacked weights fuse the same way,
// kernels/repack.h matmul_repacked_multi).
void matmul_multi(ThreadPool& pool, int n_mats, const Matrix* const* ws, const float* x,
                  int64_t n_tokens, float* const* ys);

// out (n_ids, w.cols) = rows `ids` of w, dequantized (embedding lookup).
void get_rows(const Matrix& w, const int32_t* ids, int64_t n_ids, float* out);

}  // namespace hearth::kernels
