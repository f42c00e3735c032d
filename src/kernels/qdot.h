// Per-ISA tables of row dot products and activation quantizers used by matmul (GEMV path).
//
// A weight row of `n` values in its GGUF type is dotted with one activation row that was
// converted once per matmul call to the weight type's activation format (ActType): f32 for the
// float weight types, Q8_0 / Q8_1 / Q8_K blocks for the quantized ones (llama.cpp-compatible
// block layouts from quant/blocks.h). The scalar table (kernels/ref/qdot_ref*.cpp) is the
// specification; x86/qdot_avx2.cpp and x86/qdot_avx512.cpp are tested against it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/kernels.h"

namespace hearth::kernels {

// kQ8_0 rows are nb = n/32 BlockQ8_0, then nb floats (each block's d as f32), then nb int16
// block sums (sum of each block's qs): kernels read 8 scales with one load, and the offset
// weight types (Q4_0: q - 8, Q5_0: q - 16) take the offset out once per 8 blocks.
enum class ActType { kF32 = 0, kQ8_0 = 1, kQ8_1 = 2, kQ8_K = 3 };
inline constexpr int kNumActTypes = 4;
inline constexpr int kMaxGgmlType = 40;

// Quantizes n floats (a multiple of the activation block size) into dst.
using QuantizeActFn = void (*)(const float* x, void* dst, int64_t n);
// Dot product of one weight row (n values) with one activation row in the matching ActType.
using RowDotFn = float (*)(int64_t n, const void* w_row, const void* act);

// Dot products of one weight row with kDotNTokens activation rows (act + t * act_stride):
// out[t] for t < kDotNTokens. Unpacks each weight block once for all of them.
inline constexpr int kDotNTokens = 4;
using RowDotNFn = void (*)(int64_t n, const void* w_row, const uint8_t* act, size_t act_stride,
                           float* out);

struct QdotTable {
  QuantizeActFn quantize[kNumActTypes] = {};  // indexed by ActType
  RowDotFn dot[kMaxGgmlType] = {};            // indexed by GgmlType id; nullptr: not handled
  RowDotNFn dot_n[kMaxGgmlType] = {};         // optional multi-token version (nullptr: none)
};

// The table for `isa` (entries the ISA does not speed up fall back to the scalar ones).
const QdotTable& qdot_table(Isa isa);
const QdotTable& qdot_table_scalar();
const QdotTable& qdot_table_avx2();
const QdotTable& qdot_table_avx512();

// The activation format a weight type is dotted against; false for unsupported types.
bool act_type_for(uint32_t ggml_type, ActType* out);
// Bytes of one activation row of n values; n must be a multiple of the block size.
size_t act_row_bytes(ActType act, int64_t n);
int64_t act_block_size(ActType act);

}  // namespace hearth::kernels
