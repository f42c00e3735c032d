// Hand-built blocks with known values: pins the bit layouts independently of hearth's quantizers.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/fp16.h"
#include "quant/blocks.h"
#include "quant/reference.h"
#include "quant/scale_search.h"

namespace hearth::quant {
namespace {

TEST(NearestInt, RoundsHalfToEven) {
  EXPECT_EQ(detail::nearest_int(0.5f), 0);
  EXPECT_EQ(detail::nearest_int(1.5f), 2);
  EXPECT_EQ(detail::nearest_int(2.5f), 2);
  EXPECT_EQ(detail::nearest_int(-2.5f), -2);
  EXPECT_EQ(detail::nearest_int(-2.6f), -3);
  EXPECT_EQ(detail::nearest_int(31.49f), 31);
}

TEST(NearestTableIndex, PicksClosestAndUpperOnTies) {
  EXPECT_EQ(detail::nearest_table_index(16, kIQ4NLValues, -500.f), 0);
  EXPECT_EQ(detail::nearest_table_index(16, kIQ4NLValues, 500.f), 15);
  EXPECT_EQ(detail::nearest_table_index(16, kIQ4NLValues, 0.f), 8);    // -10 | 1: 0 is nearer 1
  EXPECT_EQ(detail::nearest_table_index(16, kIQ4NLValues, -4.5f), 8);  // tie between -10 and 1
  EXPECT_EQ(detail::nearest_table_index(16, kIQ4NLValues, -4.51f), 7);
  EXPECT_EQ(detail::nearest_table_index(16, kIQ4NLValues, 100.f), 14);  // 89 vs 113
}

TEST(KnownBlocks, Q8_0RoundsHalfAwayFromZero) {
  // amax 127 gives d = 1: 2.5 -> 3 and -2.5 -> -3 (roundf), not ties-to-even.
  std::vector<float> x(32, 0.f);
  x[0] = 127.f;
  x[1] = 2.5f;
  x[2] = -2.5f;
  BlockQ8_0 b;
  ref::q8_0_from_float(x.data(), &b, 32, nullptr);
  EXPECT_EQ(fp16_to_float(b.d), 1.0f);
  EXPECT_EQ(b.qs[0], 127);
  EXPECT_EQ(b.qs[1], 3);
  EXPECT_EQ(b.qs[2], -3);
}

TEST(KnownBlocks, Q4_0NibbleOrder) {
  BlockQ4_0 b{};
  b.d = float_to_fp16(0.5f);
  for (int j = 0; j < 16; ++j) b.qs[j] = 0x88;  // all zero
  b.qs[0] = 0x1F;                               // x[0] = (15-8)/2, x[16] = (1-8)/2
  float y[32];
  ref::q4_0_to_float(&b, y, 32);
  EXPECT_EQ(y[0], 3.5f);
  EXPECT_EQ(y[16], -3.5f);
  EXPECT_EQ(y[1], 0.f);
}

TEST(KnownBlocks, Q5_0FifthBitFromQh) {
  BlockQ5_0 b{};
  b.d = float_to_fp16(1.0f);
  const uint32_t qh = (1u << 3) | (1u << 20);  // fifth bit of x[3] and x[20]
  std::memcpy(b.qh, &qh, 4);
  float y[32];
  ref::q5_0_to_float(&b, y, 32);
  EXPECT_EQ(y[3], 0.f);    // 16 - 16
  EXPECT_EQ(y[20], 0.f);   // 16 - 16
  EXPECT_EQ(y[0], -16.f);  // 0 - 16
}

TEST(KnownBlocks, Q4_KUpperSubBlockScales) {
  // Sub-block 5: scale 0b100011 (35), min 0b010010 (18): low nibbles in byte 9, top bits in bytes
  // 1 (scale) and 5 (min).
  BlockQ4_K b{};
  b.d = float_to_fp16(1.0f);
  b.dmin = float_to_fp16(0.5f);
  b.scales[9] = 0x23;       // scale low 3, min low 2
  b.scales[1] = 0b10 << 6;  // scale high 2 -> 32 + 3 = 35
  b.scales[5] = 0b01 << 6;  // min high 1 -> 16 + 2 = 18
  b.qs[64 + 0] = 0x70;      // sub-block 5 = high nibbles of bytes 64..95: level 7
  std::vector<float> y(256);
  ref::q4_k_to_float(&b, y.data(), 256);
  EXPECT_EQ(y[160], 35.f * 7 - 0.5f * 18);
  EXPECT_EQ(y[161], -0.5f * 18);
  EXPECT_EQ(y[128], 0.f);  // sub-block 4: scale 0, min 0
}

TEST(KnownBlocks, Q6_KLayout) {
  BlockQ6_K b{};
  b.d = float_to_fp16(0.25f);
  for (int j = 0; j < 16; ++j) b.scales[j] = static_cast<int8_t>(j + 1);
  // value 64 + 130 = 194: chunk 1, quarter 2 (high nibble of ql[64 + 2]), qh[32 + 2] bits 4..5.
  b.ql[64 + 2] = 0xA0;       // low 4 bits: 10
  b.qh[32 + 2] = 0b11 << 4;  // high 2 bits: 3 -> level 58 -> q = 26
  std::vector<float> y(256);
  ref::q6_k_to_float(&b, y.data(), 256);
  EXPECT_EQ(y[194], 0.25f * 13 * 26);  // scale index 194 / 16 = 12 -> 13
  EXPECT_EQ(y[0], 0.25f * 1 * -32);    // level 0
}

TEST(KnownBlocks, Q3_KScalesAndHmask) {
  BlockQ3_K b{};
  b.d = float_to_fp16(1.0f);
  // scale 9 = 0b001001 + 32 = 41 = 0b101001: low nibble 9 in high nibble of byte 1, top bits 0b10
  // at bits 4..5 of byte 8 + 9 % 4 = 9.
  b.scales[1] = 0x90;
  b.scales[9] = 0b10 << 4;
  for (int j = 0; j < 16; ++j) {
    if (j != 9) {  // others: level 32 -> scale 0 (low nibble 0, top bits 0b10)
      if (j < 8) b.scales[j] |= 0x0;
      b.scales[8 + j % 4] |= static_cast<uint8_t>(0b10 << (2 * (j / 4)));
    }
  }
  // value 150 = 128 + 16 + 6: chunk 1, shift 0, qs[32 + 22]; hmask[22] bit 4.
  b.qs[32 + 22] = 0b11;
  b.hmask[22] = 1 << 4;  // high bit set: level 3, no -4
  std::vector<float> y(256);
  ref::q3_k_to_float(&b, y.data(), 256);
  EXPECT_EQ(y[150], 9.f * 3);   // scale index 150 / 16 = 9
  EXPECT_EQ(y[151], 9.f * -4);  // level 0, high bit clear
  EXPECT_EQ(y[0], 0.f);
}

TEST(KnownBlocks, IQ4_XSScales) {
  BlockIQ4_XS b{};
  b.d = float_to_fp16(0.5f);
  // Sub-block 3: ls = 0x5 | 0b11 << 4 = 53 -> scale 21. Others 32 -> 0.
  for (int ib = 0; ib < 8; ++ib) {
    const int ls = ib == 3 ? 53 : 32;
    b.scales_l[ib / 2] |= static_cast<uint8_t>((ls & 0xF) << (4 * (ib % 2)));
    b.scales_h |= static_cast<uint16_t>((ls >> 4) << (2 * ib));
  }
  b.qs[16 * 3 + 1] = 0xF0;  // value 96 + 17: index 15 -> 113; value 97: index 0 -> -127
  std::vector<float> y(256);
  ref::iq4_xs_to_float(&b, y.data(), 256);
  EXPECT_EQ(y[96 + 17], 0.5f * 21 * 113);
  EXPECT_EQ(y[97], 0.5f * 21 * -127);
  EXPECT_EQ(y[0], 0.f);
}

}  // namespace
}  // namespace hearth::quant
