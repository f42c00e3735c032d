// Tiled GEMM over repacked weights, AVX2 path: 8 rows per ymm register (a 16-row group in two
// halves), maddubs + madd for the int8 dot products (exact widening for Q8_0's 0..255 values).
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/repack.h"
#include "quant/blocks.h"

namespace hearth::kernels {
namespace {

struct V {
  using I = __m256i;
  using F = __m256;
  static constexpr int kLanes = 8;
  static I load(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
  static I bcast(const void* p) {
    int32_t v;
    std::memcpy(&v, p, 4);
    return _mm256_set1_epi32(v);
  }
  static I set1_8(char v) { return _mm256_set1_epi8(v); }
  static I set1_32(int v) { return _mm256_set1_epi32(v); }
  static I and_(I a, I b) { return _mm256_and_si256(a, b); }
  static I or_(I a, I b) { return _mm256_or_si256(a, b); }
  static I xor_(I a, I b) { return _mm256_xor_si256(a, b); }
  static I srli16(I a, int n) { return _mm256_srli_epi16(a, n); }
  static I slli16(I a, int n) { return _mm256_slli_epi16(a, n); }
  static I slli32(I a, int n) { return _mm256_slli_epi32(a, n); }
  static I add32(I a, I b) { return _mm256_add_epi32(a, b); }
  static I sub32(I a, I b) { return _mm256_sub_epi32(a, b); }
  static I mullo(I a, I b) { return _mm256_mullo_epi32(a, b); }
  // acc + per-lane sum of 4 u8 x s8 products. kWide: u up to 255 (maddubs could saturate), so
  // even and odd bytes are widened to int16 separately; otherwise u <= 63 and maddubs is exact.
  template <bool kWide>
  static I dot4(I acc, I u, I x) {
    if constexpr (kWide) {
      const I u_even = _mm256_and_si256(u, _mm256_set1_epi16(0x00FF));
      const I u_odd = _mm256_srli_epi16(u, 8);
      const I x_even = _mm256_srai_epi16(_mm256_slli_epi16(x, 8), 8);
      const I x_odd = _mm256_srai_epi16(x, 8);
      return _mm256_add_epi32(acc, _mm256_add_epi32(_mm256_madd_epi16(u_even, x_even),
                                                    _mm256_madd_epi16(u_odd, x_odd)));
    } else {
      return _mm256_add_epi32(acc,
                              _mm256_madd_epi16(_mm256_maddubs_epi16(u, x), _mm256_set1_epi16(1)));
    }
  }
  template <bool kWide>
  static I dot4m(I acc, I u, const void* p) {
    return dot4<kWide>(acc, u, bcast(p));
  }
  static I madd16(I acc, I a, I b) { return _mm256_add_epi32(acc, _mm256_madd_epi16(a, b)); }
  static I u8(const uint8_t* p) {
    return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
  }
  static I i8(const uint8_t* p) {
    return _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
  }
  static F f16(const uint8_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static F zero_ps() { return _mm256_setzero_ps(); }
  static F set1_ps(float v) { return _mm256_set1_ps(v); }
  static F cvt(I a) { return _mm256_cvtepi32_ps(a); }
  static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
  static F fmadd(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }
  static F sub(F a, F b) { return _mm256_sub_ps(a, b); }
  static F loadf(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, F v) { _mm256_storeu_ps(p, v); }
};

// clang-format off
#include "kernels/x86/repack_gemm_x86.inc"
// clang-format on

}  // namespace

const RepackGemmTable& repack_gemm_table_avx2() {
  static const RepackGemmTable table = make_repack_table();
  return table;
}

}  // namespace hearth::kernels
