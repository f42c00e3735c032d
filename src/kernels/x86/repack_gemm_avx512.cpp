// Tiled GEMM over repacked weights, AVX-512 path: 16 rows per zmm register, AVX512-VNNI
// vpdpbusd for the int8 dot products, vpdpwssd for the scale x block-sum corrections.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/repack.h"
#include "quant/blocks.h"

// GCC 12 reports the masked intrinsics' _mm512_undefined_*() source operands as "maybe
// uninitialized" once they are inlined here; the values are never read.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace hearth::kernels {
namespace {

struct V {
  using I = __m512i;
  using F = __m512;
  static constexpr int kLanes = 16;
  static I load(const void* p) { return _mm512_loadu_si512(p); }
  static I bcast(const void* p) {
    int32_t v;
    std::memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
  }
  static I set1_8(char v) { return _mm512_set1_epi8(v); }
  static I set1_32(int v) { return _mm512_set1_epi32(v); }
  static I and_(I a, I b) { return _mm512_and_si512(a, b); }
  static I or_(I a, I b) { return _mm512_or_si512(a, b); }
  static I xor_(I a, I b) { return _mm512_xor_si512(a, b); }
  static I srli16(I a, int n) { return _mm512_srli_epi16(a, n); }
  static I slli16(I a, int n) { return _mm512_slli_epi16(a, n); }
  static I slli32(I a, int n) { return _mm512_slli_epi32(a, n); }
  static I add32(I a, I b) { return _mm512_add_epi32(a, b); }
  static I sub32(I a, I b) { return _mm512_sub_epi32(a, b); }
  static I mullo(I a, I b) { return _mm512_mullo_epi32(a, b); }
  template <bool kWide>
  static I dot4(I acc, I u, I x) {
    return _mm512_dpbusd_epi32(acc, u, x);
  }
  // GCC 12 does not fold a broadcast load into vpdpbusd's {1to16} memory operand (clang does),
  // so the instruction is written out: 8 of the ~21 vector uops per token and block otherwise.
  template <bool kWide>
  static I dot4m(I acc, I u, const void* p) {
    __asm__("vpdpbusd %2%{1to16%}, %1, %0"
            : "+v"(acc)
            : "v"(u), "m"(*static_cast<const char(*)[4]>(p)));  // 4 bytes, any alignment
    return acc;
  }
  static I madd16(I acc, I a, I b) { return _mm512_dpwssd_epi32(acc, a, b); }
  static I u8(const uint8_t* p) {
    return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static I i8(const uint8_t* p) {
    return _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static F f16(const uint8_t* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static F zero_ps() { return _mm512_setzero_ps(); }
  static F set1_ps(float v) { return _mm512_set1_ps(v); }
  static F cvt(I a) { return _mm512_cvtepi32_ps(a); }
  static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
  static F fmadd(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
  static F sub(F a, F b) { return _mm512_sub_ps(a, b); }
  static F loadf(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, F v) { _mm512_storeu_ps(p, v); }
};

// clang-format off
#include "kernels/x86/repack_gemm_x86.inc"
// clang-format on

}  // namespace

const RepackGemmTable& repack_gemm_table_avx512() {
  static const RepackGemmTable table = make_repack_table();
  return table;
}

}  // namespace hearth::kernels
