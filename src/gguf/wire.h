// Internal to src/gguf: byte-level facts shared by the parser and the writer.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "gguf/gguf.h"

namespace hearth::gguf::wire {

static_assert(std::endian::native == std::endian::little, "hearth reads GGUF little-endian only");

// Deepest array nesting accepted (an array of arrays is depth 2). Bounds the parser's recursion.
inline constexpr int kMaxArrayDepth = 8;
// Smallest possible encodings, used to reject counts the remaining bytes cannot hold.
inline constexpr uint64_t kMinKvBytes = 8 + 1 + 4 + 1;  // key length, 1-byte key, type, u8
inline constexpr uint64_t kMinTensorInfoBytes = 8 + 1 + 4 + 4 + 8;  // name, n_dims, type, offset
inline constexpr uint64_t kArrayHeaderBytes = 4 + 8;                // element type, count

inline bool is_known_value_type(uint32_t raw) {
  return raw <= static_cast<uint32_t>(ValueType::kFloat64);
}

// Bytes the smallest value of `type` takes on disk (a string or array: its empty form).
inline uint64_t min_value_bytes(ValueType type) {
  switch (type) {
    case ValueType::kUint8:
    case ValueType::kInt8:
    case ValueType::kBool:
      return 1;
    case ValueType::kUint16:
    case ValueType::kInt16:
      return 2;
    case ValueType::kUint32:
    case ValueType::kInt32:
    case ValueType::kFloat32:
      return 4;
    case ValueType::kUint64:
    case ValueType::kInt64:
    case ValueType::kFloat64:
    case ValueType::kString:
      return 8;
    case ValueType::kArray:
      return kArrayHeaderBytes;
  }
  return 1;
}

// f32 bits <-> the double a Value holds. NaN payloads (including signalling NaNs, which a hardware
// conversion would quiet) are carried bit for bit, so a rewrite reproduces the file exactly.
inline double f32_bits_to_double(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  if (!std::isnan(f)) return static_cast<double>(f);
  uint64_t sign = bits >> 31, mantissa = bits & 0x7fffffu;
  uint64_t d_bits = (sign << 63) | (uint64_t{0x7ff} << 52) | (mantissa << 29);
  double d;
  std::memcpy(&d, &d_bits, 8);
  return d;
}

inline uint32_t double_to_f32_bits(double d) {
  if (!std::isnan(d)) {
    float f = static_cast<float>(d);
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    return bits;
  }
  uint64_t d_bits;
  std::memcpy(&d_bits, &d, 8);
  uint32_t sign = static_cast<uint32_t>(d_bits >> 63);
  uint32_t mantissa = static_cast<uint32_t>((d_bits >> 29) & 0x7fffffu);
  if (mantissa == 0) mantissa = 0x400000u;  // payload only in the low bits: a quiet NaN
  return (sign << 31) | (0xffu << 23) | mantissa;
}

inline uint64_t align_up(uint64_t offset, uint64_t alignment) {
  return (offset + alignment - 1) / alignment * alignment;
}

}  // namespace hearth::gguf::wire
