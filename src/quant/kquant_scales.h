// Packing of the K-quants' sub-block scales (internal to src/quant).
#pragma once

#include <cstdint>

namespace hearth::quant::detail {

// Q4_K / Q5_K: 8 six-bit scales and 8 six-bit mins in 12 bytes. Sub-blocks 0..3 keep scale and min
// in the low 6 bits of bytes j and j+4; sub-blocks 4..7 keep their low 4 bits in byte j+4 (scale in
// the low nibble, min in the high one) and their top 2 bits in the top bits of bytes j-4 and j.
inline void get_scale_min_k4(int j, const uint8_t* packed, uint8_t* scale, uint8_t* min) {
  if (j < 4) {
    *scale = packed[j] & 63;
    *min = packed[j + 4] & 63;
  } else {
    *scale = static_cast<uint8_t>((packed[j + 4] & 0xF) | ((packed[j - 4] >> 6) << 4));
    *min = static_cast<uint8_t>((packed[j + 4] >> 4) | ((packed[j] >> 6) << 4));
  }
}
// Inverse of get_scale_min_k4 for all 8 sub-blocks at once (scale, min in 0..63).
inline void pack_scale_min_k4(const uint8_t* scales, const uint8_t* mins, uint8_t* packed) {
  for (int j = 0; j < 8; ++j) {
    const uint8_t ls = scales[j], lm = mins[j];
    if (j < 4) {
      packed[j] = ls;
      packed[j + 4] = lm;
    } else {
      packed[j + 4] = static_cast<uint8_t>((ls & 0xF) | ((lm & 0xF) << 4));
      packed[j - 4] |= static_cast<uint8_t>((ls >> 4) << 6);
      packed[j] |= static_cast<uint8_t>((lm >> 4) << 6);
    }
  }
}

// Q3_K: 16 six-bit scales (stored with +32) in 12 bytes: low nibbles of scales 0..7 in the low
// nibbles of bytes 0..7, of scales 8..15 in their high nibbles; the top 2 bits of scale j in bits
// 2*(j/4) of byte 8 + j%4.
inline int q3_k_scale(const uint8_t* packed, int j) {
  const int low = j < 8 ? packed[j] & 0xF : packed[j - 8] >> 4;
  const int high = (packed[8 + j % 4] >> (2 * (j / 4))) & 3;
  return (low | (high << 4)) - 32;
}
// levels: 16 values in 0..63 (scale + 32).
inline void pack_q3_k_scales(const int* levels, uint8_t* packed) {
  for (int j = 0; j < 12; ++j) packed[j] = 0;
  for (int j = 0; j < 16; ++j) {
    const int l = levels[j];
    if (j < 8) {
      packed[j] = static_cast<uint8_t>(l & 0xF);
    } else {
      packed[j - 8] |= static_cast<uint8_t>((l & 0xF) << 4);
    }
    packed[8 + j % 4] |= static_cast<uint8_t>((l >> 4) << (2 * (j / 4)));
  }
}

}  // namespace hearth::quant::detail
