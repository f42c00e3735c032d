// Helpers for the kernel tests: run a body once per ISA the CPU supports, random weight rows.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/fp16.h"
#include "kernels/kernels.h"
#include "quant/type_traits.h"

namespace hearth::kernels::testing {

// The SIMD ISAs (not scalar) to check against the scalar path; those the CPU lacks are
// reported and skipped.
inline std::vector<Isa> simd_isas_to_test() {
  std::vector<Isa> out;
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
    if (static_cast<int>(isa) <= static_cast<int>(detected_isa())) {
      out.push_back(isa);
    } else {
      std::printf("[  SKIP    ] %s: not supported by this CPU\n", isa_name(isa));
    }
  }
  return out;
}

// Restores the active ISA when a test ends.
struct IsaGuard {
  Isa saved = active_isa();
  ~IsaGuard() { set_active_isa(saved); }
};

// Byte offsets of the fp16 scale fields (d, dmin / m) inside one block of `type`.
inline std::vector<size_t> scale_offsets(quant::GgmlType type) {
  using T = quant::GgmlType;
  switch (type) {
    case T::kQ4_1:
    case T::kQ5_1:
    case T::kQ4_K:
    case T::kQ5_K:
      return {0, 2};
    case T::kQ2_K:
      return {80, 82};
    case T::kQ3_K:
      return {108};
    case T::kQ6_K:
      return {208};
    default:
      return {0};
  }
}

// One row of `cols` values of `type` with random payload bits and sane fp16 scales (for float
// types: random values in [-1, 1]).
inline std::vector<uint8_t> random_row(quant::GgmlType type, int64_t cols, std::mt19937& rng) {
  const quant::TypeTraits& tt = quant::type_traits(type);
  const size_t bytes = static_cast<size_t>(cols / tt.block_size) * tt.type_size;
  std::vector<uint8_t> row(bytes);  // (bytes)
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f), scale(0.001f, 0.02f);
  if (type == quant::GgmlType::kF32) {
    for (int64_t i = 0; i < cols; ++i) {
      float v = value(rng);
      std::memcpy(row.data() + 4 * i, &v, 4);
    }
    return row;
  }
  if (type == quant::GgmlType::kF16 || type == quant::GgmlType::kBF16) {
    for (int64_t i = 0; i < cols; ++i) {
      uint16_t h =
          type == quant::GgmlType::kF16 ? float_to_fp16(value(rng)) : float_to_bf16(value(rng));
      std::memcpy(row.data() + 2 * i, &h, 2);
    }
    return row;
  }
  for (auto& b : row) b = static_cast<uint8_t>(byte(rng));
  for (size_t blk = 0; blk < bytes / tt.type_size; ++blk) {
    for (size_t off : scale_offsets(type)) {
      const uint16_t h = float_to_fp16(scale(rng));
      std::memcpy(row.data() + blk * tt.type_size + off, &h, 2);
    }
  }
  return row;
}

inline std::vector<float> random_floats(int64_t n, std::mt19937& rng, float scale = 1.0f) {
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

}  // namespace hearth::kernels::testing
