// One TypeTraits row per GGUF tensor type: block size, bytes per block, scalar reference
// conversions and the reference dot product. Fast kernels live in src/kernels and are checked
// against these references.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace hearth::quant {

// Numeric ids as GGUF stores them (ggml_type).
enum class GgmlType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kIQ2_XXS = 16,
  kIQ2_XS = 17,
  kIQ3_XXS = 18,
  kIQ1_S = 19,
  kIQ4_NL = 20,
  kIQ3_S = 21,
  kIQ2_S = 22,
  kIQ4_XS = 23,
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kIQ1_M = 29,
  kBF16 = 30,
  kTQ1_0 = 34,
  kTQ2_0 = 35,
  kMXFP4 = 39,
};

// n values (a multiple of block_size) from `src` blocks to floats.
using ToFloatFn = void (*)(const void* src, float* dst, int64_t n);
// Reference quantizer: n floats (a multiple of block_size) to blocks. `importance` (n weights, or
// nullptr) weights the rounding error per column (imatrix).
using FromFloatFn = void (*)(const float* src, void* dst, int64_t n, const float* importance);
// Reference dot product of n values: x in this type, y in vec_dot_type.
using VecDotFn = float (*)(int64_t n, const void* x, const void* y);

struct TypeTraits {
  GgmlType type;
  const char* name;         // as GGUF / llama.cpp spell it: "Q4_K", "F16", "IQ4_XS"
  int64_t block_size;       // values per block (1 for plain types)
  size_t type_size;         // bytes per block
  bool is_quantized;
  ToFloatFn to_float;       // nullptr: hearth cannot decode this type (yet)
  FromFloatFn from_float;   // nullptr: hearth cannot produce this type
  VecDotFn vec_dot;         // reference dot product (nullptr where not implemented)
  GgmlType vec_dot_type;    // the type activations are quantized to for vec_dot
};

// nullptr for ids GGUF does not define (or that were removed from the format).
const TypeTraits* find_type_traits(uint32_t ggml_type);
// For known types only (asserts otherwise).
const TypeTraits& type_traits(GgmlType type);
// "q4_k" / "Q4_K" -> kQ4_K. Case-insensitive.
std::optional<GgmlType> type_from_name(std::string_view name);
const char* type_name(uint32_t ggml_type);  // "unknown(77)"-style fallback kept in a static buffer

// Bytes of one row of n values; error if n is not a multiple of the block size or on overflow.
Result<size_t> row_size(uint32_t ggml_type, int64_t n);
// Bytes of a tensor with ne[0..3]; error on unknown type, bad row length or overflow.
Result<uint64_t> tensor_bytes(uint32_t ggml_type, const int64_t ne[4]);

}  // namespace hearth::quant
