// Grouped-query attention, AVX2 + F16C + FMA. Keeps the rounding points of the scalar reference
// (kernels/ref/attention_ref.cpp, ggml's CPU flash attention): f16-rounded query, online softmax
// in position order, the running value sum rounded to f16 after every rescale and every
// accumulation. Differences: the order of the additions inside the K dot products, and a
// vectorized exp (exp_nonpos, within 1 ulp of std::exp) instead of std::exp per position.
//
// Positions are processed in tiles of kTile: the tile's K and V rows are converted to f32 once
// for all query heads of the group, the scores of the tile are computed (they do not depend on
// the running state), then the softmax state walks the tile in order and the value sum of each
// head is updated with its accumulator held in registers.
#include <immintrin.h>

#include <cmath>
#include <limits>
#include <vector>

#include "kernels/ref/attention_ref.h"
#include "kernels/x86/attention_x86.h"

namespace hearth::kernels::avx2 {
namespace {

constexpr int64_t kTile = 32;  // positions per tile

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// x rounded to f16 and back (round to nearest even), as ggml stores its f16 accumulator.
inline __m256 round_f16(__m256 x) {
  return _mm256_cvtph_ps(_mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT));
}

// n f16 values -> f32 (n a multiple of 8)
inline void f16_to_f32(const fp16_t* src, int64_t n, float* dst) {
  for (int64_t d = 0; d < n; d += 8) {
    _mm256_storeu_ps(dst + d,
                     _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + d))));
  }
}

// Scores of query q (dk) against 8 consecutive K rows k (8, dk): 8 lanes, one per row.
inline __m256 dot8(const float* q, const float* k, int64_t dk) {
  __m256 acc[8];
#pragma GCC unroll 8
  for (int r = 0; r < 8; ++r) acc[r] = _mm256_setzero_ps();
  for (int64_t d = 0; d < dk; d += 8) {
    const __m256 qv = _mm256_loadu_ps(q + d);
#pragma GCC unroll 8
    for (int r = 0; r < 8; ++r)
      acc[r] = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k + r * dk + d), acc[r]);
  }
  // transpose-reduce: lane r = horizontal sum of acc[r]
  const __m256 t0 = _mm256_hadd_ps(acc[0], acc[1]), t1 = _mm256_hadd_ps(acc[2], acc[3]);
  const __m256 t2 = _mm256_hadd_ps(acc[4], acc[5]), t3 = _mm256_hadd_ps(acc[6], acc[7]);
  const __m256 u0 = _mm256_hadd_ps(t0, t1), u1 = _mm256_hadd_ps(t2, t3);
  return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
}

inline float dot1(const float* q, const float* k, int64_t dk) {
  __m256 acc = _mm256_setzero_ps();
  for (int64_t d = 0; d < dk; d += 8)
    acc = _mm256_fmadd_ps(_mm256_loadu_ps(q + d), _mm256_loadu_ps(k + d), acc);
  return hsum(acc);
}

// One head's value sum over the tile for dims [d0, d0 + 8 * NV): acc (f16-representable
// floats) stays in registers; rescale[j] != 1 marks a new maximum at position j.
template <int NV>
inline void accumulate_values(const float* vt, int64_t dv, int64_t nt, const float* rescale,
                              const float* weight, float* acc) {
  __m256 r[NV];
#pragma GCC unroll 8
  for (int i = 0; i < NV; ++i) r[i] = _mm256_loadu_ps(acc + 8 * i);
  for (int64_t j = 0; j < nt; ++j) {
    if (rescale[j] != 1.0f) {
      const __m256 s = _mm256_set1_ps(rescale[j]);
#pragma GCC unroll 8
      for (int i = 0; i < NV; ++i) r[i] = round_f16(_mm256_mul_ps(r[i], s));
    }
    const __m256 w = _mm256_set1_ps(weight[j]);
    const float* v = vt + j * dv;
#pragma GCC unroll 8
    for (int i = 0; i < NV; ++i)
      r[i] = round_f16(_mm256_fmadd_ps(_mm256_loadu_ps(v + 8 * i), w, r[i]));
  }
#pragma GCC unroll 8
  for (int i = 0; i < NV; ++i) _mm256_storeu_ps(acc + 8 * i, r[i]);
}

struct Scratch {
  std::vector<float> buf;
  float *q16, *acc, *kt, *vt, *scores, *rescale, *weight, *max, *sum;
  void reserve(int64_t n_q, int64_t dk, int64_t dv) {
    const size_t need = n_q * dk + n_q * dv + kTile * (dk + dv) + 3 * n_q * kTile + 2 * n_q;
    if (buf.size() < need) buf.resize(need);
    q16 = buf.data();                // (n_q, dk) queries rounded through f16
    acc = q16 + n_q * dk;            // (n_q, dv) running value sums, f16-representable
    kt = acc + n_q * dv;             // (kTile, dk) K rows of the tile as f32
    vt = kt + kTile * dk;            // (kTile, dv) V rows of the tile as f32
    scores = vt + kTile * dv;        // (n_q, kTile) scores of the tile
    rescale = scores + n_q * kTile;  // (n_q, kTile) factor on the sum before position j (1: none)
    weight = rescale + n_q * kTile;  // (n_q, kTile) weight of position j's value
    max = weight + n_q * kTile;      // (n_q) running maximum score
    sum = max + n_q;                 // (n_q) running softmax denominator
  }
};

// Scores of every head over the tile (they do not depend on the running state).
void tile_scores(const Scratch& s, int64_t n_q, int64_t dk, int64_t nt) {
  for (int64_t h = 0; h < n_q; ++h) {
    const float* q = s.q16 + h * dk;
    float* scores = s.scores + h * kTile;
    int64_t j = 0;
    for (; j + 8 <= nt; j += 8) _mm256_storeu_ps(scores + j, dot8(q, s.kt + j * dk, dk));
    for (; j < nt; ++j) scores[j] = dot1(q, s.kt + j * dk, dk);
  }
}

// exp(x) for 8 floats, x <= 0 (the softmax arguments; -inf gives 0): x = n ln2 + r with
// |r| <= ln2 / 2, a degree-7 polynomial for e^r, times 2^n. Within 1 ulp of std::exp for
// x >= -87 (below that e^x < 1.7e-38 and 0 is returned: the f16 accumulator and the f32 sum
// cannot see the difference).
inline __m256 exp_nonpos(__m256 x) {
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);  // ln2 split in two parts
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  // 2^n for n in [-126, 0]: exponent bits (n + 127) << 23
  const __m256i e = _mm256_slli_epi32(
      _mm256_add_epi32(_mm256_cvtps_epi32(_mm256_max_ps(n, _mm256_set1_ps(-126.0f))),
                       _mm256_set1_epi32(127)),
      23);
  const __m256 y = _mm256_mul_ps(p, _mm256_castsi256_ps(e));
  return _mm256_and_ps(y, _mm256_cmp_ps(x, _mm256_set1_ps(-87.0f), _CMP_GE_OQ));
}

// The online-softmax walk in position order, per head as the reference: the running maximum
// is a prefix scan (compares only), which fixes every exp argument in advance; the exps of the
// tile are then taken 8 at a time and the denominator is summed in position order.
void softmax_walk(float scale, int64_t n_q, int64_t nt, const Scratch& s) {
  alignas(32) float arg[kTile];       // (nt) exp argument of each position
  alignas(32) float ex[kTile];        // (nt) its exp
  alignas(32) uint8_t is_new[kTile];  // (nt) 1 where the position sets a new maximum
  for (int64_t h = 0; h < n_q; ++h) {
    const float* scores = s.scores + h * kTile;
    float m = s.max[h];
    for (int64_t j = 0; j < nt; ++j) {
      const float sc = scale * scores[j];
      is_new[j] = sc > m;
      arg[j] = is_new[j] ? m - sc : sc - m;
      if (is_new[j]) m = sc;
    }
    s.max[h] = m;
    for (int64_t j = nt; j < (nt + 7) / 8 * 8; ++j) arg[j] = 0.0f;
    for (int64_t j = 0; j < nt; j += 8)
      _mm256_store_ps(ex + j, exp_nonpos(_mm256_load_ps(arg + j)));
    float* rescale = s.rescale + h * kTile;
    float* weight = s.weight + h * kTile;
    float sum = s.sum[h];
    for (int64_t j = 0; j < nt; ++j) {
      // a rescale by exactly 1 leaves f16 values unchanged, so "1" can stand for "none"
      rescale[j] = is_new[j] ? ex[j] : 1.0f;
      weight[j] = is_new[j] ? 1.0f : ex[j];
      sum = sum * rescale[j] + weight[j];
    }
    s.sum[h] = sum;
  }
}

}  // namespace

void attention_group(const AttentionHeadArgs& a, int64_t n_q, size_t q_stride, float* out,
                     size_t out_stride) {
  const int64_t dk = a.head_dim_k, dv = a.head_dim_v;
  thread_local Scratch s;
  s.reserve(n_q, dk, dv);
  for (int64_t h = 0; h < n_q; ++h) {
    const float* q = a.q + h * q_stride;
    for (int64_t d = 0; d < dk; d += 8)
      _mm256_storeu_ps(s.q16 + h * dk + d, round_f16(_mm256_loadu_ps(q + d)));
    for (int64_t d = 0; d < dv; ++d) s.acc[h * dv + d] = 0.0f;
    s.max[h] = -std::numeric_limits<float>::infinity();
    s.sum[h] = 0.0f;
  }
  for (int64_t j0 = 0; j0 < a.n_kv; j0 += kTile) {
    const int64_t nt = std::min(kTile, a.n_kv - j0);
    for (int64_t j = 0; j < nt; ++j) {
      const int64_t slot = ref::attention_slot(a, j0 + j);
      f16_to_f32(a.k + slot * a.k_stride, dk, s.kt + j * dk);
      f16_to_f32(a.v + slot * a.v_stride, dv, s.vt + j * dv);
    }
    tile_scores(s, n_q, dk, nt);
    softmax_walk(a.scale, n_q, nt, s);
    for (int64_t h = 0; h < n_q; ++h) {
      const float* rescale = s.rescale + h * kTile;  // (nt)
      const float* weight = s.weight + h * kTile;    // (nt)
      float* acc = s.acc + h * dv;
      int64_t d = 0;
      for (; d + 64 <= dv; d += 64)
        accumulate_values<8>(s.vt + d, dv, nt, rescale, weight, acc + d);
      for (; d < dv; d += 8) accumulate_values<1>(s.vt + d, dv, nt, rescale, weight, acc + d);
    }
  }
  for (int64_t h = 0; h < n_q; ++h) {
    const float inv = s.sum[h] == 0.0f ? 0.0f : 1.0f / s.sum[h];
    const __m256 iv = _mm256_set1_ps(inv);
    for (int64_t d = 0; d < dv; d += 8) {
      _mm256_storeu_ps(out + h * out_stride + d,
                       _mm256_mul_ps(_mm256_loadu_ps(s.acc + h * dv + d), iv));
    }
  }
}

}  // namespace hearth::kernels::avx2
