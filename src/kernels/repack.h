// Weights re-laid-out at load time for the tiled GEMM (prompt processing) and GEMV.
//
// Rows are taken 16 at a time (a "row group"; the last group is padded with zero rows). For
// each row group the quantization blocks of its 16 rows sit side by side, values regrouped so
// that one 64-byte load holds 4 consecutive k of all 16 rows (byte r * 4 + kk = row r, k = 4j +
// kk): exactly the operand of one AVX-512 VNNI vpdpbusd against 4 broadcast activation bytes
// (AVX2 takes the same 64 bytes as two 32-byte halves, rows 0..7 and 8..15). Per 16-row block:
//
//   Q8_0 (32 k, 544 B): qs[8][16][4] int8 | d[16] f16
//   Q4_0 (32 k, 288 B): qs[4][16][4] nibbles: low = k 4i+kk, high = k 16+4i+kk | d[16] f16
//   Q4_K (256 k, 2368 B): 8 sub-blocks of 32 k laid out as Q4_0's qs (256 B each) |
//                         d[16] f16 | dmin[16] f16 | sc[8][16] u8 | m[8][16] u8
//   Q6_K (256 k, 3360 B): 8 chunks of 32 k, each ql[4][16][4] (Q4_0 nibble order, low 4 bits)
//                         then qh[2][16][4] (bits 2s..2s+1 of qh[h] = high 2 bits of k-group
//                         4h + s) | sc[16][16] int8 | d[16] f16
//
// Sizes equal the GGUF blocks except Q4_K (+2.8%, unpacked 6-bit scales), so a repacked copy
// that replaces the mapped pages (release_source_pages) keeps resident memory about the same.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/huge_page_buffer.h"
#include "kernels/kernels.h"

namespace hearth::kernels {

inline constexpr int kRepackRows = 16;   // rows interleaved in one row group
inline constexpr int kRepackTokens = 8;  // most tokens one kernel call handles

enum class RepackType { kQ8_0 = 0, kQ4_0 = 1, kQ4_K = 2, kQ6_K = 3 };
inline constexpr int kNumRepackTypes = 4;

struct RepackedMatrix {
  RepackType type = RepackType::kQ8_0;
  int64_t rows = 0;        // real rows (the last group may be padded)
  int64_t cols = 0;        // values per row
  int64_t n_groups = 0;    // ceil(rows / 16)
  int64_t blocks = 0;      // blocks per row (cols / block size)
  size_t block_bytes = 0;  // bytes of one 16-row block (see above)
  HugePageBuffer data;     // (n_groups, blocks, block_bytes), 2 MiB pages where possible
  const uint8_t* group(int64_t g) const { return data.data() + g * blocks * block_bytes; }
};

// Whether `ggml_type` has a repacked layout; its block size and 16-row block bytes.
bool repack_supported(uint32_t ggml_type);

// The repacked copy of `w`, or nullptr when its type or shape has no repacked layout.
std::shared_ptr<const RepackedMatrix> repack_matrix(const Matrix& w);

// False when the environment sets HEARTH_REPACK=0 (the model loader then keeps GGUF rows).
bool repack_enabled();

// Hands the page-aligned interior of [data, data + bytes) of a read-only file mapping back to
// the OS (MADV_DONTNEED): resident memory stops counting them; a later read re-faults them
// from the file. Only for file-backed private mappings (anonymous memory would be zeroed).
void release_source_pages(const void* data, size_t bytes);

// y (n_tokens, w.rows) = x (n_tokens, w.cols) * w^T over w.repacked (must be set).
void matmul_repacked(ThreadPool& pool, const Matrix& w, const float* x, int64_t n_tokens, float* y);

// Whether matmul_repacked_multi can take these matrices: 1..kMaxRepackedMats, all repacked,
// same cols and the same activation format (Q8_0 for Q8_0/Q4_0, Q8_K for the K-quants).
inline constexpr int kMaxRepackedMats = 4;
bool repacked_multi_compatible(int n_mats, const Matrix* const* ws);

// ys[i] (n_tokens, ws[i]->rows) = x (n_tokens, cols) * ws[i]^T: the activations quantized once
// for all matrices, their row groups handed out in one parallel region (q/k/v, gate/up).
// Requires repacked_multi_compatible(n_mats, ws).
void matmul_repacked_multi(ThreadPool& pool, int n_mats, const Matrix* const* ws, const float* x,
                           int64_t n_tokens, float* const* ys);

// One kernel call: out (n_tok, 16) = the 16 rows of one group (blocks 16-row blocks at wg)
// dotted with n_tok <= kRepackTokens activation rows (act + t * act_stride, in the activation
// format of the type: Q8_K blocks for the K-quants; for Q8_0 / Q4_0 the Q8_0 rows of
// kernels/qdot.h followed by the unsigned-weight corrections repack_q8_bias_bytes describes).
// Bytes appended to a Q8_0 activation row of `blocks` blocks for the repacked kernels: int32
// (-8 * bsum)[blocks] (Q4_0 nibbles are q + 8) then int32 (-128 * bsum)[blocks] (Q8_0 values
// are read biased by +128), so a kernel starts each block's sum from one broadcast load.
inline size_t repack_q8_bias_bytes(int64_t blocks) {
  return static_cast<size_t>(blocks) * 8;
}

using RepackGemmFn = void (*)(const uint8_t* wg, int64_t blocks, const uint8_t* act,
                              size_t act_stride, int n_tok, float* out);
struct RepackGemmTable {
  RepackGemmFn gemm[kNumRepackTypes] = {};
};
const RepackGemmTable& repack_gemm_table(Isa isa);
const RepackGemmTable& repack_gemm_table_scalar();
const RepackGemmTable& repack_gemm_table_avx2();
const RepackGemmTable& repack_gemm_table_avx512();

}  // namespace hearth::kernels
