// Scalar row dot products of the K-quants and IQ4_XS against Q8_K activations.
#include <cstring>

#include "core/fp16.h"
#include "kernels/ref/qdot_ref.h"
#include "quant/blocks.h"

namespace hearth::kernels::ref {
namespace {
using namespace hearth::quant;
}  // namespace

void q3_k_scales(const uint8_t* packed, int8_t out[16]) {
  // Bytes 0..7 hold the low 4 bits of scales 0..15 (scale j < 8 in the low nibble of byte j,
  // scale j >= 8 in the high nibble of byte j - 8); bytes 8..11 hold the high 2 bits.
  for (int j = 0; j < 16; ++j) {
    const int low = j < 8 ? (packed[j] & 0xF) : (packed[j - 8] >> 4);
    const int high = (packed[8 + (j % 4)] >> (2 * (j / 4))) & 3;
    out[j] = static_cast<int8_t>((low | (high << 4)) - 32);
  }
}

float dot_q2_k(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ2_K*>(w);  // (n / 256)
  const auto* b = static_cast<const BlockQ8_K*>(x);  // (n / 256)
  float sum = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int isum = 0, msum = 0;
    for (int g = 0; g < 16; ++g) {  // group g: 16 values, 2 bits at shift 2*((g/2)%4)
      const uint8_t* q = a[i].qs + 32 * (g / 8) + 16 * (g % 2);
      const int shift = 2 * ((g / 2) % 4);
      const int8_t* y = b[i].qs + 16 * g;
      int gsum = 0;
      for (int l = 0; l < 16; ++l) gsum += ((q[l] >> shift) & 3) * y[l];
      isum += (a[i].scales[g] & 0xF) * gsum;
      msum += (a[i].scales[g] >> 4) * b[i].bsums[g];
    }
    sum += b[i].d * (fp16_to_float(a[i].d) * static_cast<float>(isum) -
                     fp16_to_float(a[i].dmin) * static_cast<float>(msum));
  }
  return sum;
}

float dot_q3_k(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ3_K*>(w);  // (n / 256)
  const auto* b = static_cast<const BlockQ8_K*>(x);  // (n / 256)
  float sum = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int8_t sc[16];
    q3_k_scales(a[i].scales, sc);
    int isum = 0;
    for (int g = 0; g < 16; ++g) {  // same positions as Q2_K; hmask bit g/2 marks "no -4"
      const int off = 16 * (g % 2);
      const uint8_t* q = a[i].qs + 32 * (g / 8) + off;
      const int shift = 2 * ((g / 2) % 4);
      const uint8_t hbit = static_cast<uint8_t>(1u << (g / 2));
      const int8_t* y = b[i].qs + 16 * g;
      int gsum = 0;
      for (int l = 0; l < 16; ++l) {
        const int v = ((q[l] >> shift) & 3) - ((a[i].hmask[off + l] & hbit) ? 0 : 4);
        gsum += v * y[l];
      }
      isum += sc[g] * gsum;
    }
    sum += b[i].d * fp16_to_float(a[i].d) * static_cast<float>(isum);
  }
  return sum;
}

float dot_q4_k(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ4_K*>(w);  // (n / 256)
  const auto* b = static_cast<const BlockQ8_K*>(x);  // (n / 256)
  float sum = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int isum = 0, msum = 0;
    for (int j = 0; j < 8; ++j) {  // sub-block j: 32 values, nibble (j % 2) of bytes 32*(j/2)..
      uint8_t sc, m;
      k4_scale_min(j, a[i].scales, &sc, &m);
      const uint8_t* q = a[i].qs + 32 * (j / 2);
      const int8_t* y = b[i].qs + 32 * j;
      int s = 0;
      for (int l = 0; l < 32; ++l) s += ((q[l] >> (4 * (j % 2))) & 0xF) * y[l];
      isum += sc * s;
      msum += m * (b[i].bsums[2 * j] + b[i].bsums[2 * j + 1]);
    }
    sum += b[i].d * (fp16_to_float(a[i].d) * static_cast<float>(isum) -
                     fp16_to_float(a[i].dmin) * static_cast<float>(msum));
  }
  return sum;
}

float dot_q5_k(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ5_K*>(w);  // (n / 256)
  const auto* b = static_cast<const BlockQ8_K*>(x);  // (n / 256)
  float sum = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int isum = 0, msum = 0;
    for (int j = 0; j < 8; ++j) {  // as Q4_K, bit j of qh[l] is bit 4 of value l of sub-block j
      uint8_t sc, m;
      k4_scale_min(j, a[i].scales, &sc, &m);
      const uint8_t* q = a[i].qs + 32 * (j / 2);
      const int8_t* y = b[i].qs + 32 * j;
      int s = 0;
      for (int l = 0; l < 32; ++l) {
        const int v = ((q[l] >> (4 * (j % 2))) & 0xF) | (((a[i].qh[l] >> j) & 1) << 4);
        s += v * y[l];
      }
      isum += sc * s;
      msum += m * (b[i].bsums[2 * j] + b[i].bsums[2 * j + 1]);
    }
    sum += b[i].d * (fp16_to_float(a[i].d) * static_cast<float>(isum) -
                     fp16_to_float(a[i].dmin) * static_cast<float>(msum));
  }
  return sum;
}

float dot_q6_k(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ6_K*>(w);  // (n / 256)
  const auto* b = static_cast<const BlockQ8_K*>(x);  // (n / 256)
  float sum = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int isum = 0;
    for (int h = 0; h < 2; ++h) {  // halves of 128 values: ql 64 bytes, qh 32 bytes each
      const uint8_t* ql = a[i].ql + 64 * h;
      const uint8_t* qh = a[i].qh + 32 * h;
      const int8_t* sc = a[i].scales + 8 * h;
      const int8_t* y = b[i].qs + 128 * h;
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        isum += sc[is] * q1 * y[l] + sc[is + 2] * q2 * y[l + 32] + sc[is + 4] * q3 * y[l + 64] +
                sc[is + 6] * q4 * y[l + 96];
      }
    }
    sum += b[i].d * fp16_to_float(a[i].d) * static_cast<float>(isum);
  }
  return sum;
}

float dot_iq4_xs(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockIQ4_XS*>(w);  // (n / 256)
  const auto* b = static_cast<const BlockQ8_K*>(x);    // (n / 256)
  float sum = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int isum = 0;
    for (int ib = 0; ib < 8; ++ib) {  // sub-block ib: 32 values from 16 bytes
      const int ls = ((a[i].scales_l[ib / 2] >> (4 * (ib % 2))) & 0xF) |
                     (((a[i].scales_h >> (2 * ib)) & 3) << 4);
      const uint8_t* q = a[i].qs + 16 * ib;
      const int8_t* y = b[i].qs + 32 * ib;
      int s = 0;
      for (int j = 0; j < 16; ++j) {
        s += kIQ4NLValues[q[j] & 0xF] * y[j] + kIQ4NLValues[q[j] >> 4] * y[j + 16];
      }
      isum += (ls - 32) * s;
    }
    sum += b[i].d * fp16_to_float(a[i].d) * static_cast<float>(isum);
  }
  return sum;
}

}  // namespace hearth::kernels::ref
