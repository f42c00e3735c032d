// Tiled GEMM over repacked weights: the driver (activations quantized once, work split by row
// groups, tokens in tiles of kRepackTokens) and the scalar reference kernels, which read the
// layout of kernels/repack.h value by value and define the result the x86 kernels must match.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <vector>

#include "core/fp16.h"
#include "kernels/qdot.h"
#include "kernels/repack.h"
#include "quant/blocks.h"

namespace hearth::kernels {
namespace {

using quant::BlockQ8_0;
using quant::BlockQ8_K;

float f16_at(const uint8_t* p, int r) {
  uint16_t h;
  std::memcpy(&h, p + 2 * r, 2);
  return fp16_to_float(h);
}

// Value k (0..31) of row r from 256 bytes of Q4_0-order nibbles.
int nibble_at(const uint8_t* qs, int r, int k) {
  const int g = k / 4;
  const uint8_t b = qs[(g % 4) * 64 + r * 4 + (k & 3)];
  return g < 4 ? (b & 0x0F) : (b >> 4);
}

// Q8_0 activation row of `blocks` blocks: quantized values, f32 scales, int16 block sums.
struct ActQ8_0 {
  const uint8_t* row;
  int64_t blocks;
  const int8_t* qs(int64_t b) const { return reinterpret_cast<const BlockQ8_0*>(row)[b].qs; }
  float d(int64_t b) const {
    float v;
    std::memcpy(&v, row + blocks * sizeof(BlockQ8_0) + 4 * b, 4);
    return v;
  }
  int bsum(int64_t b) const {
    int16_t v;
    std::memcpy(&v, row + blocks * (sizeof(BlockQ8_0) + 4) + 2 * b, 2);
    return v;
  }
};

// Q8_0 and Q4_0: per block, sum of q * x in int32, minus the offset (128 for Q8_0's biased
// form is implicit here since q is read signed; 8 for Q4_0) times the block sum.
template <bool kQ4>
void gemm_q32_ref(const uint8_t* wg, int64_t blocks, const uint8_t* act, size_t stride, int n_tok,
                  float* out) {
  const size_t bb = kQ4 ? 288 : 544;
  for (int t = 0; t < n_tok; ++t) {
    const ActQ8_0 a{act + t * stride, blocks};
    for (int r = 0; r < kRepackRows; ++r) {
      float acc = 0;
      for (int64_t b = 0; b < blocks; ++b) {
        const uint8_t* blk = wg + b * bb;
        const int8_t* x = a.qs(b);
        int32_t s = 0;
        for (int k = 0; k < 32; ++k) {
          const int q =
              kQ4 ? nibble_at(blk, r, k) : static_cast<int8_t>(blk[(k / 4) * 64 + r * 4 + (k & 3)]);
          s += q * x[k];
        }
        if (kQ4) s -= 8 * a.bsum(b);
        acc += static_cast<float>(s) * (f16_at(blk + (kQ4 ? 256 : 512), r) * a.d(b));
      }
      out[t * kRepackRows + r] = acc;
    }
  }
}

void gemm_q4_k_ref(const uint8_t* wg, int64_t blocks, const uint8_t* act, size_t stride, int n_tok,
                   float* out) {
  for (int t = 0; t < n_tok; ++t) {
    const auto* a = reinterpret_cast<const BlockQ8_K*>(act + t * stride);
    for (int r = 0; r < kRepackRows; ++r) {
      // scale part and min part summed apart, each folded into its f32 sum once per pair of
      // sub-blocks (64 values), subtracted at the end: the rounding order of ggml's repacked
      // Q4_K GEMM; std::fma as the x86 kernels' vfmadd, so every path gives llama.cpp's bits
      float acc = 0, acc_min = 0;
      for (int64_t b = 0; b < blocks; ++b) {
        const uint8_t* blk = wg + b * 2368;
        const float dd = f16_at(blk + 2048, r) * a[b].d, dmd = f16_at(blk + 2080, r) * a[b].d;
        for (int pair = 0; pair < 4; ++pair) {
          int32_t isum = 0, msum = 0;
          for (int j = 2 * pair; j < 2 * pair + 2; ++j) {
            int32_t s = 0;
            for (int k = 0; k < 32; ++k) s += nibble_at(blk + 256 * j, r, k) * a[b].qs[32 * j + k];
            isum += s * blk[2112 + 16 * j + r];
            msum += blk[2240 + 16 * j + r] * (a[b].bsums[2 * j] + a[b].bsums[2 * j + 1]);
          }
          acc = std::fma(static_cast<float>(isum), dd, acc);
          acc_min = std::fma(static_cast<float>(msum), dmd, acc_min);
        }
      }
      out[t * kRepackRows + r] = acc - acc_min;
    }
  }
}

void gemm_q6_k_ref(const uint8_t* wg, int64_t blocks, const uint8_t* act, size_t stride, int n_tok,
                   float* out) {
  for (int t = 0; t < n_tok; ++t) {
    const auto* a = reinterpret_cast<const BlockQ8_K*>(act + t * stride);
    for (int r = 0; r < kRepackRows; ++r) {
      float acc = 0;
      for (int64_t b = 0; b < blocks; ++b) {
        const uint8_t* blk = wg + b * 3360;
        int32_t isum = 0;
        for (int s = 0; s < 16; ++s) {
          const uint8_t* chunk = blk + 384 * (s / 2);
          int32_t sum = 0;
          for (int kk = 0; kk < 16; ++kk) {
            const int k = 16 * (s % 2) + kk, g = k / 4;
            const int hi = (chunk[256 + (g / 4) * 64 + r * 4 + (k & 3)] >> (2 * (g % 4))) & 3;
            sum += (nibble_at(chunk, r, k) | (hi << 4)) * a[b].qs[16 * s + kk];
          }
          isum += static_cast<int8_t>(blk[3072 + 16 * s + r]) * (sum - 32 * a[b].bsums[s]);
        }
        acc += static_cast<float>(isum) * (f16_at(blk + 3328, r) * a[b].d);
      }
      out[t * kRepackRows + r] = acc;
    }
  }
}

RepackGemmTable make_scalar_table() {
  RepackGemmTable t;
  t.gemm[static_cast<int>(RepackType::kQ8_0)] = gemm_q32_ref<false>;
  t.gemm[static_cast<int>(RepackType::kQ4_0)] = gemm_q32_ref<true>;
  t.gemm[static_cast<int>(RepackType::kQ4_K)] = gemm_q4_k_ref;
  t.gemm[static_cast<int>(RepackType::kQ6_K)] = gemm_q6_k_ref;
  return t;
}

// Activations quantized once: (n_tokens, act_row_bytes), in a buffer reused across calls.
const uint8_t* quantize_activations(ThreadPool& pool, ActType act, const float* x, int64_t n_tokens,
                                    int64_t cols, size_t row_bytes) {
  thread_local std::vector<uint8_t> storage;  // (n_tokens, row_bytes)
  if (storage.size() < row_bytes * n_tokens) storage.resize(row_bytes * n_tokens);
  uint8_t* out = storage.data();
  const QuantizeActFn quantize = qdot_table(active_isa()).quantize[static_cast<int>(act)];
  if (n_tokens == 1) {
    quantize(x, out, cols);
    return out;
  }
  std::atomic<int64_t> next{0};  // tokens handed out one at a time
  pool.run_opportunistic("gemm_quantize_act", [&](int) {
    for (int64_t t = next.fetch_add(1); t < n_tokens; t = next.fetch_add(1))
      quantize(x + t * cols, out + t * row_bytes, cols);
  });
  return out;
}

}  // namespace

const RepackGemmTable& repack_gemm_table_scalar() {
  static const RepackGemmTable table = make_scalar_table();
  return table;
}

const RepackGemmTable& repack_gemm_table(Isa isa) {
  switch (isa) {
    case Isa::kAvx512:
      return repack_gemm_table_avx512();
    case Isa::kAvx2:
      return repack_gemm_table_avx2();
    case Isa::kScalar:
      break;
  }
  return repack_gemm_table_scalar();
}

namespace {

ActType repacked_act_type(const RepackedMatrix& m) {
  const bool k_quant = m.type == RepackType::kQ4_K || m.type == RepackType::kQ6_K;
  return k_quant ? ActType::kQ8_K : ActType::kQ8_0;
}

}  // namespace

void matmul_repacked(ThreadPool& pool, const Matrix& w, const float* x, int64_t n_tokens,
                     float* y) {
  const Matrix* ws[1] = {&w};
  matmul_repacked_multi(pool, 1, ws, x, n_tokens, &y);
}

bool repacked_multi_compatible(int n_mats, const Matrix* const* ws) {
  if (n_mats <= 0 || n_mats > kMaxRepackedMats) return false;
  for (int i = 0; i < n_mats; ++i) {
    if (ws[i]->repacked == nullptr || ws[i]->cols != ws[0]->cols ||
        repacked_act_type(*ws[i]->repacked) != repacked_act_type(*ws[0]->repacked))
      return false;
  }
  return true;
}

void matmul_repacked_multi(ThreadPool& pool, int n_mats, const Matrix* const* ws, const float* x,
                           int64_t n_tokens, float* const* ys) {
  const ActType act = repacked_act_type(*ws[0]->repacked);
  const int64_t cols = ws[0]->cols;
  const size_t act_bytes = act_row_bytes(act, cols);
  const uint8_t* xa = quantize_activations(pool, act, x, n_tokens, cols, act_bytes);
  const RepackGemmTable& table = repack_gemm_table(active_isa());
  // work items: runs of row groups of one matrix, numbered across all matrices (one parallel
  // region for q/k/v or gate/up); small enough to balance, large enough that the weights of
  // one item (re-read once per token tile) stay in L2
  int64_t total_groups = 0;
  for (int i = 0; i < n_mats; ++i) total_groups += ws[i]->repacked->n_groups;
  const int64_t per_item = std::clamp<int64_t>(total_groups / (8 * pool.n_threads()), 1, 4);
  int64_t first_item[kMaxRepackedMats + 1] = {0};  // (n_mats + 1) first item of each matrix
  for (int i = 0; i < n_mats; ++i)
    first_item[i + 1] = first_item[i] + (ws[i]->repacked->n_groups + per_item - 1) / per_item;
  const int64_t n_items = first_item[n_mats];
  std::atomic<int64_t> next{0};
  auto work = [&](int) {
    float out[kRepackTokens * kRepackRows];  // (tile tokens, 16 rows)
    for (int64_t item = next.fetch_add(1, std::memory_order_relaxed); item < n_items;
         item = next.fetch_add(1, std::memory_order_relaxed)) {
      int i = 0;
      while (item >= first_item[i + 1]) ++i;
      const RepackedMatrix& m = *ws[i]->repacked;
      const RepackGemmFn fn = table.gemm[static_cast<int>(m.type)];
      float* y = ys[i];
      const int64_t rows = m.rows;
      const int64_t g0 = (item - first_item[i]) * per_item,
                    g1 = std::min(m.n_groups, g0 + per_item);
      for (int64_t t0 = 0; t0 < n_tokens; t0 += kRepackTokens) {
        const int n_tok = static_cast<int>(std::min<int64_t>(kRepackTokens, n_tokens - t0));
        for (int64_t g = g0; g < g1; ++g) {
          fn(m.group(g), m.blocks, xa + t0 * act_bytes, act_bytes, n_tok, out);
          const int64_t r0 = g * kRepackRows;
          const int64_t nr = std::min<int64_t>(kRepackRows, rows - r0);
          for (int t = 0; t < n_tok; ++t)
            std::memcpy(y + (t0 + t) * rows + r0, out + t * kRepackRows, nr * sizeof(float));
        }
      }
    }
  };
  if (n_items == 1 || pool.n_threads() == 1) {
    work(0);
  } else {
    pool.run_opportunistic("matmul_repacked", work);
  }
}

}  // namespace hearth::kernels
