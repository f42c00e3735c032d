// Block formats exactly as GGUF / ggml store them (byte-compatible with llama.cpp files).
// A row of n values of a quantized type is n / block_size consecutive blocks.
#pragma once

#include <cstdint>

#include "core/fp16.h"

namespace hearth::quant {

inline constexpr int kQK4_0 = 32;
inline constexpr int kQK4_1 = 32;
inline constexpr int kQK5_0 = 32;
inline constexpr int kQK5_1 = 32;
inline constexpr int kQK8_0 = 32;
inline constexpr int kQK8_1 = 32;
inline constexpr int kQK_K = 256;  // super-block size of the K-quants
inline constexpr int kK_SCALE_SIZE = 12;
inline constexpr int kQK4_NL = 32;

// x = d * (q - 8), q in 0..15; qs[j] holds q[j] (low nibble) and q[j + 16] (high nibble).
struct BlockQ4_0 {
  fp16_t d;
  uint8_t qs[kQK4_0 / 2];
};
// x = d * q + m
struct BlockQ4_1 {
  fp16_t d;
  fp16_t m;
  uint8_t qs[kQK4_1 / 2];
};
// x = d * (q - 16), 5-bit q: low 4 bits in qs (as Q4_0), bit 4 of q[j] in bit j of qh (u32 LE).
struct BlockQ5_0 {
  fp16_t d;
  uint8_t qh[4];
  uint8_t qs[kQK5_0 / 2];
};
struct BlockQ5_1 {
  fp16_t d;
  fp16_t m;
  uint8_t qh[4];
  uint8_t qs[kQK5_1 / 2];
};
// x = d * q
struct BlockQ8_0 {
  fp16_t d;
  int8_t qs[kQK8_0];
};
// s = d * sum(qs) (used as the activation type of Q4_1 / Q5_1 dot products)
struct BlockQ8_1 {
  fp16_t d;
  fp16_t s;
  int8_t qs[kQK8_1];
};

// 2-bit: 16 groups of 16; scales[i] low nibble = scale, high nibble = min (4 bits each).
struct BlockQ2_K {
  uint8_t scales[kQK_K / 16];
  uint8_t qs[kQK_K / 4];
  fp16_t d;
  fp16_t dmin;
};
// 3-bit: low 2 bits in qs, high bit in hmask; 16 six-bit scales packed in 12 bytes.
struct BlockQ3_K {
  uint8_t hmask[kQK_K / 8];
  uint8_t qs[kQK_K / 4];
  uint8_t scales[12];
  fp16_t d;
};
// 4-bit: 8 groups of 32 with 6-bit scales and mins packed in 12 bytes.
struct BlockQ4_K {
  fp16_t d;
  fp16_t dmin;
  uint8_t scales[kK_SCALE_SIZE];
  uint8_t qs[kQK_K / 2];
};
struct BlockQ5_K {
  fp16_t d;
  fp16_t dmin;
  uint8_t scales[kK_SCALE_SIZE];
  uint8_t qh[kQK_K / 8];
  uint8_t qs[kQK_K / 2];
};
// 6-bit: low 4 bits in ql, high 2 bits in qh; 16 int8 scales.
struct BlockQ6_K {
  uint8_t ql[kQK_K / 2];
  uint8_t qh[kQK_K / 4];
  int8_t scales[kQK_K / 16];
  fp16_t d;
};
// Activation type for K-quant dot products: float scale, 256 int8, sums of each 16 values.
struct BlockQ8_K {
  float d;
  int8_t qs[kQK_K];
  int16_t bsums[kQK_K / 16];
};
// Non-linear 4-bit: x = d * kIQ4NLValues[q].
struct BlockIQ4_NL {
  fp16_t d;
  uint8_t qs[kQK4_NL / 2];
};
// IQ4_NL values in super-blocks of 256 with 6-bit sub-block scales (low 4 in scales_l, high 2 in
// scales_h), scale of sub-block ib = d * (ls - 32).
struct BlockIQ4_XS {
  fp16_t d;
  uint16_t scales_h;
  uint8_t scales_l[kQK_K / 64];
  uint8_t qs[kQK_K / 2];
};

inline constexpr int8_t kIQ4NLValues[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                            1,    13,   25,  38,  53,  69,  89,  113};

static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ8_1) == 36);
static_assert(sizeof(BlockQ2_K) == 84);
static_assert(sizeof(BlockQ3_K) == 110);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockQ8_K) == 292);
static_assert(sizeof(BlockIQ4_NL) == 18);
static_assert(sizeof(BlockIQ4_XS) == 136);

}  // namespace hearth::quant
